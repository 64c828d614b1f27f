/*
 * cmd_run.c: `chartvault run --config FILE [-n] [-v]`: the continuous-protection daemon in the
 * foreground (systemd supervises it; see packaging/). `-n` checks the config, its permissions
 * and its password files, and exits. Log lines go to stderr with a time stamp, or with syslog
 * priority prefixes that journald understands when it is running under systemd.
 */
#include "cli.h"

#include <chartvault/daemon.h>

#include <getopt.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: chartvault run --config FILE [-n] [-v]\n"
    "\n"
    "Run the protection daemon in the foreground: watch the SS-MIX2 tree and keep the index\n"
    "current, receive HL7 over MLLP into SS-MIX2 storage, snapshot into every repository on\n"
    "schedule, run restore drills, freeze on ransomware-like change, alert when anything stops.\n"
    "\n"
    "  -c, --config FILE   the configuration (see docs/CONFIG.md); must be private (chmod 600)\n"
    "  -n, --check         check the configuration and its password files, then exit\n"
    "  -v, --verbose       log debug lines too\n"
    "  -h, --help          this help\n"
    "\n"
    "SIGTERM/SIGINT stop it, SIGHUP asks for a full rescan. 'chartvault status' reports on it.\n";

static bool journal;

static void daemon_sink(enum cv_log_level level, const char *func, const char *msg, void *arg)
{
    static const int prio[] = {7, 6, 4, 3, 2}; /* debug info warning err crit */
    char when[32];

    (void)func;
    (void)arg;
    if (journal) {
        fprintf(stderr, "<%d>%s\n", prio[level], msg);
        return;
    }
    cv_time_format_iso(cv_now(), when, sizeof(when));
    fprintf(stderr, "%s chartvault[%ld]: %s: %s\n", when, (long)getpid(), cv_log_level_name(level),
            msg);
}

/* -n: beyond the file itself, say what would trouble the daemon at start (a source not
 * mounted yet is common at boot, so these are warnings, not failures). */
static void check_places(const struct cv_config *cfg)
{
    struct stat sb;
    char dir[4096];
    char *slash;

    if (cfg->source_path && (stat(cfg->source_path, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        printf("warning: [source] path '%s' is not a folder (yet?)\n", cfg->source_path);
    cv_strlcpy(dir, cfg->index_db, sizeof(dir));
    slash = strrchr(dir, '/');
    if (slash && slash != dir)
        *slash = '\0';
    if (stat(dir, &sb) != 0 || access(dir, W_OK) != 0)
        printf("warning: the folder of [index] db '%s' is missing or not writable\n", dir);
    for (size_t i = 0; i < cfg->nrepos; i++)
        if (cv_protect_reachable(&cfg->repos[i]) != CV_OK)
            printf("warning: [repo %s] %s\n", cfg->repos[i].name, cv_errmsg());
    if (!cfg->ncontacts)
        printf("warning: [contacts] is empty: the downtime packs and the report will say that "
               "nobody is named to call (docs/CONFIG.md)\n");
    for (int r = 0; cfg->ncontacts && r < CV_CONTACT_ROLES; r++)
        if (!cfg->contacts[r].name)
            printf("warning: [contacts] %s is not set\n", cv_contact_role_key(r));
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"check", no_argument, NULL, 'n'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    bool check_only = false, verbose = false;
    struct cv_config cfg;
    enum cv_err err;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:nvh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'n':
            check_only = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        default:
            return cli_usage_error("run", "unknown option");
        }
    }
    if (!config)
        return cli_usage_error("run", "--config FILE is required");
    if (optind < argc)
        return cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
    err = cv_config_load(config, &cfg);
    if (err)
        return cli_fail("run", err);
    if (check_only) {
        printf("%s: configuration OK (%zu repositor%s%s%s)\n", config, cfg.nrepos,
               cfg.nrepos == 1 ? "y" : "ies", cfg.mllp_listen ? ", MLLP on " : "",
               cfg.mllp_listen ? cfg.mllp_listen : "");
        check_places(&cfg);
        cv_config_free(&cfg);
        return CLI_EXIT_OK;
    }
    journal = getenv("JOURNAL_STREAM") != NULL;
    setvbuf(stderr, NULL, _IOLBF, 0);
    cv_log_set_sink(daemon_sink, NULL, verbose ? CV_LOG_DEBUG : CV_LOG_INFO);
    if (geteuid() == 0)
        log_warn("running as root; the shipped systemd unit runs as the 'chartvault' user");
    err = cv_daemon_run(&cfg);
    cv_config_free(&cfg);
    if (err)
        return cli_fail("run", err);
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_run = {
    .name = "run",
    .section = CLI_DAEMON,
    .summary = "the protection daemon: watch, MLLP, snapshots, drills, alerts",
    .run = run,
};
