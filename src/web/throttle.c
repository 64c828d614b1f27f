/*
 * throttle.c: the per-address brake on password guessing. Account lockout stops guesses at
 * one account; this stops one address from trying many accounts: after 20 failed logins
 * within 15 minutes an address must wait until the oldest of them leaves the window. The
 * table is bounded; when full, the address seen longest ago is forgotten.
 */
#include "web_internal.h"

#include <string.h>

#define THROTTLE_ADDRS 1024

struct entry {
    char addr[64];
    time_t fail[WEB_THROTTLE_FAILURES]; /* ring of the latest failures */
    int next;
    time_t last;
};

struct web_throttle {
    pthread_mutex_t mu;
    struct entry *v;
};

enum cv_err web_throttle_new(struct web_throttle **out)
{
    struct web_throttle *t = cv_calloc(1, sizeof(*t));

    *out = NULL;
    if (!t || !(t->v = cv_calloc(THROTTLE_ADDRS, sizeof(*t->v)))) {
        cv_free(t);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&t->mu, NULL);
    *out = t;
    return CV_OK;
}

void web_throttle_free(struct web_throttle *t)
{
    if (!t)
        return;
    cv_free(t->v);
    pthread_mutex_destroy(&t->mu);
    cv_free(t);
}

static struct entry *find(struct web_throttle *t, const char *addr, bool create)
{
    struct entry *oldest = &t->v[0];

    for (size_t i = 0; i < THROTTLE_ADDRS; i++) {
        if (t->v[i].addr[0] && strcmp(t->v[i].addr, addr) == 0)
            return &t->v[i];
        if (t->v[i].last < oldest->last)
            oldest = &t->v[i];
    }
    if (!create)
        return NULL;
    memset(oldest, 0, sizeof(*oldest));
    cv_strlcpy(oldest->addr, addr, sizeof(oldest->addr));
    return oldest;
}

long web_throttle_wait(struct web_throttle *t, const char *addr, time_t now)
{
    struct entry *e;
    long wait = 0;

    pthread_mutex_lock(&t->mu);
    e = find(t, addr, false);
    if (e) {
        /* the ring is full of recent failures when its oldest one is still in the window */
        time_t oldest = e->fail[e->next];

        if (oldest && now - oldest < CV_LOCKOUT_WINDOW_SECS)
            wait = CV_LOCKOUT_WINDOW_SECS - (long)(now - oldest);
    }
    pthread_mutex_unlock(&t->mu);
    return wait;
}

void web_throttle_fail(struct web_throttle *t, const char *addr, time_t now)
{
    struct entry *e;

    pthread_mutex_lock(&t->mu);
    e = find(t, addr, true);
    e->fail[e->next] = now;
    e->next = (e->next + 1) % WEB_THROTTLE_FAILURES;
    e->last = now;
    pthread_mutex_unlock(&t->mu);
}
