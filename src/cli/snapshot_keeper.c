/*
 * snapshot_keeper.c: the helper process of `chartvault serve --repo`. It is forked before
 * anything else happens, asks for the repository's passphrase, and from then on is the only
 * process that holds the key: on request over a socket it lists the snapshots and writes a
 * snapshot's reference index into a private temporary folder. The viewer (the parent, which
 * then becomes chartvault-serve, the only process clinicians reach, and links no repository
 * code) never sees the key; it gets file names. Messages are
 * length-prefixed and size-checked both ways; the keeper listens on no network socket and
 * exits when the viewer goes.
 */
#include "snapshot_keeper.h"
#include "snapshot_index.h"

#include <chartvault/web.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DUMPS_MAX 8 /* snapshot indexes kept on disk at once */

/* ---- the keeper's side ---------------------------------------------------------------------- */

struct dump {
    struct cli_snapshot_index s;
    uint64_t used;
};

static void reply_error(int fd, const char *why)
{
    char msg[600];

    snprintf(msg, sizeof(msg), "E%s", why);
    (void)cv_frame_send(fd, msg, strlen(msg), CLI_KEEPER_MSG_MAX);
}

static void keeper_list(int fd, struct cv_repo *r)
{
    struct cli_snapshot_entry *v;
    size_t n;

    if (cli_snapshot_list("serve", r, &v, &n) != 0) {
        reply_error(fd, "cannot list the snapshots (see the viewer's log)");
        return;
    }
    {
        size_t len = 1 + n * sizeof(struct cv_web_snapshot);
        char *msg = cv_malloc(len);

        if (!msg) {
            reply_error(fd, "out of memory");
        } else {
            msg[0] = 'L';
            for (size_t i = 0; i < n; i++) {
                struct cv_web_snapshot w;

                memset(&w, 0, sizeof(w));
                cv_strlcpy(w.name, v[i].name, sizeof(w.name));
                w.time = v[i].time;
                w.has_index = v[i].has_db;
                w.suspect = v[i].suspect;
                memcpy(msg + 1 + i * sizeof(w), &w, sizeof(w));
            }
            (void)cv_frame_send(fd, msg, len, CLI_KEEPER_MSG_MAX);
            cv_free(msg);
        }
    }
    cv_free(v);
}

static void keeper_dump(int fd, struct cv_repo *r, const char *repo, const char *spec,
                        struct dump *dumps, uint64_t *tick)
{
    struct dump *slot = &dumps[0];
    char msg[4400];

    for (size_t i = 0; i < DUMPS_MAX; i++) {
        struct dump *d = &dumps[i];

        if (d->s.path && (strcmp(d->s.name, spec) == 0)) {
            d->used = ++*tick;
            snprintf(msg, sizeof(msg), "D%lld %s %s", d->s.time, d->s.name, d->s.path);
            (void)cv_frame_send(fd, msg, strlen(msg), CLI_KEEPER_MSG_MAX);
            return;
        }
        if (d->used < slot->used)
            slot = d;
    }
    cli_snapshot_index_drop(&slot->s); /* the least recently asked for makes room */
    if (cli_snapshot_index_from("serve", r, repo, spec, &slot->s) != 0) {
        reply_error(fd, "cannot read that snapshot's index (see the viewer's log)");
        return;
    }
    slot->used = ++*tick;
    snprintf(msg, sizeof(msg), "D%lld %s %s", slot->s.time, slot->s.name, slot->s.path);
    (void)cv_frame_send(fd, msg, strlen(msg), CLI_KEEPER_MSG_MAX);
}

static void keeper_main(int fd, const char *repo, const char *pwfile)
{
    struct dump dumps[DUMPS_MAX];
    struct cv_repo *r;
    uint64_t tick = 0;
    char *req;
    size_t n;

    memset(dumps, 0, sizeof(dumps));
    /* a stop signal to the whole group (^C, systemd) is for the viewer: when it is gone,
     * however it went, the socket ends and the keeper removes its copies and exits */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    if (cli_repo_open("serve", repo, pwfile, &r) != 0) {
        /* answer every request with the reason, until the viewer gives up */
        while (cv_frame_recv(fd, &req, &n, CLI_KEEPER_MSG_MAX)) {
            reply_error(fd, "cannot open the repository (see above)");
            cv_free(req);
        }
        return;
    }
    while (cv_frame_recv(fd, &req, &n, CLI_KEEPER_MSG_MAX)) {
        if (n == 1 && req[0] == 'L')
            keeper_list(fd, r);
        else if (n > 1 && n < 100 && req[0] == 'D')
            keeper_dump(fd, r, repo, req + 1, dumps, &tick);
        else
            reply_error(fd, "bad request");
        cv_free(req);
    }
    for (size_t i = 0; i < DUMPS_MAX; i++)
        cli_snapshot_index_drop(&dumps[i].s);
    cli_repo_close(r);
}

/* ---- starting it ----------------------------------------------------------------------------- */

enum cv_err cli_keeper_start(const char *repo, const char *password_file, int *fd, pid_t *pid)
{
    int sv[2];

    *fd = -1;
    *pid = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return cv_fail_errno(CV_EIO, "cannot make a socket pair");
    fflush(stdout);
    fflush(stderr);
    *pid = fork();
    if (*pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return cv_fail_errno(CV_EIO, "cannot fork the snapshot helper");
    }
    if (*pid == 0) {
        close(sv[0]);
        keeper_main(sv[1], repo, password_file);
        _exit(0);
    }
    close(sv[1]);
    /* the viewer's end goes to chartvault-serve across exec; nothing else is inherited */
    if (fcntl(sv[0], F_SETFD, 0) != 0) {
        close(sv[0]);
        return cv_fail_errno(CV_EIO, "cannot hand the snapshot helper's socket to the viewer");
    }
    *fd = sv[0];
    return CV_OK;
}
