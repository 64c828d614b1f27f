/*
 * cmd_index.c: `chartvault index --source DIR --db FILE`: builds the reference index from an
 * SS-MIX2 tree, then keeps it up to date on later runs (only new, renamed, changed and
 * vanished files are read). Ends with a summary; rejected files are recorded in the index
 * with their reasons (`chartvault query rejected`), and do not make the run fail.
 */
#include "cli.h"

#include <chartvault/index.h>

#include <getopt.h>
#include <string.h>

static const char usage[] =
    "usage: chartvault index --source DIR --db FILE [--json] [--reread] [--settle SECONDS]\n"
    "                        [--max-file-size BYTES] [--verbose]\n"
    "\n"
    "Build or update the reference index of an SS-MIX2 tree. The first run reads every file;\n"
    "later runs read only new, renamed, changed and vanished ones.\n"
    "\n"
    "  --source DIR          root of the SS-MIX2 storage (the facility folder)\n"
    "  --db FILE             the index (SQLite); created when missing\n"
    "  --json                print the summary as one JSON object\n"
    "  --reread              read and parse every file again (after an upgrade)\n"
    "  --settle SECONDS      leave files changed this recently that do not parse for the\n"
    "                        next run, as the EHR may still be writing them (default 0)\n"
    "  --max-file-size BYTES reject files above this size (default 16777216)\n"
    "  --verbose             say what takes the time\n"
    "\n"
    "Exit 0 when the run completed (even with rejected files), 1 when it could not run.\n";

static void print_summary(const char *source, const char *db, const struct cv_index_stats *s)
{
    printf("indexed '%s' into '%s' in %.2f s\n", source, db, s->seconds);
    printf("  seen %llu, new %llu, updated %llu, renamed %llu, superseded %llu, deleted %llu, "
           "vanished %llu, rejected %llu\n",
           (unsigned long long)s->seen, (unsigned long long)s->new_files,
           (unsigned long long)s->updated, (unsigned long long)s->renamed,
           (unsigned long long)s->superseded, (unsigned long long)s->deleted,
           (unsigned long long)s->vanished, (unsigned long long)s->rejected);
    if (s->deferred)
        printf("  %llu files left for the next run (still being written or gone while read)\n",
               (unsigned long long)s->deferred);
    if (s->rejected)
        printf("  rejected files and reasons: chartvault query --db '%s' rejected\n", db);
}

static int print_json(const struct cv_index_stats *s)
{
    struct cv_buf out = CV_BUF_INIT(4096);
    struct cv_json j;
    int rc;

    cv_json_init(&j, &out, false);
    cv_json_object_begin(&j);
    cv_json_kv_int(&j, "seen", (long long)s->seen);
    cv_json_kv_int(&j, "new", (long long)s->new_files);
    cv_json_kv_int(&j, "updated", (long long)s->updated);
    cv_json_kv_int(&j, "superseded", (long long)s->superseded);
    cv_json_kv_int(&j, "deleted", (long long)s->deleted);
    cv_json_kv_int(&j, "rejected", (long long)s->rejected);
    cv_json_kv_double(&j, "seconds", s->seconds);
    cv_json_kv_int(&j, "renamed", (long long)s->renamed);
    cv_json_kv_int(&j, "vanished", (long long)s->vanished);
    cv_json_kv_int(&j, "unchanged", (long long)s->unchanged);
    cv_json_kv_int(&j, "deferred", (long long)s->deferred);
    cv_json_kv_int(&j, "skipped", (long long)s->skipped);
    cv_json_kv_int(&j, "bytes", (long long)s->bytes);
    cv_json_object_end(&j);
    rc = cli_print_json("index", &j);
    cv_buf_free(&out);
    return rc;
}

struct args {
    const char *source, *db;
    bool json;
    struct cv_index_options opt;
};

/* Returns -1 when the run should go on, else the exit status. */
static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {
        {"source", required_argument, NULL, 's'},
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"reread", no_argument, NULL, 'r'},
        {"settle", required_argument, NULL, 'S'},
        {"max-file-size", required_argument, NULL, 'M'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long v;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 's')
            a->source = optarg;
        else if (c == 'd')
            a->db = optarg;
        else if (c == 'j')
            a->json = true;
        else if (c == 'r')
            a->opt.reread = true;
        else if (c == 'v')
            cli_log_to_stderr(true);
        else if (c == 'S' && !cli_parse_long("--settle", optarg, 0, 86400, &v))
            a->opt.settle_seconds = (unsigned)v;
        else if (c == 'M' && !cli_parse_long("--max-file-size", optarg, 1024, 1L << 30, &v))
            a->opt.max_file_bytes = (size_t)v;
        else if (c == 'h')
            return fputs(usage, stdout), CLI_EXIT_OK;
        else
            return cli_usage_error("index", "%s",
                                   c == 'S' || c == 'M' ? cv_errmsg() : "unknown option");
    }
    if (optind < argc)
        return cli_usage_error("index", "unexpected argument '%s'", argv[optind]);
    if (!a->source || !a->db)
        return cli_usage_error("index", "--source and --db are required");
    return -1;
}

static int run_index(int argc, char **argv)
{
    struct args a = {.opt = {.progress = cli_progress}};
    struct cv_index_stats stats;
    struct cv_index *idx;
    enum cv_err err;
    int rc = parse_args(argc, argv, &a);

    if (rc >= 0)
        return rc;
    err = cv_index_open(a.db, 0, &idx);
    if (err)
        return cli_fail("index", err);
    err = cv_index_update(idx, a.source, &a.opt, &stats);
    cli_progress_done();
    cv_index_close(idx);
    if (err)
        return cli_fail("index", err);
    if (a.json)
        return print_json(&stats);
    print_summary(a.source, a.db, &stats);
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_index = {
    .name = "index",
    .section = CLI_DATA,
    .summary = "build or update the reference index of an SS-MIX2 tree",
    .run = run_index,
};
