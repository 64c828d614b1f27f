/*
 * cmd_restore.c: `chartvault restore`: a snapshot, one patient, or matching files, back into
 * a folder, byte for byte with their modification times.
 */
#include "vault_cli.h"

#define INCLUDES_MAX 64

static const char usage[] =
    "usage: chartvault restore --repo DIR SNAPSHOT|latest --target DIR [--patient ID]\n"
    "                          [--include GLOB]... [--force] [--password-file FILE] [--json]\n"
    "\n"
    "Restore a snapshot into --target, which must be empty or new unless --force. Every file\n"
    "is checked against its ID before it is written. Files whose data is damaged are named on\n"
    "stderr and skipped; so is anything a link or another file in the target stands in the\n"
    "way of (nothing is ever written through a symbolic or hard link); everything else is\n"
    "restored, and the exit status is then 1.\n"
    "\n"
    "  --patient ID      only this patient's folder (<id[0:3]>/<id[3:6]>/<id>, kept as such)\n"
    "  --include GLOB    only paths matching GLOB (fnmatch, '*' crosses '/'); a matching\n"
    "                    folder brings everything in it; repeatable\n"
    "  --force           restore into a non-empty folder, replacing plain files (a file with\n"
    "                    other hard links, a symbolic link or a link to a folder is refused)\n"
    "  --json            print {\"files\", \"dirs\", \"bytes\", \"failed\", \"refused\",\n"
    "                    \"seconds\"}\n"
    "\nREPO may be an S3 location, s3:https://host[:port]/bucket[/prefix]:\n" VAULT_S3_HELP;

static void on_problem(void *arg, const char *path, const char *reason)
{
    struct cv_buf safe = CV_BUF_INIT(16384);
    (void)arg;

    cli_progress_done();
    fprintf(stderr, "chartvault restore: not restored: '%s': %s\n", cli_term(&safe, path), reason);
    cv_buf_free(&safe);
}

static int print_result(bool json, const struct cv_restore_stats *st)
{
    struct cv_buf out = CV_BUF_INIT(4096);
    struct cv_json j;
    char bytes[32];
    int rc;

    if (!json) {
        cli_format_bytes(st->bytes, bytes, sizeof(bytes));
        printf("restored %llu files in %llu folders, %s, in %.1f s", (unsigned long long)st->files,
               (unsigned long long)st->dirs, bytes, st->seconds);
        if (st->failed || st->refused)
            printf(" (%llu damaged, %llu refused: named above)", (unsigned long long)st->failed,
                   (unsigned long long)st->refused);
        printf("\n");
        return CLI_EXIT_OK;
    }
    cv_json_init(&j, &out, false);
    cv_json_object_begin(&j);
    cv_json_kv_int(&j, "files", (long long)st->files);
    cv_json_kv_int(&j, "dirs", (long long)st->dirs);
    cv_json_kv_int(&j, "bytes", (long long)st->bytes);
    cv_json_kv_int(&j, "failed", (long long)st->failed);
    cv_json_kv_int(&j, "refused", (long long)st->refused);
    cv_json_kv_double(&j, "seconds", st->seconds);
    cv_json_object_end(&j);
    rc = cli_print_json("restore", &j);
    cv_buf_free(&out);
    return rc;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {{"target", required_argument, NULL, 't'},
                                         {"patient", required_argument, NULL, 'p'},
                                         {"include", required_argument, NULL, 'i'},
                                         {"force", no_argument, NULL, 'f'},
                                         VAULT_COMMON_OPTIONS};
    const char *include[INCLUDES_MAX + 1] = {NULL};
    size_t ninclude = 0;
    struct vault_args a = {0};
    struct cv_restore_opts ro = {0};
    struct cv_restore_stats st = {0};
    struct cv_snapshot snap;
    struct cv_repo *repo;
    enum cv_err err;
    int c, rc;

    while ((c = getopt_long(argc, argv, VAULT_COMMON_SHORT "f", opts, NULL)) != -1) {
        if (c == VAULT_OPT_HELP)
            return vault_help(usage);
        if (vault_common_opt(c, optarg, &a))
            continue;
        if (c == 't')
            ro.target = optarg;
        else if (c == 'p')
            ro.patient = optarg;
        else if (c == 'f')
            ro.force = true;
        else if (c == 'i' && ninclude < INCLUDES_MAX)
            include[ninclude++] = optarg;
        else
            return cli_usage_error("restore", c == 'i' ? "too many --include" : "unknown option");
    }
    if (argc - optind != 1)
        return cli_usage_error("restore", "give one snapshot (or 'latest')");
    if (!ro.target)
        return cli_usage_error("restore", "--target DIR is required");
    if ((rc = vault_need_repo("restore", &a)) != 0 || (rc = vault_open("restore", &a, &repo)) != 0)
        return rc;
    ro.include = ninclude ? include : NULL;
    ro.progress = cli_progress;
    ro.problem = on_problem;
    err = cv_snapshot_find(repo, argv[optind], &snap);
    if (!err)
        err = cv_restore(repo, &snap, &ro, &st);
    cli_progress_done();
    cv_snapshot_clear(&snap);
    cv_repo_close(repo);
    if (err && !(err == CV_ECORRUPT && st.failed) && !(err == CV_EEXIST && st.refused))
        return cli_fail("restore", err);
    rc = print_result(a.json, &st);
    return err ? cli_fail("restore", err) : rc;
}

const struct cli_command cli_cmd_restore = {
    .name = "restore",
    .section = CLI_VAULT,
    .summary = "restore a snapshot, one patient or some files",
    .run = run,
};
