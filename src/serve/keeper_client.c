/*
 * keeper_client.c: the viewer's side of the snapshot helper (keeper_client.h). The helper is
 * a child of this process, forked by `chartvault serve --repo` before it became
 * chartvault-serve; the protocol is in src/cli/snapshot_keeper.h.
 */
#include "keeper_client.h"
#include "snapshot_keeper.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct serve_keeper {
    int fd;
    pthread_mutex_t mu;
};

enum cv_err serve_keeper_open(int fd, struct serve_keeper **out)
{
    struct serve_keeper *k;
    int type = 0;
    socklen_t len = sizeof(type);

    *out = NULL;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
        return cv_fail(CV_EINVAL, "descriptor %d is not the snapshot helper's socket", fd);
    k = cv_calloc(1, sizeof(*k));
    if (!k)
        return cv_fail(CV_ENOMEM, "out of memory");
    k->fd = fd;
    pthread_mutex_init(&k->mu, NULL);
    *out = k;
    return CV_OK;
}

void serve_keeper_close(struct serve_keeper *k)
{
    if (!k)
        return;
    close(k->fd); /* the helper sees the end, removes its copies and exits */
    /* it is our child (forked before the exec that made this process the viewer) */
    for (;;) {
        pid_t p = wait(NULL);

        if (p < 0 && errno == EINTR)
            continue;
        if (p < 0)
            break;
    }
    pthread_mutex_destroy(&k->mu);
    cv_free(k);
}

/* One request and its answer, one at a time. */
static enum cv_err ask(struct serve_keeper *k, const char *req, size_t n, char **ans, size_t *len)
{
    bool ok;

    pthread_mutex_lock(&k->mu);
    ok = cv_frame_send(k->fd, req, n, CLI_KEEPER_MSG_MAX) &&
         cv_frame_recv(k->fd, ans, len, CLI_KEEPER_MSG_MAX);
    pthread_mutex_unlock(&k->mu);
    if (!ok)
        return cv_fail(CV_EIO, "the snapshot helper is gone");
    if (*len == 0) {
        cv_free(*ans);
        *ans = NULL;
        return cv_fail(CV_EPARSE, "the snapshot helper's answer is empty");
    }
    if ((*ans)[0] == 'E') {
        enum cv_err err = cv_fail(CV_ENOENT, "%s", *ans + 1);

        cv_free(*ans);
        *ans = NULL;
        return err;
    }
    return CV_OK;
}

enum cv_err serve_keeper_index(struct serve_keeper *k, const char *spec, char *path, size_t n,
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

enum cv_err serve_keeper_list(struct serve_keeper *k, struct cv_web_snapshot **v, size_t *n)
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
