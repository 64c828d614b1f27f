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
    "unrestorable; the exit status is then 1.\n"
    "\nREPO may be an S3 location, s3:https://host[:port]/bucket[/prefix]:\n" VAULT_S3_HELP;

/* What check found, kept for --json (text output is printed as it comes). */
struct pair_list {
    char **a, **b;
    size_t n, cap;
};

struct check_out {
    bool json;
    struct pair_list problems, affected;
    bool out_of_memory;
};

static void pair_add(struct check_out *o, struct pair_list *l, const char *a, const char *b)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **na = cv_reallocarray(l->a, cap, sizeof(char *));
        char **nb = na ? cv_reallocarray(l->b, cap, sizeof(char *)) : NULL;

        if (na)
            l->a = na;
        if (!nb) {
            o->out_of_memory = true;
            return;
        }
        l->b = nb;
        l->cap = cap;
    }
    l->a[l->n] = cv_strdup(a);
    l->b[l->n] = cv_strdup(b);
    if (!l->a[l->n] || !l->b[l->n]) {
        cv_free(l->a[l->n]);
        cv_free(l->b[l->n]);
        o->out_of_memory = true;
        return;
    }
    l->n++;
}

static void pair_free(struct pair_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        cv_free(l->a[i]);
        cv_free(l->b[i]);
    }
    cv_free(l->a);
    cv_free(l->b);
}

static void on_problem(void *arg, const char *object, const char *reason)
{
    struct check_out *o = arg;

    cli_progress_done();
    if (o->json)
        pair_add(o, &o->problems, object, reason);
    else
        printf("damaged: %s: %s\n", object, reason);
}

static void on_affected(void *arg, const char *snapshot, const char *path)
{
    struct check_out *o = arg;

    cli_progress_done();
    if (o->json)
        pair_add(o, &o->affected, snapshot, path);
    else
        printf("affected: snapshot %.8s: %s\n", snapshot, path);
}

static void json_pairs(struct cv_json *j, const char *key, const struct pair_list *l,
                       const char *ka, const char *kb)
{
    cv_json_key(j, key);
    cv_json_array_begin(j);
    for (size_t i = 0; i < l->n; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, ka, l->a[i]);
        cv_json_kv_string(j, kb, l->b[i]);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static int print_json(struct check_out *o, const struct cv_check_stats *st, bool ok)
{
    struct cv_buf out = CV_BUF_INIT(1u << 30);
    struct cv_json j;
    int rc;

    if (o->out_of_memory)
        return cli_failf("check", "out of memory collecting the report");
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
    json_pairs(&j, "problems", &o->problems, "object", "reason");
    json_pairs(&j, "affected", &o->affected, "snapshot", "path");
    cv_json_object_end(&j);
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
    pair_free(&o.problems);
    pair_free(&o.affected);
    return rc;
}

const struct cli_command cli_cmd_check = {
    .name = "check",
    .section = CLI_VAULT,
    .summary = "verify a repository (and with --read-data, every byte of it)",
    .run = run,
};
