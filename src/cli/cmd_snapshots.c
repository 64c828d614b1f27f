/*
 * cmd_snapshots.c: `chartvault snapshots`: the snapshots of a repository, oldest first.
 */
#include "vault_cli.h"

static const char usage[] =
    "usage: chartvault snapshots --repo DIR [--password-file FILE] [--json]\n"
    "\n"
    "List the snapshots in the repository, oldest first: short ID, time, host, files, size,\n"
    "whether it holds the reference index, tags and source folder.\n"
    "\nREPO may be an S3 location, s3:https://host[:port]/bucket[/prefix]:\n" VAULT_S3_HELP;

static void json_snapshot(struct cv_json *j, const struct cv_snapshot *s)
{
    char when[32];

    cv_time_format_iso((time_t)s->time, when, sizeof(when));
    cv_json_object_begin(j);
    cv_json_kv_string(j, "id", s->name);
    cv_json_kv_string(j, "time", when);
    cv_json_kv_int(j, "unix_time", (long long)s->time);
    cv_json_kv_string(j, "host", s->hostname);
    cv_json_kv_string(j, "source", s->source);
    cv_json_key(j, "tags");
    cv_json_array_begin(j);
    for (size_t t = 0; t < s->ntags; t++)
        cv_json_string(j, s->tags[t]);
    cv_json_array_end(j);
    cv_json_kv_string(j, "parent", s->has_parent ? s->parent : NULL);
    cv_json_kv_int(j, "files", (long long)s->stats.files);
    cv_json_kv_int(j, "dirs", (long long)s->stats.dirs);
    cv_json_kv_int(j, "bytes", (long long)s->stats.bytes);
    cv_json_kv_int(j, "added_stored", (long long)s->stats.added_stored);
    cv_json_kv_int(j, "errors", (long long)s->stats.errors);
    cv_json_kv_string(j, "index", s->has_db ? s->db_name : NULL);
    cv_json_kv_int(j, "index_bytes", (long long)s->db_size);
    cv_json_object_end(j);
}

static int print_json(const struct cv_snapshot *all, size_t n)
{
    struct cv_buf out = CV_BUF_INIT(64u << 20);
    struct cv_json j;
    int rc;

    cv_json_init(&j, &out, false);
    cv_json_array_begin(&j);
    for (size_t i = 0; i < n; i++)
        json_snapshot(&j, &all[i]);
    cv_json_array_end(&j);
    rc = cli_print_json("snapshots", &j);
    cv_buf_free(&out);
    return rc;
}

static void print_text(const struct cv_snapshot *all, size_t n)
{
    printf("%-8s  %-19s  %-12s %10s %10s  %-5s  %s\n", "ID", "time", "host", "files", "size",
           "index", "tags / source");
    for (size_t i = 0; i < n; i++) {
        const struct cv_snapshot *s = &all[i];
        char when[32], size[32];

        vault_format_time(s->time, when, sizeof(when));
        cli_format_bytes(s->stats.bytes, size, sizeof(size));
        printf("%.8s  %-19s  %-12.12s %10llu %10s  %-5s  ", s->name, when, s->hostname,
               (unsigned long long)s->stats.files, size, s->has_db ? "yes" : "no");
        for (size_t t = 0; t < s->ntags; t++)
            printf("[%s] ", s->tags[t]);
        printf("%s\n", s->source ? s->source : "");
    }
    printf("%zu snapshot%s\n", n, n == 1 ? "" : "s");
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {VAULT_COMMON_OPTIONS};
    struct vault_args a = {0};
    struct cv_repo *repo;
    struct cv_snapshot *all;
    size_t n;
    enum cv_err err;
    int c, rc;

    while ((c = getopt_long(argc, argv, VAULT_COMMON_SHORT, opts, NULL)) != -1) {
        if (c == VAULT_OPT_HELP)
            return vault_help(usage);
        if (!vault_common_opt(c, optarg, &a))
            return cli_usage_error("snapshots", "unknown option");
    }
    if (optind != argc)
        return cli_usage_error("snapshots", "unexpected argument '%s'", argv[optind]);
    if ((rc = vault_need_repo("snapshots", &a)) != 0 ||
        (rc = vault_open("snapshots", &a, &repo)) != 0)
        return rc;
    err = cv_snapshots_list(repo, &all, &n);
    vault_report_warnings("snapshots", repo);
    cv_repo_close(repo);
    if (err)
        return cli_fail("snapshots", err);
    if (a.json)
        rc = print_json(all, n);
    else
        print_text(all, n);
    cv_snapshots_free(all, n);
    return rc;
}

const struct cli_command cli_cmd_snapshots = {
    .name = "snapshots",
    .section = CLI_VAULT,
    .summary = "list the snapshots in a repository",
    .run = run,
};
