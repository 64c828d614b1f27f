/*
 * conn.c: the absolute deadline of every request. libmicrohttpd's own timeout counts idle
 * time, and any byte resets it: a client sending one byte every few seconds (slowloris) holds
 * a connection forever. Here each connection gets a deadline when it opens and again each
 * time an answer has gone out; whatever it is still doing then (a TLS handshake, headers, a
 * body, reading the answer), the tick shuts its socket down and libmicrohttpd closes it.
 *
 * The table is filled from libmicrohttpd's connection callbacks; the socket is closed by
 * libmicrohttpd only after it has told us (MHD_CONNECTION_NOTIFY_CLOSED), so a descriptor in
 * the table is always the connection's own.
 */
#include "web_internal.h"

#include <string.h>
#include <sys/socket.h>

struct conn_slot {
    bool used;
    int fd;
    uint64_t deadline_ms;
};

struct web_conns {
    pthread_mutex_t mu;
    struct conn_slot *v;
    size_t n;
    uint64_t deadline_ms; /* from opening, or from the last answer */
};

enum cv_err web_conns_new(size_t max, unsigned deadline_secs, struct web_conns **out)
{
    struct web_conns *c = cv_calloc(1, sizeof(*c));

    *out = NULL;
    if (!c || !(c->v = cv_calloc(max, sizeof(*c->v)))) {
        cv_free(c);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    c->n = max;
    c->deadline_ms = (uint64_t)deadline_secs * 1000;
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    return CV_OK;
}

void web_conns_free(struct web_conns *c)
{
    if (!c)
        return;
    cv_free(c->v);
    pthread_mutex_destroy(&c->mu);
    cv_free(c);
}

void web_conns_started(struct web_conns *c, int fd, void **ctx, uint64_t now_ms)
{
    struct conn_slot *free_slot = NULL;

    *ctx = NULL;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n; i++) {
        if (!c->v[i].used && !free_slot)
            free_slot = &c->v[i];
        else if (c->v[i].used && c->v[i].fd == fd) /* cannot happen (see above); be safe */
            c->v[i].used = false;
    }
    if (free_slot) {
        free_slot->used = true;
        free_slot->fd = fd;
        free_slot->deadline_ms = now_ms + c->deadline_ms;
        *ctx = free_slot;
    }
    pthread_mutex_unlock(&c->mu);
    if (!free_slot) /* more connections than libmicrohttpd's own limit: cannot happen */
        shutdown(fd, SHUT_RDWR);
}

void web_conns_answered(struct web_conns *c, void *ctx, uint64_t now_ms)
{
    struct conn_slot *s = ctx;

    if (!s)
        return;
    pthread_mutex_lock(&c->mu);
    s->deadline_ms = now_ms + c->deadline_ms;
    pthread_mutex_unlock(&c->mu);
}

void web_conns_closed(struct web_conns *c, void **ctx)
{
    struct conn_slot *s = *ctx;

    if (!s)
        return;
    pthread_mutex_lock(&c->mu);
    s->used = false;
    pthread_mutex_unlock(&c->mu);
    *ctx = NULL;
}

size_t web_conns_sweep(struct web_conns *c, uint64_t now_ms)
{
    size_t cut = 0;

    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n; i++) {
        struct conn_slot *s = &c->v[i];

        if (!s->used || now_ms < s->deadline_ms)
            continue;
        shutdown(s->fd, SHUT_RDWR); /* libmicrohttpd sees the end and closes it */
        s->deadline_ms = UINT64_MAX;
        cut++;
    }
    pthread_mutex_unlock(&c->mu);
    return cut;
}
