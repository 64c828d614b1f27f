/*
 * cmd_check.c: `chartvault check`: prove the repository is whole, or name what is not and the
 * files each snapshot would lose.
 */
#include "vault_cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: chartvault check --repo DIR [--read-data | --read-data-subset PERCENT]\n"
    "                        [--password-file FILE] [--json]\n"
    "\n"
    "Verify the repository: every snapshot and index object opens, every pack they need\n"
    "exists with the right size, and every snapshot's folder listings load and name only\n"
    "indexed data. --read-data also reads every pack and checks every block's MAC and every\n"
    "file's content against its ID; --read-data-subset does that for a random PERCENT of the\n"
    "packs. Damaged objects are named, then the files of each snapshot they make\n"
    "unrestorable; the exit status is then 1.\n";

struct check_out {
    bool json;
    struct cv_json j;
    struct cv_buf problems, affected; /* JSON fragments, joined at the end */
    struct cv_json jp, ja;
};

static void on_problem(void *arg, const char *object, const char *reason)
{
    struct check_out *o = arg;

    cli_progress_done();
    if (o->json) {
        cv_json_object_begin(&o->jp);
        cv_json_kv_string(&o->jp, "object", object);
        cv_json_kv_string(&o->jp, "reason", reason);
        cv_json_object_end(&o->jp);
        return;
    }
    printf("damaged: %s: %s\n", object, reason);
}

static void on_affected(void *arg, const char *snapshot, const char *path)
{
    struct check_out *o = arg;

    cli_progress_done();
    if (o->json) {
        cv_json_object_begin(&o->ja);
        cv_json_kv_string(&o->ja, "snapshot", snapshot);
        cv_json_kv_string(&o->ja, "path", path);
        cv_json_object_end(&o->ja);
        return;
    }
    printf("affected: snapshot %.8s: %s\n", snapshot, path);
}

static int print_json(struct check_out *o, const struct cv_check_stats *st, bool ok)
{
    struct cv_buf out = CV_BUF_INIT(1u << 30);
    struct cv_json j;
    int rc;

    cv_json_array_end(&o->jp);
    cv_json_array_end(&o->ja);
    cv_json_init(&j, &out, false);
    cv_json_object_begin(&j);
    cv_json_kv_bool(&j, "ok", ok);
    cv_json_kv_int(&j, "snapshots", (long long)st->snapshots);
    cv_json_kv_int(&j, "indexes", (long long)st->indexes);
    cv_json_kv_int(&j, "packs", (long long)st->packs);
    cv_json_kv_int(&j, "blobs", (long long)st->blobs);
    cv_json_kv_int(&j, "files", (long long)st->files);
    cv_json_kv_int(&j, "packs_read", (long long)st->packs_read);
    cv_json_kv_int(&j, "bytes_read", (long long)st->bytes_read);
    cv_json_kv_int(&j, "unindexed_packs", (long long)st->unindexed_packs);
    cv_json_kv_int(&j, "temporary_files", (long long)st->temporaries);
    cv_json_kv_int(&j, "affected_files", (long long)st->affected_files);
    cv_json_object_end(&j);
    /* splice the two arrays in before the closing brace */
    if (!cv_json_finish(&j) && !cv_json_finish(&o->jp) && !cv_json_finish(&o->ja)) {
        out.len--;
        cv_buf_printf(&out, ",\"problems\":%s,\"affected\":%s}", cv_buf_str(&o->problems),
                      cv_buf_str(&o->affected));
    }
    rc = cli_print_json("check", &j);
    cv_buf_free(&out);
    return rc;
}

static void print_text(const struct cv_check_stats *st, bool read_data)
{
    char bytes[32];

    cli_format_bytes(st->bytes_read, bytes, sizeof(bytes));
    printf("%llu snapshots, %llu index objects, %llu packs, %llu blobs, %llu files checked\n",
           (unsigned long long)st->snapshots, (unsigned long long)st->indexes,
           (unsigned long long)st->packs, (unsigned long long)st->blobs,
           (unsigned long long)st->files);
    if (read_data)
        printf("read %llu packs (%s): every block authenticated, every blob matched its ID\n",
               (unsigned long long)st->packs_read, bytes);
    if (st->unindexed_packs || st->temporaries)
        printf("ignored: %llu packs no index names and %llu temporary files (left by "
               "interrupted backups; harmless)\n",
               (unsigned long long)st->unindexed_packs, (unsigned long long)st->temporaries);
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {{"read-data", no_argument, NULL, 'd'},
                                         {"read-data-subset", required_argument, NULL, 's'},
                                         VAULT_COMMON_OPTIONS};
    struct vault_args a = {0};
    struct check_out o = {0};
    struct cv_check_opts co = {0};
    struct cv_check_stats st;
    struct cv_repo *repo;
    enum cv_err err;
    char *end;
    int c, rc;

    while ((c = getopt_long(argc, argv, VAULT_COMMON_SHORT, opts, NULL)) != -1) {
        if (c == VAULT_OPT_HELP)
            return vault_help(usage);
        if (vault_common_opt(c, optarg, &a))
            continue;
        if (c == 'd') {
            co.read_data = true;
        } else if (c == 's') {
            co.read_data = true;
            co.subset_percent = strtod(optarg, &end);
            if (end == optarg || (*end && strcmp(end, "%") != 0) || co.subset_percent <= 0 ||
                co.subset_percent > 100)
                return cli_usage_error("check", "--read-data-subset wants a percentage, 0 to 100");
        } else {
            return cli_usage_error("check", "unknown option");
        }
    }
    if (optind != argc)
        return cli_usage_error("check", "unexpected argument '%s'", argv[optind]);
    if ((rc = vault_need_repo("check", &a)) != 0 || (rc = vault_open("check", &a, &repo)) != 0)
        return rc;
    o.json = a.json;
    cv_buf_init(&o.problems, 256u << 20);
    cv_buf_init(&o.affected, 512u << 20);
    cv_json_init(&o.jp, &o.problems, false);
    cv_json_init(&o.ja, &o.affected, false);
    cv_json_array_begin(&o.jp);
    cv_json_array_begin(&o.ja);
    co.progress = cli_progress;
    co.problem = on_problem;
    co.affected = on_affected;
    co.arg = &o;
    err = cv_check(repo, &co, &st);
    cli_progress_done();
    cv_repo_close(repo);
    if (err && err != CV_ECORRUPT)
        rc = cli_fail("check", err);
    else if (a.json)
        rc = print_json(&o, &st, !err);
    else
        print_text(&st, co.read_data);
    if (!rc && err)
        rc = cli_fail("check", err);
    else if (!rc && !a.json)
        printf("no problems found\n");
    cv_buf_free(&o.problems);
    cv_buf_free(&o.affected);
    return rc;
}

const struct cli_command cli_cmd_check = {
    .name = "check",
    .section = CLI_VAULT,
    .summary = "verify a repository (and with --read-data, every byte of it)",
    .run = run,
};
