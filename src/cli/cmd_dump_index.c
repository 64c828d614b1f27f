/*
 * cmd_dump_index.c: `chartvault dump-index`: the reference index stored in a snapshot, written
 * out so that a viewer can start from it.
 */
#include "vault_cli.h"

static const char usage[] =
    "usage: chartvault dump-index --repo DIR SNAPSHOT|latest --out FILE [--force]\n"
    "                             [--password-file FILE] [--json]\n"
    "\n"
    "Write the SQLite reference index stored in a snapshot (by 'backup --db') to FILE (mode\n"
    "0600), so that 'chartvault serve' or 'chartvault query' can use it, on this host or a\n"
    "laptop with a copy of the repository. Refuses an existing FILE unless --force.\n"
    "\nREPO may be an S3 location, s3:https://host[:port]/bucket[/prefix]:\n" VAULT_S3_HELP;

static int run(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"force", no_argument, NULL, 'f'},
                                         VAULT_COMMON_OPTIONS};
    struct vault_args a = {0};
    struct cv_snapshot snap;
    struct cv_repo *repo;
    const char *out = NULL;
    bool force = false;
    uint64_t size = 0;
    enum cv_err err;
    int c, rc;

    while ((c = getopt_long(argc, argv, VAULT_COMMON_SHORT "o:f", opts, NULL)) != -1) {
        if (c == VAULT_OPT_HELP)
            return vault_help(usage);
        if (vault_common_opt(c, optarg, &a))
            continue;
        if (c == 'o')
            out = optarg;
        else if (c == 'f')
            force = true;
        else
            return cli_usage_error("dump-index", "unknown option");
    }
    if (argc - optind != 1)
        return cli_usage_error("dump-index", "give one snapshot (or 'latest')");
    if (!out)
        return cli_usage_error("dump-index", "--out FILE is required");
    if ((rc = vault_need_repo("dump-index", &a)) != 0 ||
        (rc = vault_open("dump-index", &a, &repo)) != 0)
        return rc;
    err = cv_snapshot_find(repo, argv[optind], &snap);
    if (!err)
        err = cv_dump_index(repo, &snap, out, force, &size);
    if (err) {
        cv_snapshot_clear(&snap);
        cv_repo_close(repo);
        return cli_fail("dump-index", err);
    }
    if (a.json) {
        struct cv_buf buf = CV_BUF_INIT(4096);
        struct cv_json j;

        cv_json_init(&j, &buf, false);
        cv_json_object_begin(&j);
        cv_json_kv_string(&j, "snapshot", snap.name);
        cv_json_kv_string(&j, "out", out);
        cv_json_kv_int(&j, "bytes", (long long)size);
        cv_json_object_end(&j);
        rc = cli_print_json("dump-index", &j);
        cv_buf_free(&buf);
    } else {
        printf("wrote the reference index of snapshot %.8s to '%s' (%llu bytes)\n", snap.name, out,
               (unsigned long long)size);
    }
    cv_snapshot_clear(&snap);
    cv_repo_close(repo);
    return rc;
}

const struct cli_command cli_cmd_dump_index = {
    .name = "dump-index",
    .section = CLI_VAULT,
    .summary = "write out the reference index stored in a snapshot",
    .run = run,
};
