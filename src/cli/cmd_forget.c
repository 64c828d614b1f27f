/*
 * cmd_forget.c: `chartvault forget`: remove the snapshots a keep policy does not keep (their
 * data stays until `chartvault prune`). It opens the repository for removal, which the daemon
 * never does: retention is an operator's act, with the operator's credentials.
 */
#include "vault_cli.h"

#include <chartvault/retention.h>

#include <limits.h>
#include <string.h>

static const char usage[] =
    "usage: chartvault forget --repo DIR|s3:URL [--keep-within DURATION] [--keep-last N]\n"
    "                         [--keep-hourly N] [--keep-daily N] [--keep-weekly N]\n"
    "                         [--keep-monthly N] [--keep-yearly N] [--tag TAG]\n"
    "                         [--dry-run] [--credentials FILE] [--password-file FILE] [--json]\n"
    "\n"
    "Remove the snapshots no rule keeps. Snapshots are judged per host and source, newest\n"
    "first; the newest of each is always kept. The data they held is removed by `prune`.\n"
    "\n"
    "  --keep-within D        every snapshot within D (30d, 12h) of the newest\n"
    "  --keep-last N          the newest N\n"
    "  --keep-hourly N        the newest of each of the last N hours that have one; also\n"
    "  --keep-daily N, --keep-weekly N, --keep-monthly N, --keep-yearly N (local time)\n"
    "  --tag TAG              judge only snapshots with this tag (the others are kept)\n"
    "  --dry-run              say what would be forgotten, remove nothing\n"
    "  --credentials FILE     S3: the operator's key, allowed s3:DeleteObjectVersion (the\n"
    "                         daemon's should not be); an object still locked is kept\n"
    "  --json                 print every snapshot's verdict and the totals as JSON\n";

struct forget_out {
    bool json, dry_run;
    struct cv_json *j;
    const struct cv_remover *rm; /* its `until` after a LOCKED answer */
};

static void on_verdict(void *arg, const struct cv_snapshot *s, bool keep, const char *why,
                       enum cv_remove_result res)
{
    struct forget_out *o = arg;
    char when[32];

    vault_format_time(s->time, when, sizeof(when));
    if (o->json) {
        cv_json_object_begin(o->j);
        cv_json_kv_string(o->j, "id", s->name);
        cv_json_kv_string(o->j, "time", when);
        cv_json_kv_string(o->j, "source", s->source ? s->source : "");
        cv_json_kv_bool(o->j, "keep", keep);
        cv_json_kv_string(o->j, "why", keep ? why : "");
        cv_json_kv_bool(o->j, "locked", res == CV_REMOVE_LOCKED);
        if (res == CV_REMOVE_LOCKED && o->rm->until)
            cv_json_kv_int(o->j, "locked_until", (long long)o->rm->until);
        cv_json_object_end(o->j);
        return;
    }
    if (keep) {
        printf("keep    %.8s  %s  (%s)\n", s->name, when, why);
    } else if (res == CV_REMOVE_LOCKED) {
        char until[32] = "its lock expires";

        if (o->rm->until)
            vault_format_time(o->rm->until, until, sizeof(until));
        printf("locked  %.8s  %s  (kept: the storage holds it until %s; forget it again then)\n",
               s->name, when, until);
    } else {
        printf("%s  %.8s  %s\n", o->dry_run ? "would forget" : "forget ", s->name, when);
    }
}

static int count_opt(const char *opt, const char *v, unsigned *out)
{
    long n;

    if (cli_parse_long(opt, v, 1, 1000000, &n) != CV_OK)
        return cli_usage_error("forget", "%s wants a count from 1", opt);
    *out = (unsigned)n;
    return CLI_EXIT_OK;
}

