/*
 * snapshot_keeper.c: the helper process of `chartvault serve --repo`. It is forked before
 * anything else happens, asks for the repository's passphrase, and from then on is the only
 * process that holds the key: on request over a socket it lists the snapshots and writes a
 * snapshot's reference index into a private temporary folder. The viewer (the parent, the
 * only process clinicians reach) never sees the key; it gets file names. Messages are
 * length-prefixed and size-checked both ways; the keeper listens on no network socket and
 * exits when the viewer goes.
 */
#include "snapshot_keeper.h"
#include "snapshot_index.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MSG_MAX   (64u << 20) /* a list of every snapshot: about 100 bytes each */
#define DUMPS_MAX 8           /* snapshot indexes kept on disk at once */

struct cli_keeper {
    int fd;
    pid_t pid;
    pthread_mutex_t mu;
};

/* ---- framing -------------------------------------------------------------------------------- */

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n) {
        ssize_t w = write(fd, c, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

static bool read_all(int fd, void *p, size_t n)
{
    char *c = p;

    while (n) {
        ssize_t r = read(fd, c, n);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        c += r;
        n -= (size_t)r;
    }
    return true;
}

static bool send_msg(int fd, const void *p, size_t n)
{
    uint32_t len = (uint32_t)n;

    return n <= MSG_MAX && write_all(fd, &len, sizeof(len)) && write_all(fd, p, n);
}

/* [out] *p: caller frees; NUL-terminated. */
static bool recv_msg(int fd, char **p, size_t *n)
{
    uint32_t len;

    *p = NULL;
    if (!read_all(fd, &len, sizeof(len)) || len > MSG_MAX)
        return false;
    *p = cv_malloc((size_t)len + 1);
    if (!*p || !read_all(fd, *p, len)) {
        cv_free(*p);
        *p = NULL;
        return false;
    }
    (*p)[len] = '\0';
    *n = len;
    return true;
}

/* ---- the keeper's side ---------------------------------------------------------------------- */

struct dump {
    struct cli_snapshot_index s;
    uint64_t used;
};

static void reply_error(int fd, const char *why)
{
    char msg[600];

    snprintf(msg, sizeof(msg), "E%s", why);
    send_msg(fd, msg, strlen(msg));
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
        size_t len = 1 + n * sizeof(*v);
        char *msg = cv_malloc(len);

        if (!msg) {
            reply_error(fd, "out of memory");
        } else {
            msg[0] = 'L';
            memcpy(msg + 1, v, n * sizeof(*v));
            send_msg(fd, msg, len);
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
            send_msg(fd, msg, strlen(msg));
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
    send_msg(fd, msg, strlen(msg));
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
        while (recv_msg(fd, &req, &n)) {
            reply_error(fd, "cannot open the repository (see above)");
            cv_free(req);
        }
        return;
    }
    while (recv_msg(fd, &req, &n)) {
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

/* ---- the viewer's side ---------------------------------------------------------------------- */

enum cv_err cli_keeper_start(const char *repo, const char *password_file, struct cli_keeper **out)
{
    struct cli_keeper *k = cv_calloc(1, sizeof(*k));
    int sv[2];

    *out = NULL;
    if (!k)
        return cv_fail(CV_ENOMEM, "out of memory");
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        cv_free(k);
        return cv_fail_errno(CV_EIO, "cannot make a socket pair");
    }
    fflush(stdout);
    fflush(stderr);
    k->pid = fork();
    if (k->pid < 0) {
        close(sv[0]);
        close(sv[1]);
        cv_free(k);
        return cv_fail_errno(CV_EIO, "cannot fork the snapshot helper");
    }
    if (k->pid == 0) {
        close(sv[0]);
        keeper_main(sv[1], repo, password_file);
        _exit(0);
    }
    close(sv[1]);
    k->fd = sv[0];
    pthread_mutex_init(&k->mu, NULL);
    *out = k;
    return CV_OK;
}

void cli_keeper_stop(struct cli_keeper *k)
{
    if (!k)
        return;
    close(k->fd); /* the keeper sees the end, removes its copies and exits */
    waitpid(k->pid, NULL, 0);
    pthread_mutex_destroy(&k->mu);
    cv_free(k);
}

/* One request and its answer, one at a time. */
static enum cv_err ask(struct cli_keeper *k, const char *req, size_t n, char **ans, size_t *len)
{
    bool ok;

    pthread_mutex_lock(&k->mu);
    ok = send_msg(k->fd, req, n) && recv_msg(k->fd, ans, len);
    pthread_mutex_unlock(&k->mu);
    if (!ok)
        return cv_fail(CV_EIO, "the snapshot helper is gone");
    if ((*ans)[0] == 'E') {
        enum cv_err err = cv_fail(CV_ENOENT, "%s", *ans + 1);

        cv_free(*ans);
        *ans = NULL;
        return err;
    }
    return CV_OK;
}

enum cv_err cli_keeper_index(struct cli_keeper *k, const char *spec, char *path, size_t n,
                             char name[80], long long *time)
{
    char req[100], *ans, *sp1, *sp2;
    size_t len;
    enum cv_err err;

    if (strlen(spec) >= sizeof(req) - 1)
        return cv_fail(CV_EINVAL, "snapshot name too long");
    snprintf(req, sizeof(req), "D%s", spec);
    err = ask(k, req, strlen(req), &ans, &len);
    if (err)
        return err;
    sp1 = strchr(ans, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (ans[0] != 'D' || !sp1 || !sp2 || sp2 - sp1 - 1 >= 80 || strlen(sp2 + 1) >= n) {
        cv_free(ans);
        return cv_fail(CV_EPARSE, "the snapshot helper's answer is malformed");
    }
    if (time)
        *time = strtoll(ans + 1, NULL, 10);
    if (name)
        snprintf(name, 80, "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
    cv_strlcpy(path, sp2 + 1, n);
    cv_free(ans);
    return CV_OK;
}

enum cv_err cli_keeper_list(struct cli_keeper *k, struct cli_snapshot_entry **v, size_t *n)
{
    char *ans;
    size_t len;
    enum cv_err err = ask(k, "L", 1, &ans, &len);

    *v = NULL;
    *n = 0;
    if (err)
        return err;
    if (ans[0] != 'L' || (len - 1) % sizeof(**v) != 0) {
        cv_free(ans);
        return cv_fail(CV_EPARSE, "the snapshot helper's answer is malformed");
    }
    *n = (len - 1) / sizeof(**v);
    *v = cv_calloc(*n ? *n : 1, sizeof(**v));
    if (!*v) {
        cv_free(ans);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    memcpy(*v, ans + 1, *n * sizeof(**v));
    for (size_t i = 0; i < *n; i++)
        (*v)[i].name[sizeof((*v)[i].name) - 1] = '\0';
    cv_free(ans);
    return CV_OK;
}
