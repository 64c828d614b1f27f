/*
 * cmd_serve.c: `chartvault serve`: runs the downtime viewer, the program chartvault-serve
 * (src/serve/), which links no repository code. The viewer is found beside this binary
 * (/proc/self/exe's folder), else in CV_LIBEXECDIR where the package puts it. With --repo
 * this command first forks the snapshot helper (snapshot_keeper.c), which alone opens the
 * repository and holds its key, then becomes the viewer with the helper's socket
 * (--keeper-fd): the viewer gets snapshots' indexes as files, never the key.
 */
#include "cli.h"
#include "snapshot_keeper.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#ifndef CV_LIBEXECDIR
#define CV_LIBEXECDIR "/usr/libexec/chartvault"
#endif
#define VIEWER "chartvault-serve"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: chartvault serve (--db FILE | --repo LOCATION [--snapshot ID|latest])\n"
            "                        --state DIR [--listen ADDR:PORT] [--packs DIR]\n"
            "                        [--tls-cert FILE --tls-key FILE] [--client-ca FILE]\n"
            "                        [--stale-minutes N] [--threads N] [--password-file FILE]\n"
            "                        [--request-timeout S] [--max-per-address N]\n\n"
            "Serve the reference index read-only over HTTPS to clinicians: patient search and\n"
            "summary, ward census and bed map, in Japanese (English on request). The viewer\n"
            "is the program chartvault-serve (beside chartvault, or in " CV_LIBEXECDIR "),\n"
            "which links no repository code; with --repo a helper process forked first\n"
            "holds the key and hands it snapshots' indexes as files.\n\n"
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

/* The viewer program: beside this binary, else where the package puts it. */
static enum cv_err find_viewer(char *out, size_t n)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (len > 0) {
        char *slash;

        self[len] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            if (cv_path_join(out, n, self, VIEWER) == CV_OK && access(out, X_OK) == 0)
                return CV_OK;
        }
    }
    if (cv_path_join(out, n, CV_LIBEXECDIR, VIEWER) == CV_OK && access(out, X_OK) == 0)
        return CV_OK;
    return cv_fail(CV_ENOENT,
                   "cannot find the viewer program " VIEWER " beside chartvault or in %s",
                   CV_LIBEXECDIR);
}

static int serve_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"state", required_argument, NULL, 's'},
        {"listen", required_argument, NULL, 'o'},
        {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'k'},
        {"client-ca", required_argument, NULL, 'o'},
        {"stale-minutes", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 'o'},
        {"repo", required_argument, NULL, 'r'},
        {"snapshot", required_argument, NULL, 'S'},
        {"password-file", required_argument, NULL, 'P'},
        {"packs", required_argument, NULL, 'o'},
        {"report", required_argument, NULL, 'o'},
        {"request-timeout", required_argument, NULL, 'o'},
        {"max-per-address", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *repo = NULL, *db = NULL, *state = NULL, *spec = NULL, *password_file = NULL;
    bool cert = false, key = false;
    char viewer[PATH_MAX], fdarg[16];
    char **vargv;
    size_t vn = 0;
    enum cv_err err;
    int c;

    /* room for every option and its value, --keeper-fd FD and the NULL */
    vargv = cv_calloc((size_t)argc * 2 + 4, sizeof(*vargv));
    if (!vargv)
        return cli_fail("serve", cv_fail(CV_ENOMEM, "out of memory"));
    vargv[vn++] = VIEWER;
    optind = 1;
    for (;;) {
        int from = optind;

        c = getopt_long(argc, argv, "+h", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'r':
            repo = optarg;
            continue; /* the repository and its passphrase stay here, with the helper */
        case 'P':
            password_file = optarg;
            continue;
        case 'h':
            usage(stdout);
            cv_free(vargv);
            return CLI_EXIT_OK;
        case 'd':
            db = optarg;
            break;
        case 's':
            state = optarg;
            break;
        case 'S':
            spec = optarg;
            break;
        case 'c':
            cert = true;
            break;
        case 'k':
            key = true;
            break;
        case 'o':
            break;
        default:
            cv_free(vargv);
            return cli_usage_error("serve", "unknown option");
        }
        /* everything else goes to the viewer as it was given ("--db F" or "--db=F") */
        for (int i = from; i < optind; i++)
            vargv[vn++] = argv[i];
    }
    if (optind < argc) {
        cv_free(vargv);
        return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    }
    if ((!db && !repo) || !state || (spec && (!repo || db)) || cert != key) {
        cv_free(vargv);
        return cli_usage_error("serve", "%s",
                               cert != key ? "--tls-cert and --tls-key go together"
                               : spec      ? "--snapshot goes with --repo (and without --db)"
                                           : "--db FILE or --repo LOCATION, and --state, are "
                                             "required");
    }
    err = find_viewer(viewer, sizeof(viewer));
    if (err) {
        cv_free(vargv);
        return cli_fail("serve", err);
    }
    if (repo) {
        int fd;
        pid_t pid;

        /* first of all, before any thread: the helper that alone will hold the key */
        err = cli_keeper_start(repo, password_file, &fd, &pid);
        if (err) {
            cv_free(vargv);
            return cli_fail("serve", err);
        }
        snprintf(fdarg, sizeof(fdarg), "%d", fd);
        vargv[vn++] = "--keeper-fd";
        vargv[vn++] = fdarg;
    }
    vargv[vn] = NULL;
    fflush(stdout);
    fflush(stderr);
    execv(viewer, vargv);
    err = cv_fail_errno(CV_EIO, "cannot run %s", viewer);
    cv_free(vargv);
    return cli_fail("serve", err);
}

const struct cli_command cli_cmd_serve = {
    .name = "serve",
    .section = CLI_VIEWER,
    .summary = "serve the downtime viewer over HTTPS (read-only)",
    .run = serve_run,
};
