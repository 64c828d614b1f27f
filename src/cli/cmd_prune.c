/*
 * cmd_prune.c: `chartvault prune`: remove the data no snapshot needs any more (after
 * `forget`). It opens the repository for removal, which the daemon never does.
 */
#include "vault_cli.h"

#include <chartvault/retention.h>

#include <string.h>

static const char usage[] =
    "usage: chartvault prune --repo DIR|s3:URL [--dry-run] [--grace DURATION]\n"
    "                        [--unindexed-age DURATION] [--credentials FILE] [--ca-file FILE]\n"
    "                        [--password-file FILE] [--json]\n"
    "\n"
    "Remove every pack no snapshot needs, and the index entries naming them. A pack that a\n"
    "snapshot still needs in part is kept whole. Before removing anything prune says what it\n"
    "will remove and waits --grace (default 60s): backups running meanwhile never build on it\n"
    "and are taken into account. Stopping it at any moment leaves the repository sound; the\n"
    "next prune finishes the work. Refuses to run while a snapshot or index object cannot be\n"
    "read (run check). Packs no index names (left by a killed backup) go once older than\n"
    "--unindexed-age.\n"
    "\n"
    "On S3 only objects whose Object Lock has run out are removed (every version of them, not\n"
    "a delete marker); the others are kept and listed with the date their lock runs out. The\n"
    "credentials must allow s3:DeleteObjectVersion, which the daemon's should not.\n"
    "\n"
    "  --dry-run              list what would be removed, what a lock holds, and the sizes\n"
    "  --grace DURATION       wait this long before removing (0: only when no backup runs)\n"
    "  --unindexed-age D      remove packs no index names once written D ago (default 24h)\n"
    "  --credentials FILE     S3: the access key allowed to delete (mode 0600); default the\n"
    "                         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables\n"
    "  --json                 print the figures (and with --dry-run the packs) as JSON\n";

struct prune_out {
    bool json, dry_run;
    struct cv_json *j;
};

static void on_item(void *arg, const char *what, const char *name, uint64_t bytes,
                    enum cv_remove_result res, int64_t until)
{
    struct prune_out *o = arg;
    char size[32], date[32] = "its lock runs out";

    cli_progress_done();
    if (o->json) {
        cv_json_object_begin(o->j);
        cv_json_kv_string(o->j, "kind", what);
        cv_json_kv_string(o->j, "name", name);
        cv_json_kv_int(o->j, "bytes", (long long)bytes);
        cv_json_kv_bool(o->j, "locked", res == CV_REMOVE_LOCKED);
        if (res == CV_REMOVE_LOCKED && until)
            cv_json_kv_int(o->j, "locked_until", (long long)until);
        cv_json_object_end(o->j);
        return;
    }
    cli_format_bytes(bytes, size, sizeof(size));
    if (until)
        vault_format_time(until, date, sizeof(date));
    if (res == CV_REMOVE_LOCKED)
        printf("kept, locked until %s: %s %.16s  %s\n", date, what, name, size);
    else
        printf("%s %s %.16s  %s\n", o->dry_run ? "would remove" : "removed", what, name, size);
}

