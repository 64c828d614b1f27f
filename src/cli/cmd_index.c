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
    "                        [--max-file-size BYTES]\n"
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

static int run_index(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"source", required_argument, NULL, 's'}, {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},         {"reread", no_argument, NULL, 'r'},
        {"settle", required_argument, NULL, 'S'}, {"max-file-size", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct cv_index_options opt = {.progress = cli_progress};
    const char *source = NULL, *dbpath = NULL;
    struct cv_index_stats stats;
    struct cv_index *idx;
    bool json = false;
    enum cv_err err;
    long v;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            source = optarg;
            break;
        case 'd':
            dbpath = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'r':
            opt.reread = true;
            break;
        case 'S':
            if (cli_parse_long("--settle", optarg, 0, 86400, &v))
                return cli_usage_error("index", "%s", cv_errmsg());
            opt.settle_seconds = (unsigned)v;
            break;
        case 'M':
            if (cli_parse_long("--max-file-size", optarg, 1024, 1L << 30, &v))
                return cli_usage_error("index", "%s", cv_errmsg());
            opt.max_file_bytes = (size_t)v;
            break;
        case 'h':
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        default:
            return cli_usage_error("index", "unknown option");
        }
    }
    if (optind < argc)
        return cli_usage_error("index", "unexpected argument '%s'", argv[optind]);
    if (!source || !dbpath)
        return cli_usage_error("index", "--source and --db are required");
    err = cv_index_open(dbpath, 0, &idx);
    if (err)
        return cli_fail("index", err);
    err = cv_index_update(idx, source, &opt, &stats);
    cli_progress_done();
    cv_index_close(idx);
    if (err)
        return cli_fail("index", err);
    if (json)
        return print_json(&stats);
    print_summary(source, dbpath, &stats);
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_index = {
    .name = "index",
    .section = CLI_DATA,
    .summary = "build or update the reference index of an SS-MIX2 tree",
    .run = run_index,
};
