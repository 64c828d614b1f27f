/*
 * cmd_diff.c: `chartvault diff`: what changed between two snapshots.
 */
#include "vault_cli.h"

#include <string.h>

static const char usage[] =
    "usage: chartvault diff --repo DIR SNAPSHOT1 SNAPSHOT2 [--password-file FILE] [--json]\n"
    "\n"
    "Show what changed from SNAPSHOT1 to SNAPSHOT2 (IDs, unique prefixes or 'latest'):\n"
    "  + PATH         added\n"
    "  - PATH         removed\n"
    "  M PATH         content changed\n"
    "  R OLD -> NEW   same content under a new name (SS-MIX2's _1 -> _2)\n"
    "  U PATH         only mode or modification time changed\n"
    "then a count of each. --json prints {\"changes\": [{\"change\", \"path\", \"new_path\",\n"
    "\"type\"}], \"added\", \"removed\", \"modified\", \"renamed\", \"metadata\"}.\n"
    "\nREPO may be an S3 location, s3:https://host[:port]/bucket[/prefix]:\n" VAULT_S3_HELP;

struct diff_out {
    bool json;
    struct cv_buf buf;
    struct cv_json j;
    struct cv_buf a, b; /* paths escaped for the terminal */
};

static enum cv_err print_change(void *arg, enum cv_change change, const char *path,
                                const char *new_path, enum cv_node_kind kind)
{
    static const char *const names[] = {"added", "removed", "modified", "renamed", "metadata"};
    static const char marks[] = "+-MRU";
    struct diff_out *o = arg;
    const char *slash = kind == CV_NODE_DIR ? "/" : "";

    if (o->json) {
        cv_json_object_begin(&o->j);
        cv_json_kv_string(&o->j, "change", names[change]);
        cv_json_kv_string(&o->j, "path", path);
        cv_json_kv_string(&o->j, "new_path", new_path);
        cv_json_kv_string(&o->j, "type",
                          kind == CV_NODE_DIR    ? "dir"
                          : kind == CV_NODE_FILE ? "file"
                                                 : "symlink");
        cv_json_object_end(&o->j);
        return o->j.err;
    }
    /* file names are outside data: their control characters are shown, never obeyed */
    if (new_path)
        printf("%c %s%s -> %s%s\n", marks[change], cli_term(&o->a, path), slash,
               cli_term(&o->b, new_path), slash);
    else
        printf("%c %s%s\n", marks[change], cli_term(&o->a, path), slash);
    return CV_OK;
}

static int finish(struct diff_out *o, const struct cv_diff_stats *st)
{
    if (!o->json) {
        printf("%llu added, %llu removed, %llu modified, %llu renamed, %llu metadata only\n",
               (unsigned long long)st->added, (unsigned long long)st->removed,
               (unsigned long long)st->modified, (unsigned long long)st->renamed,
               (unsigned long long)st->meta);
        return CLI_EXIT_OK;
    }
    cv_json_array_end(&o->j);
    cv_json_kv_int(&o->j, "added", (long long)st->added);
    cv_json_kv_int(&o->j, "removed", (long long)st->removed);
    cv_json_kv_int(&o->j, "modified", (long long)st->modified);
    cv_json_kv_int(&o->j, "renamed", (long long)st->renamed);
    cv_json_kv_int(&o->j, "metadata", (long long)st->meta);
    cv_json_object_end(&o->j);
    return cli_print_json("diff", &o->j);
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {VAULT_COMMON_OPTIONS};
    struct vault_args a = {0};
    struct diff_out o = {
        false, CV_BUF_INIT(1u << 30), {0}, CV_BUF_INIT(1u << 16), CV_BUF_INIT(1u << 16)};
    struct cv_snapshot s1, s2;
    struct cv_diff_stats st;
    struct cv_repo *repo;
    enum cv_err err;
    int c, rc;

    while ((c = getopt_long(argc, argv, VAULT_COMMON_SHORT, opts, NULL)) != -1) {
        if (c == VAULT_OPT_HELP)
            return vault_help(usage);
        if (!vault_common_opt(c, optarg, &a))
            return cli_usage_error("diff", "unknown option");
    }
    if (argc - optind != 2)
        return cli_usage_error("diff", "give two snapshots");
    if ((rc = vault_need_repo("diff", &a)) != 0 || (rc = vault_open("diff", &a, &repo)) != 0)
        return rc;
    o.json = a.json;
    cv_json_init(&o.j, &o.buf, false);
    cv_json_object_begin(&o.j);
    cv_json_key(&o.j, "changes");
    cv_json_array_begin(&o.j);
    memset(&s2, 0, sizeof(s2));
    err = cv_snapshot_find(repo, argv[optind], &s1);
    if (!err)
        err = cv_snapshot_find(repo, argv[optind + 1], &s2);
    if (!err)
        err = cv_snapshot_diff(repo, &s1, &s2, print_change, &o, &st);
    cv_snapshot_clear(&s1);
    cv_snapshot_clear(&s2);
    cv_repo_close(repo);
    rc = err ? cli_fail("diff", err) : finish(&o, &st);
    cv_buf_free(&o.buf);
    cv_buf_free(&o.a);
    cv_buf_free(&o.b);
    return rc;
}

const struct cli_command cli_cmd_diff = {
    .name = "diff",
    .section = CLI_VAULT,
    .summary = "show what changed between two snapshots",
    .run = run,
};