static int parse(int argc, char **argv, struct vault_args *a, struct cv_keep_policy *p,
                 bool *dry_run)
{
    static const struct option opts[] = {{"keep-within", required_argument, NULL, 'W'},
                                         {"keep-last", required_argument, NULL, 'L'},
                                         {"keep-hourly", required_argument, NULL, 'H'},
                                         {"keep-daily", required_argument, NULL, 'D'},
                                         {"keep-weekly", required_argument, NULL, 'K'},
                                         {"keep-monthly", required_argument, NULL, 'M'},
                                         {"keep-yearly", required_argument, NULL, 'Y'},
                                         {"tag", required_argument, NULL, 't'},
                                         {"dry-run", no_argument, NULL, 'n'},
                                         VAULT_COMMON_OPTIONS};
    int c, rc = CLI_EXIT_OK;
    long within;

    while (rc == CLI_EXIT_OK &&
           (c = getopt_long(argc, argv, VAULT_COMMON_SHORT, opts, NULL)) != -1) {
        if (c == VAULT_OPT_HELP)
            return -1;
        if (vault_common_opt(c, optarg, a))
            continue;
        switch (c) {
        case 'W':
            if (cv_parse_duration(optarg, &within) != CV_OK || within <= 0)
                return cli_usage_error("forget", "--keep-within wants a duration (30d, 12h)");
            p->within = within;
            break;
        case 'L':
            rc = count_opt("--keep-last", optarg, &p->last);
            break;
        case 'H':
            rc = count_opt("--keep-hourly", optarg, &p->hourly);
            break;
        case 'D':
            rc = count_opt("--keep-daily", optarg, &p->daily);
            break;
        case 'K':
            rc = count_opt("--keep-weekly", optarg, &p->weekly);
            break;
        case 'M':
            rc = count_opt("--keep-monthly", optarg, &p->monthly);
            break;
        case 'Y':
            rc = count_opt("--keep-yearly", optarg, &p->yearly);
            break;
        case 't':
            p->tag = optarg;
            break;
        case 'n':
            *dry_run = true;
            break;
        default:
            return cli_usage_error("forget", "unknown option");
        }
    }
    if (rc == CLI_EXIT_OK && optind != argc)
        return cli_usage_error("forget", "unexpected argument '%s'", argv[optind]);
    if (rc == CLI_EXIT_OK && !p->within && !p->last && !p->hourly && !p->daily && !p->weekly &&
        !p->monthly && !p->yearly)
        return cli_usage_error("forget", "give at least one --keep-... rule");
    return rc == CLI_EXIT_OK ? vault_need_repo("forget", a) : rc;
}

static int run(int argc, char **argv)
{
    struct vault_args a = {0};
    struct cv_keep_policy p = {0};
    struct cv_forget_stats st;
    struct cv_buf out = CV_BUF_INIT(1u << 30);
    struct cv_json j;
    struct forget_out o = {false, false, &j, NULL};
    struct cv_remover *rm = NULL;
    struct cv_repo *repo;
    enum cv_err err;
    int rc = parse(argc, argv, &a, &p, &o.dry_run);

    if (rc < 0)
        return vault_help(usage);
    if (rc != CLI_EXIT_OK || (rc = vault_open("forget", &a, &repo)) != 0)
        return rc;
    o.json = a.json;
    err = cv_remover_open_with(a.repo, &a.backend, &rm);
    if (err) {
        cv_repo_close(repo);
        return cli_fail("forget", err);
    }
    o.rm = rm;
    vault_report_warnings("forget", repo);
    cv_json_init(&j, &out, false);
    cv_json_object_begin(&j);
    cv_json_kv_bool(&j, "dry_run", o.dry_run);
    cv_json_key(&j, "snapshots");
    cv_json_array_begin(&j);
    err = cv_forget(repo, rm, &p, o.dry_run, on_verdict, &o, &st);
    cv_json_array_end(&j);
    cv_json_kv_int(&j, "kept", (long long)st.kept);
    cv_json_kv_int(&j, "forgotten", (long long)st.forgotten);
    cv_json_kv_int(&j, "locked", (long long)st.locked);
    cv_json_object_end(&j);
    cv_remover_close(rm);
    cv_repo_close(repo);
    if (err)
        rc = cli_fail("forget", err);
    else if (a.json)
        rc = cli_print_json("forget", &j);
    else
        printf("%llu snapshots kept, %llu %s%s; run 'chartvault prune' to remove their data\n",
               (unsigned long long)st.kept, (unsigned long long)st.forgotten,
               o.dry_run ? "would be forgotten" : "forgotten",
               st.locked ? " (some locked by the storage: kept for now)" : "");
    cv_buf_free(&out);
    return rc;
}

const struct cli_command cli_cmd_forget = {
    .name = "forget",
    .section = CLI_VAULT,
    .summary = "remove the snapshots a keep policy does not keep",
    .run = run,
};
