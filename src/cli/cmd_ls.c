/*
 * cmd_ls.c: `chartvault ls`: what a snapshot holds, all of it or under one path.
 */
#include "vault_cli.h"

#include <string.h>

static const char usage[] =
    "usage: chartvault ls --repo DIR SNAPSHOT|latest [PATH] [--long] [--password-file FILE]\n"
    "                     [--json]\n"
    "\n"
    "List the files and folders of a snapshot (folders end with '/'), or only those at and\n"
    "under PATH. --long adds mode, size and modification time; --json prints a JSON array of\n"
    "{\"path\", \"type\", \"size\", \"mode\", \"mtime\"}.\n"
    "\nREPO may be an S3 location, s3:https://host[:port]/bucket[/prefix]:\n" VAULT_S3_HELP;

struct ls_out {
    bool json, long_format;
    struct cv_buf buf;
    struct cv_json j;
    uint64_t n;
    struct cv_buf name, target; /* escaped for the terminal */
};

static enum cv_err flush_json(struct ls_out *o)
{
    if (fwrite(o->buf.data, 1, o->buf.len, stdout) != o->buf.len)
        return cv_fail(CV_EIO, "cannot write output");
    cv_buf_reset(&o->buf);
    return CV_OK;
}

static enum cv_err print_node(void *arg, const struct cv_node *n)
{
    static const char *const kinds[] = {"file", "dir", "symlink"};
    struct ls_out *o = arg;
    char when[32];

    o->n++;
    if (o->json) {
        cv_json_object_begin(&o->j);
        cv_json_kv_string(&o->j, "path", n->path);
        cv_json_kv_string(&o->j, "type", kinds[n->kind]);
        cv_json_kv_int(&o->j, "size", (long long)n->size);
        cv_json_kv_int(&o->j, "mode", (long long)n->mode);
        cv_json_kv_int(&o->j, "mtime", (long long)n->mtime_sec);
        if (n->target)
            cv_json_kv_string(&o->j, "target", n->target);
        cv_json_object_end(&o->j);
        return o->buf.len > (1u << 20) ? flush_json(o) : o->j.err;
    }
    if (o->long_format) {
        vault_format_time(n->mtime_sec, when, sizeof(when));
        printf("%04o %12llu %s ", n->mode, (unsigned long long)n->size, when);
    }
    /* a file name is outside data: its control characters are shown, never obeyed */
    printf("%s%s%s%s\n", cli_term(&o->name, n->path), n->kind == CV_NODE_DIR ? "/" : "",
           n->target ? " -> " : "", n->target ? cli_term(&o->target, n->target) : "");
    return CV_OK;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {{"long", no_argument, NULL, 'l'}, VAULT_COMMON_OPTIONS};
    struct vault_args a = {0};
    struct ls_out o = {
        false, false, CV_BUF_INIT(2u << 20), {0}, 0, CV_BUF_INIT(1u << 16), CV_BUF_INIT(1u << 16)};
    struct cv_snapshot snap;
    struct cv_repo *repo;
    const char *path;
    enum cv_err err;
    int c, rc;

    while ((c = getopt_long(argc, argv, VAULT_COMMON_SHORT "l", opts, NULL)) != -1) {
        if (c == VAULT_OPT_HELP)
            return vault_help(usage);
        if (c == 'l')
            o.long_format = true;
        else if (!vault_common_opt(c, optarg, &a))
            return cli_usage_error("ls", "unknown option");
    }
    if (argc - optind < 1 || argc - optind > 2)
        return cli_usage_error("ls", "give a snapshot (or 'latest') and optionally a path");
    path = argc - optind == 2 ? argv[optind + 1] : "";
    if ((rc = vault_need_repo("ls", &a)) != 0 || (rc = vault_open("ls", &a, &repo)) != 0)
        return rc;
    o.json = a.json;
    cv_json_init(&o.j, &o.buf, false);
    err = cv_snapshot_find(repo, argv[optind], &snap);
    if (!err && o.json)
        cv_json_array_begin(&o.j);
    if (!err)
        err = cv_snapshot_walk(repo, &snap, path, print_node, &o);
    if (!err && o.json) {
        cv_json_array_end(&o.j);
        err = cv_json_finish(&o.j);
        if (!err)
            err = cv_buf_putc(&o.buf, '\n');
        if (!err)
            err = flush_json(&o);
    }
    cv_snapshot_clear(&snap);
    cv_repo_close(repo);
    cv_buf_free(&o.buf);
    cv_buf_free(&o.name);
    cv_buf_free(&o.target);
    if (!err && fflush(stdout) != 0)
        err = cv_fail(CV_EIO, "cannot write output");
    return err ? cli_fail("ls", err) : CLI_EXIT_OK;
}

const struct cli_command cli_cmd_ls = {
    .name = "ls",
    .section = CLI_VAULT,
    .summary = "list the files of a snapshot",
    .run = run,
};