static void print_text(const struct cv_prune_stats *st, bool dry_run)
{
    char unused[32], partly[32], dead[32], freed[32], total[32];

    cli_format_bytes(st->packs_bytes, total, sizeof(total));
    cli_format_bytes(st->unused_bytes, unused, sizeof(unused));
    cli_format_bytes(st->partly_bytes, partly, sizeof(partly));
    cli_format_bytes(st->dead_in_partly, dead, sizeof(dead));
    cli_format_bytes(st->freed_bytes, freed, sizeof(freed));
    printf("%llu snapshots; %llu packs (%s)\n", (unsigned long long)st->snapshots,
           (unsigned long long)st->packs, total);
    printf("unneeded: %llu packs (%s)%s\n", (unsigned long long)st->packs_unused, unused,
           !dry_run     ? ""
           : st->locked ? ": would be removed, but for those a lock holds (below)"
                        : ": would be removed");
    printf("kept whole: %llu packs partly needed (%s, of which %s of data no snapshot needs)\n",
           (unsigned long long)st->packs_partly, partly, dead);
    if (st->unindexed || st->unindexed_young) {
        char orphan[32];

        cli_format_bytes(st->unindexed_bytes, orphan, sizeof(orphan));
        printf("packs no index names: %llu old enough to go (%s)%s, %llu too new to judge\n",
               (unsigned long long)st->unindexed, orphan, dry_run ? ": would be removed" : "",
               (unsigned long long)st->unindexed_young);
    }
    if (st->locked) {
        char held[32];

        cli_format_bytes(st->locked_bytes, held, sizeof(held));
        printf("held by a lock: %llu objects (%s), kept until their lock runs out\n",
               (unsigned long long)st->locked, held);
    }
    if (!dry_run)
        printf("removed %llu packs, %s freed; index objects %llu -> %llu%s\n",
               (unsigned long long)st->removed, freed, (unsigned long long)st->index_before,
               (unsigned long long)st->index_after,
               st->locked ? "; some objects locked by the storage: kept for now" : "");
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'},
                                         {"grace", required_argument, NULL, 'g'},
                                         {"unindexed-age", required_argument, NULL, 'u'},
                                         VAULT_COMMON_OPTIONS};
    struct vault_args a = {0};
    struct cv_prune_opts po = {0};
    struct cv_prune_stats st;
    struct cv_buf out = CV_BUF_INIT(1u << 30);
    struct cv_json j;
    struct prune_out o = {false, false, &j};
    struct cv_remover *rm = NULL;
    struct cv_repo *repo;
    enum cv_err err;
    long grace;
    int c, rc;

    while ((c = getopt_long(argc, argv, VAULT_COMMON_SHORT, opts, NULL)) != -1) {
        if (c == VAULT_OPT_HELP)
            return vault_help(usage);
        if (vault_common_opt(c, optarg, &a))
            continue;
        if (c == 'n') {
            po.dry_run = true;
        } else if (c == 'g') {
            if (cv_parse_duration(optarg, &grace) != CV_OK)
                return cli_usage_error("prune", "--grace wants a duration (60s, 5m, 0)");
            po.grace = grace ? grace : CV_PRUNE_NO_GRACE;
        } else if (c == 'u') {
            if (cv_parse_duration(optarg, &grace) != CV_OK || grace <= 0)
                return cli_usage_error("prune", "--unindexed-age wants a duration (24h, 90s)");
            po.unindexed_age = grace;
        } else {
            return cli_usage_error("prune", "unknown option");
        }
    }
    if (optind != argc)
        return cli_usage_error("prune", "unexpected argument '%s'", argv[optind]);
    if ((rc = vault_need_repo("prune", &a)) != 0 || (rc = vault_open("prune", &a, &repo)) != 0)
        return rc;
    err = cv_remover_open_with(a.repo, &a.backend, &rm);
    if (err) {
        cv_repo_close(repo);
        return cli_fail("prune", err);
    }
    o.json = a.json;
    o.dry_run = po.dry_run;
    po.progress = cli_progress;
    po.item = on_item;
    po.arg = &o;
    cv_json_init(&j, &out, false);
    cv_json_object_begin(&j);
    cv_json_kv_bool(&j, "dry_run", po.dry_run);
    cv_json_key(&j, "objects");
    cv_json_array_begin(&j);
    err = cv_prune(repo, rm, &po, &st);
    cli_progress_done();
    cv_json_array_end(&j);
    cv_json_kv_int(&j, "snapshots", (long long)st.snapshots);
    cv_json_kv_int(&j, "packs", (long long)st.packs);
    cv_json_kv_int(&j, "packs_bytes", (long long)st.packs_bytes);
    cv_json_kv_int(&j, "packs_unused", (long long)st.packs_unused);
    cv_json_kv_int(&j, "unused_bytes", (long long)st.unused_bytes);
    cv_json_kv_int(&j, "packs_partly_used", (long long)st.packs_partly);
    cv_json_kv_int(&j, "partly_used_bytes", (long long)st.partly_bytes);
    cv_json_kv_int(&j, "unneeded_raw_in_partly_used", (long long)st.dead_in_partly);
    cv_json_kv_int(&j, "removed", (long long)st.removed);
    cv_json_kv_int(&j, "freed_bytes", (long long)st.freed_bytes);
    cv_json_kv_int(&j, "locked", (long long)st.locked);
    cv_json_kv_int(&j, "locked_bytes", (long long)st.locked_bytes);
    cv_json_kv_int(&j, "unindexed_packs", (long long)st.unindexed);
    cv_json_kv_int(&j, "unindexed_bytes", (long long)st.unindexed_bytes);
    cv_json_kv_int(&j, "unindexed_too_new", (long long)st.unindexed_young);
    cv_json_kv_int(&j, "index_objects_before", (long long)st.index_before);
    cv_json_kv_int(&j, "index_objects_after", (long long)st.index_after);
    cv_json_kv_double(&j, "seconds", st.seconds);
    cv_json_object_end(&j);
    cv_remover_close(rm);
    cv_repo_close(repo);
    if (err)
        rc = cli_fail("prune", err);
    else if (a.json)
        rc = cli_print_json("prune", &j);
    else
        print_text(&st, po.dry_run);
    cv_buf_free(&out);
    return rc;
}

const struct cli_command cli_cmd_prune = {
    .name = "prune",
    .section = CLI_VAULT,
    .summary = "remove the data no snapshot needs any more",
    .run = run,
};
