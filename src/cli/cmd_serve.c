/*
 * cmd_serve.c: `chartvault serve`: the downtime viewer. It opens the reference index
 * read-only and holds no repository key; it serves HTTPS only, making a self-signed
 * certificate in the state folder on first start when none is given. With --repo it serves
 * the index stored in a snapshot (on a laptop with an offline copy, say) and lets a doctor
 * switch to earlier ones; a helper process forked first holds the key (snapshot_keeper.c).
 */
#include "cli.h"
#include "snapshot_keeper.h"

#include <chartvault/web.h>

#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: chartvault serve (--db FILE | --repo LOCATION [--snapshot ID|latest])\n"
            "                        --state DIR [--listen ADDR:PORT] [--packs DIR]\n"
            "                        [--tls-cert FILE --tls-key FILE] [--client-ca FILE]\n"
            "                        [--stale-minutes N] [--threads N] [--password-file FILE]\n"
            "                        [--request-timeout S] [--max-per-address N]\n\n"
            "Serve the reference index read-only over HTTPS to clinicians: patient search and\n"
            "summary, ward census and bed map, in Japanese (English on request).\n\n"
            "  --db FILE            the reference index (may be missing; replaced files are\n"
            "                       picked up without a restart)\n"
            "  --repo LOCATION      a repository (or its offline copy): serve the index stored\n"
            "                       in a snapshot, and let doctors and admins switch to earlier\n"
            "                       ones (with --db: the live index, plus the switch)\n"
            "  --snapshot ID        the snapshot to serve with --repo alone (default latest)\n"
            "  --password-file FILE the repository passphrase (or $CHARTVAULT_PASSWORD, or asked)\n"
            "  --packs DIR          the daemon's downtime packs folder ([print] dir), listed\n"
            "                       per ward for download\n"
            "  --report DIR         the folder `chartvault report --dir` writes: the admin\n"
            "                       page offers its report and status for download\n"
            "  --state DIR          accounts, audit log, self-signed certificate\n"
            "  --listen ADDR:PORT   default 127.0.0.1:8443 ([::1]:8443 for IPv6)\n"
            "  --tls-cert/--tls-key a PEM certificate and its key (default: self-signed,\n"
            "                       made in DIR/tls/ on first start)\n"
            "  --client-ca FILE     demand client certificates signed by this CA\n"
            "  --stale-minutes N    the data banner turns red past N minutes (default 30)\n"
            "  --threads N          worker threads (default: one per core)\n"
            "  --request-timeout S  the most one request may take, TLS handshake to answer,\n"
            "                       however slowly its bytes come (default 30 s)\n"
            "  --max-per-address N  connections one client address may hold (default 32; a\n"
            "                       ward behind one NAT shares its address)\n");
}

static void warn_no_accounts(const char *state)
{
    struct cv_account_info *v = NULL;
    size_t n = 0;

    if (cv_account_list(state, &v, &n) == CV_OK && n == 0)
        printf("no accounts yet: add one with 'chartvault user add NAME --role admin --state "
               "%s'\n",
               state);
    cv_free(v);
}

/* The viewer's view of the snapshot helper. */
static enum cv_err snapshots_list(void *arg, struct cv_web_snapshot **v, size_t *n)
{
    struct cli_snapshot_entry *e;
    enum cv_err err = cli_keeper_list(arg, &e, n);

    *v = NULL;
    if (err)
        return err;
    *v = cv_calloc(*n ? *n : 1, sizeof(**v));
    if (!*v) {
        cv_free(e);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < *n; i++) {
        cv_strlcpy((*v)[i].name, e[i].name, sizeof((*v)[i].name));
        (*v)[i].time = e[i].time;
        (*v)[i].has_index = e[i].has_db;
        (*v)[i].suspect = e[i].suspect;
    }
    cv_free(e);
    return CV_OK;
}

static enum cv_err snapshots_index_path(void *arg, const char *name, char *path, size_t n,
                                        long long *time)
{
    return cli_keeper_index(arg, name, path, n, NULL, time);
}

static int serve_loop(const struct cv_web_config *cfg)
{
    struct cv_web *w;
    char *fp;
    bool made;
    enum cv_err err = cv_web_start(cfg, &w, &fp, &made);

    if (err)
        return cli_fail("serve", err);
    printf("chartvault serve: https://%s/\n", cfg->listen ? cfg->listen : "127.0.0.1:8443");
    printf("certificate SHA-256 fingerprint: %s%s\n", fp,
           made ? " (self-signed, made now in the state folder's tls/)" : "");
    warn_no_accounts(cfg->state_dir);
    fflush(stdout);
    cv_free(fp);
    while (!stop_requested) {
        sleep(1);
        cv_web_tick(w);
    }
    cv_web_stop(w);
    return CLI_EXIT_OK;
}

