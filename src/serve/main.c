/*
 * main.c: chartvault-serve, the downtime viewer, as its own program. It opens the reference
 * index read-only and serves HTTPS only, making a self-signed certificate in the state folder
 * on first start when none is given. It links common, hl7, ssmix2, index and web and nothing
 * of the repository (no store, backend or daemon: CMakeLists.txt, test serve_links), so
 * whatever a clinician's request reaches, no code here can open a repository or hold its key.
 * `chartvault serve` runs it; with --repo, that command first forks the snapshot helper that
 * alone holds the key and hands its socket over (--keeper-fd), see src/cli/cmd_serve.c.
 */
#include "cli.h"
#include "keeper_client.h"

#include <chartvault/web.h>

#include <getopt.h>
#include <locale.h>
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
            "usage: chartvault-serve --db FILE --state DIR [--listen ADDR:PORT] [--packs DIR]\n"
            "                        [--tls-cert FILE --tls-key FILE] [--client-ca FILE]\n"
            "                        [--stale-minutes N] [--threads N]\n"
            "                        [--request-timeout S] [--max-per-address N]\n"
            "       (also run as 'chartvault serve', which adds --repo: see its --help)\n\n"
            "Serve the reference index read-only over HTTPS to clinicians: patient search and\n"
            "summary, ward census and bed map, in Japanese (English on request). This program\n"
            "links no repository code: it never opens a repository or holds its key.\n\n"
            "  --db FILE            the reference index (may be missing; replaced files are\n"
            "                       picked up without a restart)\n"
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
            "                       ward behind one NAT shares its address)\n"
            "  --keeper-fd FD       (set by 'chartvault serve --repo') the snapshot helper's\n"
            "                       socket; with --snapshot ID|latest when there is no --db\n");
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
    return serve_keeper_list(arg, v, n);
}

static enum cv_err snapshots_index_path(void *arg, const char *name, char *path, size_t n,
                                        long long *time)
{
    return serve_keeper_index(arg, name, path, n, NULL, time);
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
        {"snapshot", required_argument, NULL, 'S'},
        {"keeper-fd", required_argument, NULL, 'K'},
        {"packs", required_argument, NULL, 'p'},
        {"report", required_argument, NULL, 'R'},
        {"request-timeout", required_argument, NULL, 'T'},
        {"max-per-address", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cv_web_config cfg = {0};
    struct cv_web_snapshots snaps = {snapshots_list, snapshots_index_path, NULL};
    struct serve_keeper *keeper = NULL;
    const char *spec = NULL;
    char path[4096], name[80];
    long long snap_time = 0;
    long keeper_fd = -1;
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
        case 'S':
            spec = optarg;
            break;
        case 'K':
            if (cli_parse_long("--keeper-fd", optarg, 3, 65535, &keeper_fd))
                return cli_usage_error("serve", "%s", cv_errmsg());
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
    if ((!cfg.db_path && keeper_fd < 0) || !cfg.state_dir)
        return cli_usage_error("serve", "--db FILE or --repo LOCATION, and --state, are required");
    if (spec && (keeper_fd < 0 || cfg.db_path))
        return cli_usage_error("serve", "--snapshot goes with --repo (and without --db)");
    if (!cfg.tls_cert != !cfg.tls_key)
        return cli_usage_error("serve", "--tls-cert and --tls-key go together");
    if (keeper_fd >= 0) {
        err = serve_keeper_open((int)keeper_fd, &keeper);
        if (err)
            return cli_fail("serve", err);
        snaps.arg = keeper;
        cfg.snapshots = &snaps;
        if (cfg.db_path) { /* a wrong passphrase is said now, not at the first switch */
            struct cv_web_snapshot *e = NULL;
            size_t n;

            err = serve_keeper_list(keeper, &e, &n);
            cv_free(e);
            if (err) {
                serve_keeper_close(keeper);
                return cli_fail("serve", err);
            }
        }
    }
    if (keeper && !cfg.db_path) {
        err = serve_keeper_index(keeper, spec ? spec : "latest", path, sizeof(path), name,
                                 &snap_time);
        if (err) {
            serve_keeper_close(keeper);
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
    serve_keeper_close(keeper);
    return rc;
}

int main(int argc, char **argv)
{
    setlocale(LC_CTYPE, "");
    cli_log_to_stderr(false);
    if (cv_facility_zone_set(NULL) != CV_OK) { /* before any thread: it sets TZ */
        fprintf(stderr, "chartvault-serve: CHARTVAULT_TIMEZONE: %s\n", cv_errmsg());
        return CLI_EXIT_USAGE;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("chartvault-serve %s%s\n", CV_VERSION,
               cv_test_hooks() ? " (test build: honours CHARTVAULT_TEST_CLOCK_FILE)" : "");
        return CLI_EXIT_OK;
    }
    return serve_run(argc, argv);
}
