/*
 * cmd_status.c: `chartvault status --config FILE [--json]`: one verdict (OK, WARN, CRIT) with
 * its reasons, then per repository the newest snapshot and its age, size, last check and last
 * drill; the source's last change; MLLP counters; anomalies; and the 3-2-1-1-0 line.
 */
#include "cli.h"

#include <chartvault/daemon.h>

#include <getopt.h>
#include <string.h>

static const char usage[] =
    "usage: chartvault status --config FILE [--json]\n"
    "\n"
    "Say whether the hospital's data is protected right now: one verdict (OK, WARN, CRIT) and\n"
    "why, each repository's newest snapshot, its age and size, the last check and restore\n"
    "drill, the source's last change, MLLP counters, recent anomalies, and the 3-2-1-1-0 rule.\n"
    "\n"
    "  -c, --config FILE   the daemon's configuration\n"
    "      --json          the same as a JSON document\n"
    "  -h, --help          this help\n";

static const char *verdict_name(enum cv_verdict v)
{
    return v == CV_VERDICT_CRIT ? "CRIT" : v == CV_VERDICT_WARN ? "WARN" : "OK";
}

static void when(long long t, char *buf, size_t n)
{
    char at[20];
    long long age = (long long)cv_now() - t;

    if (!t) {
        cv_strlcpy(buf, "never", n);
        return;
    }
    cv_time_format_minutes((time_t)t, at, sizeof(at));
    if (age < 120)
        snprintf(buf, n, "%s (%lld s ago)", at, age);
    else if (age < 7200)
        snprintf(buf, n, "%s (%lld min ago)", at, age / 60);
    else
        snprintf(buf, n, "%s (%lld h ago)", at, age / 3600);
}

static void print_repo(const struct cv_status_repo *r)
{
    char t[64], size[32], drill[64], check[64];

    printf("repo %s: %s\n", r->name, r->path);
    if (r->newest_time) {
        when(r->newest_time, t, sizeof(t));
        cli_format_bytes((uint64_t)r->bytes, size, sizeof(size));
        printf("  newest snapshot %s at %s, %lld files, repository %s%s\n", r->newest_id, t,
               r->files, size, r->newest_suspect ? " [suspect]" : "");
    } else {
        printf("  no snapshot yet\n");
    }
    if (r->error[0])
        printf("  problem: %s\n", r->error);
    when(r->check_time, check, sizeof(check));
    when(r->drill_time, drill, sizeof(drill));
    printf("  last check: %s%s\n", check,
           !r->check_time ? ""
           : r->check_ok  ? ", passed"
                          : ", FAILED");
    if (r->drill_time)
        printf("  last drill: %s, %s (%lld files, %lld errors)%s%s\n", drill,
               r->drill_ok ? "passed" : "FAILED", r->drill_files, r->drill_errors,
               r->drill_ok ? "" : ": ", r->drill_ok ? "" : r->drill_detail);
    else
        printf("  last drill: never\n");
    if (r->full_time) {
        when(r->full_time, drill, sizeof(drill));
        printf("  last full drill: %s, %s: %lld files in %.1f s (RTO %lld s)%s%s\n", drill,
               !r->full_ok                             ? "FAILED"
               : r->full_seconds > (double)r->full_rto ? "OVER THE RTO"
                                                       : "passed",
               r->full_files, r->full_seconds, r->full_rto, r->full_ok ? "" : ": ",
               r->full_ok ? "" : r->full_detail);
    } else {
        printf("  last full drill: never\n");
    }
}

static void print_text(const struct cv_config *cfg, const struct cv_status *st)
{
    char t[64];

    printf("status: %s\n", verdict_name(st->verdict));
    for (size_t i = 0; i < st->nproblems; i++)
        printf("  %-4s %s\n", verdict_name(st->problem_level[i]), st->problems[i]);
    if (st->daemon_running)
        printf("daemon: running (pid %lld)\n", st->daemon_pid);
    else
        printf("daemon: NOT running\n");
    if (st->frozen) {
        when(st->frozen_since, t, sizeof(t));
        printf("freeze: FROZEN since %s: %s\n", t, st->frozen_reason);
    }
    when(st->source_last_change, t, sizeof(t));
    printf("source: %s%s%s: %lld files, last change %s\n", cfg->source_path ? cfg->source_path : "",
           cfg->source_path && cfg->mllp_storage ? " + " : "",
           cfg->mllp_storage ? cfg->mllp_storage : "", st->source_files, t);
    if (st->mllp_configured)
        printf("mllp: %s %s: %lld messages (%lld AA, %lld AE, %lld AR), %lld connections, "
               "%lld refused\n",
               st->mllp_listen, st->mllp_up ? "up" : "DOWN", st->mllp_messages, st->mllp_accepted,
               st->mllp_errors, st->mllp_rejected, st->mllp_connections, st->mllp_refused);
    else
        printf("mllp: not configured\n");
    for (size_t i = 0; i < st->nrepos; i++)
        print_repo(&st->repos[i]);
    for (size_t i = 0; i < st->nanomalies; i++) {
        const struct cv_status_anomaly *a = &st->anomalies[i];

        when(a->time, t, sizeof(t));
        printf("anomaly %s in %s: of %lld files %lld changed, %lld unparseable, %lld "
               "high-entropy, %lld renamed to unknown names, %lld vanished%s\n",
               t, a->root, a->existing, a->changed, a->unparseable, a->high_entropy,
               a->renamed_unknown, a->vanished, a->froze ? " -> FROZE" : "");
    }
    printf("%s\n", st->rule_line);
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct cv_buf out = CV_BUF_INIT(1 << 20);
    const char *config = NULL;
    struct cv_status *st;
    struct cv_config cfg;
    bool json = false;
    enum cv_err err;
    struct cv_json j;
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        default:
            return cli_usage_error("status", "unknown option");
        }
    }
    if (!config)
        return cli_usage_error("status", "--config FILE is required");
    if (optind < argc)
        return cli_usage_error("status", "unexpected argument '%s'", argv[optind]);
    err = cv_config_load(config, &cfg);
    if (err)
        return cli_fail("status", err);
    st = cv_malloc(sizeof(*st));
    err = st ? cv_daemon_become_state_owner(&cfg) : cv_fail(CV_ENOMEM, "out of memory");
    if (!err)
        err = cv_daemon_status(&cfg, st);
    if (err) {
        rc = cli_fail("status", err);
    } else if (json) {
        cv_json_init(&j, &out, true);
        cv_status_to_json(st, &j);
        rc = cli_print_json("status", &j);
    } else {
        print_text(&cfg, st);
        rc = CLI_EXIT_OK;
    }
    cv_buf_free(&out);
    cv_free(st);
    cv_config_free(&cfg);
    return rc;
}

const struct cli_command cli_cmd_status = {
    .name = "status",
    .section = CLI_DAEMON,
    .summary = "is the data protected? one verdict, every copy's age, drills, 3-2-1-1-0",
    .run = run,
};