static int serve_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"state", required_argument, NULL, 's'},
        {"listen", required_argument, NULL, 'l'},
        {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'k'},
        {"client-ca", required_argument, NULL, 'a'},
        {"stale-minutes", required_argument, NULL, 'm'},
        {"threads", required_argument, NULL, 't'},
        {"repo", required_argument, NULL, 'r'},
        {"snapshot", required_argument, NULL, 'S'},
        {"password-file", required_argument, NULL, 'P'},
        {"packs", required_argument, NULL, 'p'},
        {"report", required_argument, NULL, 'R'},
        {"request-timeout", required_argument, NULL, 'T'},
        {"max-per-address", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cv_web_config cfg = {0};
    struct cv_web_snapshots snaps = {snapshots_list, snapshots_index_path, NULL};
    struct cli_keeper *keeper = NULL;
    const char *repo = NULL, *spec = NULL, *password_file = NULL;
    char path[4096], name[80];
    long long snap_time = 0;
    struct sigaction sa;
    enum cv_err err;
    long v;
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            cfg.db_path = optarg;
            break;
        case 's':
            cfg.state_dir = optarg;
            break;
        case 'l':
            cfg.listen = optarg;
            break;
        case 'c':
            cfg.tls_cert = optarg;
            break;
        case 'k':
            cfg.tls_key = optarg;
            break;
        case 'a':
            cfg.client_ca = optarg;
            break;
        case 'm':
            if (cli_parse_long("--stale-minutes", optarg, 1, 100000, &cfg.stale_minutes))
                return cli_usage_error("serve", "%s", cv_errmsg());
            break;
        case 't':
            if (cli_parse_long("--threads", optarg, 1, 64, &v))
                return cli_usage_error("serve", "%s", cv_errmsg());
            cfg.threads = (unsigned)v;
            break;
        case 'r':
            repo = optarg;
            break;
        case 'S':
            spec = optarg;
            break;
        case 'P':
            password_file = optarg;
            break;
        case 'p':
            cfg.packs_dir = optarg;
            break;
        case 'R':
            cfg.report_dir = optarg;
            break;
        case 'T':
            if (cli_parse_long("--request-timeout", optarg, 2, 3600, &v))
                return cli_usage_error("serve", "%s", cv_errmsg());
            cfg.request_secs = (unsigned)v;
            break;
        case 'M':
            if (cli_parse_long("--max-per-address", optarg, 1, 1024, &v))
                return cli_usage_error("serve", "%s", cv_errmsg());
            cfg.per_address = (unsigned)v;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            return cli_usage_error("serve", "unknown option");
        }
    }
    if (optind < argc)
        return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    if ((!cfg.db_path && !repo) || !cfg.state_dir)
        return cli_usage_error("serve", "--db FILE or --repo LOCATION, and --state, are required");
    if (spec && (!repo || cfg.db_path))
        return cli_usage_error("serve", "--snapshot goes with --repo (and without --db)");
    if (!cfg.tls_cert != !cfg.tls_key)
        return cli_usage_error("serve", "--tls-cert and --tls-key go together");
    if (repo) {
        /* first of all, before any thread: the helper that alone will hold the key */
        err = cli_keeper_start(repo, password_file, &keeper);
        if (err)
            return cli_fail("serve", err);
        snaps.arg = keeper;
        cfg.snapshots = &snaps;
        if (cfg.db_path) { /* a wrong passphrase is said now, not at the first switch */
            struct cli_snapshot_entry *e = NULL;
            size_t n;

            err = cli_keeper_list(keeper, &e, &n);
            cv_free(e);
            if (err) {
                cli_keeper_stop(keeper);
                return cli_fail("serve", err);
            }
        }
    }
    if (repo && !cfg.db_path) {
        err =
            cli_keeper_index(keeper, spec ? spec : "latest", path, sizeof(path), name, &snap_time);
        if (err) {
            cli_keeper_stop(keeper);
            return cli_fail("serve", err);
        }
        cfg.db_path = path;
        cfg.snapshot_name = name;
        cfg.snapshot_time = snap_time;
        printf("serving the index of snapshot %.8s\n", name);
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = serve_loop(&cfg);
    cli_keeper_stop(keeper);
    return rc;
}

const struct cli_command cli_cmd_serve = {
    .name = "serve",
    .section = CLI_VIEWER,
    .summary = "serve the downtime viewer over HTTPS (read-only)",
    .run = serve_run,
};
