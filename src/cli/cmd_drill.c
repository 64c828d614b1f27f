/*
 * cmd_drill.c: `chartvault drill [--full] --config FILE [--repo NAME] [--json]`: one restore
 * drill of each configured repository now, as the daemon runs them, recorded in the daemon's
 * state (status and report read it). --full restores the newest snapshots completely and
 * times it: the measured recovery time, compared with [drill] rto.
 */
#include "cli.h"

#include <chartvault/daemon.h>

#include <getopt.h>
#include <stdio.h>

static const char usage[] =
    "usage: chartvault drill --config FILE [--full] [--repo NAME] [--json]\n"
    "\n"
    "Prove now that the data can be restored, as 'chartvault run' does on its schedule: from\n"
    "each repository of the configuration, restore the newest snapshots of the source and of\n"
    "the MLLP storage (a random sample of [drill] sample files, or everything with --full)\n"
    "into scratch space under the state folder, verify every restored file (its size, the\n"
    "live file's bytes when it has not changed since, HL7), restore the index and open it,\n"
    "then delete the scratch copy. The result is recorded in the daemon's state, where\n"
    "'chartvault status' and 'chartvault report' read it. Safe beside a running daemon.\n"
    "\n"
    "  -c, --config FILE   the daemon's configuration\n"
    "      --full          restore everything and time it: the measured recovery time of\n"
    "                      the data, compared with [drill] rto (default 4 h); needs free\n"
    "                      space for a whole copy (checked first)\n"
    "  -r, --repo NAME     only this repository\n"
    "      --json          the results as JSON\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 every drill passed (and, with --full, within the RTO), 1 a drill failed\n"
    "or could not run, 3 every drill passed but a full restore took longer than the RTO.\n";

struct results {
    struct cv_json *j;
    int rc;
};

static void done(const struct cv_drill_report *r, void *arg)
{
    struct results *res = arg;
    char size[32];

    cli_progress_done();
    if (!r->ok)
        res->rc = CLI_EXIT_FAIL;
    else if (r->over_rto && res->rc == CLI_EXIT_OK)
        res->rc = 3;
    if (res->j) {
        cv_json_object_begin(res->j);
        cv_json_kv_string(res->j, "repo", r->repo);
        cv_json_kv_string(res->j, "kind", r->full ? "full" : "sample");
        cv_json_kv_string(res->j, "snapshot", r->snap_id);
        cv_json_kv_bool(res->j, "ran", r->ran);
        cv_json_kv_bool(res->j, "ok", r->ok);
        cv_json_kv_int(res->j, "files", r->files);
        cv_json_kv_int(res->j, "bytes", r->bytes);
        cv_json_kv_int(res->j, "errors", r->errors);
        cv_json_kv_double(res->j, "seconds", r->seconds);
        if (r->full) {
            cv_json_kv_int(res->j, "rto_seconds", r->rto);
            cv_json_kv_bool(res->j, "within_rto", !r->over_rto);
        }
        cv_json_kv_string(res->j, "detail", r->detail);
        cv_json_object_end(res->j);
        return;
    }
    cli_format_bytes((uint64_t)r->bytes, size, sizeof(size));
    if (!r->ran)
        printf("repo %s: %s drill could not run: %s\n", r->repo, r->full ? "full" : "sample",
               r->detail);
    else if (!r->ok)
        printf("repo %s: %s drill FAILED (snapshot %s, %lld errors): %s\n", r->repo,
               r->full ? "full" : "sample", r->snap_id, r->errors, r->detail);
    else if (r->full)
        printf("repo %s: full drill passed: snapshot %s, %lld files (%s) restored and verified "
               "in %.1f s; RTO %ld s%s\n",
               r->repo, r->snap_id, r->files, size, r->seconds, r->rto,
               r->over_rto ? ": OVER THE RTO" : "");
    else
        printf("repo %s: sample drill passed: snapshot %s, %lld files restored and verified in "
               "%.1f s\n",
               r->repo, r->snap_id, r->files, r->seconds);
    fflush(stdout);
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"full", no_argument, NULL, 'F'},
        {"repo", required_argument, NULL, 'r'},   {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    struct cv_buf out = CV_BUF_INIT(1 << 20);
    struct cv_drill_opts o = {.progress = cli_progress, .done = done};
    struct results res = {NULL, CLI_EXIT_OK};
    const char *config = NULL;
    struct cv_config cfg;
    bool json = false;
    enum cv_err err;
    struct cv_json j;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:r:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'F':
            o.full = true;
            break;
        case 'r':
            o.repo = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        default:
            return cli_usage_error("drill", "unknown option");
        }
    }
    if (!config)
        return cli_usage_error("drill", "--config FILE is required");
    if (optind < argc)
        return cli_usage_error("drill", "unexpected argument '%s'", argv[optind]);
    err = cv_config_load(config, &cfg);
    if (err)
        return cli_fail("drill", err);
    if (json) {
        cv_json_init(&j, &out, true);
        cv_json_array_begin(&j);
        res.j = &j;
    }
    o.done_arg = &res;
    err = cv_daemon_become_state_owner(&cfg);
    if (!err)
        err = cv_daemon_drill(&cfg, &o);
    cli_progress_done();
    cv_config_free(&cfg);
    if (err) {
        cv_buf_free(&out);
        return cli_fail("drill", err);
    }
    if (json) {
        cv_json_array_end(&j);
        if (cli_print_json("drill", &j) != CLI_EXIT_OK)
            res.rc = CLI_EXIT_FAIL;
    }
    cv_buf_free(&out);
    return res.rc;
}

const struct cli_command cli_cmd_drill = {
    .name = "drill",
    .section = CLI_DAEMON,
    .summary = "prove a restore now: a sample, or --full with the recovery time measured",
    .run = run,
};
