/*
 * cmd_resume.c: `chartvault resume --config FILE [--note TEXT]`: after a person has looked at
 * a freeze (ransomware-like change in the source), accept the tree as it is now as the new
 * baseline. Waits up to 60 s for the running daemon to confirm.
 */
#include "cli.h"

#include <chartvault/daemon.h>

#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

static const char usage[] =
    "usage: chartvault resume --config FILE [--note TEXT] [--no-wait]\n"
    "\n"
    "Lift the freeze that 'chartvault run' sets when much of the source changes at once.\n"
    "Only do this after checking the source: the tree as it is now becomes the new baseline,\n"
    "is indexed (the viewer then shows it) and is snapshotted without the 'suspect' tag.\n"
    "\n"
    "  -c, --config FILE   the daemon's configuration\n"
    "      --note TEXT     who looked and what they found (kept in the state)\n"
    "      --no-wait       do not wait for the daemon to confirm\n"
    "  -h, --help          this help\n";

static int wait_for_daemon(const struct cv_config *cfg)
{
    struct cv_status *st = cv_malloc(sizeof(*st));
    int rc = CLI_EXIT_FAIL;

    if (!st)
        return cli_fail("resume", CV_ENOMEM);
    for (int i = 0; i < 600; i++) {
        if (cv_daemon_status(cfg, st) != CV_OK)
            break;
        if (!st->daemon_running) {
            printf("resume requested; the daemon is not running: the freeze lifts when it "
                   "starts\n");
            rc = CLI_EXIT_OK;
            break;
        }
        if (!st->frozen && !st->resume_requested) {
            printf("freeze lifted: the daemon took the current tree as the new baseline\n");
            rc = CLI_EXIT_OK;
            break;
        }
        usleep(100 * 1000);
    }
    if (rc != CLI_EXIT_OK)
        cli_failf("resume", "resume requested, but the daemon has not confirmed within 60 s; "
                            "see 'chartvault status'");
    cv_free(st);
    return rc;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"note", required_argument, NULL, 'm'},
                                         {"no-wait", no_argument, NULL, 'W'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *note = NULL;
    struct cv_config cfg;
    bool wait = true;
    enum cv_err err;
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'm':
            note = optarg;
            break;
        case 'W':
            wait = false;
            break;
        case 'h':
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        default:
            return cli_usage_error("resume", "unknown option");
        }
    }
    if (!config)
        return cli_usage_error("resume", "--config FILE is required");
    if (optind < argc)
        return cli_usage_error("resume", "unexpected argument '%s'", argv[optind]);
    err = cv_config_load(config, &cfg);
    if (!err)
        err = cv_daemon_become_state_owner(&cfg);
    if (!err)
        err = cv_daemon_resume(&cfg, note ? note : getenv("USER"));
    if (err)
        rc = cli_fail("resume", err);
    else if (wait)
        rc = wait_for_daemon(&cfg);
    else
        rc = (printf("resume requested\n"), CLI_EXIT_OK);
    cv_config_free(&cfg);
    return rc;
}

const struct cli_command cli_cmd_resume = {
    .name = "resume",
    .section = CLI_DAEMON,
    .summary = "lift the daemon's freeze after a person has checked the source",
    .run = run,
};
