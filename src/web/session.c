/*
 * session.c: logged-in sessions, kept in the viewer's memory only (a restart logs everyone
 * out). The browser holds a random 256-bit token; the table keeps only its SHA-256, so the
 * table itself holds nothing a reader could replay. A session ends after 30 minutes without
 * a request, 12 hours after login, or at logout. One account holds at most
 * WEB_SESSIONS_PER_USER sessions (its own least recently used one makes room), and a full
 * table refuses new logins rather than end anyone else's session.
 */
#include "web_internal.h"

#include <gnutls/crypto.h>
#include <string.h>

struct slot {
    bool used;
    bool tomb; /* swept after expiry: only the digest is kept, to tell its owner why */
    uint8_t digest[32];
    struct web_session s;
    time_t created, last_seen;
    uint64_t use; /* when last created or used, on the counter below: orders uses within a second */
};

struct web_sessions {
    pthread_mutex_t mu;
    struct slot *v;
    uint64_t uses;
};

void web_random_hex(char out[WEB_TOKEN_HEX])
{
    uint8_t raw[32];

    randombytes_buf(raw, sizeof(raw));
    cv_hex_encode(raw, sizeof(raw), out);
    sodium_memzero(raw, sizeof(raw));
}

static bool token_digest(const char *token, uint8_t digest[32])
{
    if (!token || strlen(token) != WEB_TOKEN_HEX - 1)
        return false;
    gnutls_hash_fast(GNUTLS_DIG_SHA256, token, WEB_TOKEN_HEX - 1, digest);
    return true;
}

enum cv_err web_sessions_new(struct web_sessions **out)
{
    struct web_sessions *s = cv_calloc(1, sizeof(*s));

    *out = NULL;
    if (!s || !(s->v = cv_calloc(WEB_SESSIONS_MAX, sizeof(*s->v)))) {
        cv_free(s);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return CV_OK;
}

void web_sessions_free(struct web_sessions *s)
{
    if (!s)
        return;
    sodium_memzero(s->v, WEB_SESSIONS_MAX * sizeof(*s->v));
    cv_free(s->v);
    pthread_mutex_destroy(&s->mu);
    cv_free(s);
}

static bool expired(const struct slot *e, time_t now)
{
    return now - e->last_seen >= WEB_SESSION_IDLE_SECS || now - e->created >= WEB_SESSION_MAX_SECS;
}

enum cv_err web_session_create(struct web_sessions *s, const char *user, enum cv_role role,
                               time_t now, char token[WEB_TOKEN_HEX])
{
    struct slot *free_slot = NULL, *own_oldest = NULL;
    size_t own = 0;

    web_random_hex(token);
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
        struct slot *e = &s->v[i];

        if (e->used && expired(e, now))
            e->used = false;
        if (!e->used) {
            if (!free_slot && !e->tomb)
                free_slot = e;
            continue;
        }
        if (strcmp(e->s.user, user) != 0)
            continue;
        own++;
        if (!own_oldest || e->use < own_oldest->use)
            own_oldest = e;
    }
    if (own >= WEB_SESSIONS_PER_USER) /* the account's own longest idle session makes room */
        free_slot = own_oldest;
    if (!free_slot) /* a tomb only tells its owner why; it may go when nothing else is free */
        for (size_t i = 0; i < WEB_SESSIONS_MAX && !free_slot; i++)
            if (!s->v[i].used)
                free_slot = &s->v[i];
    if (!free_slot) {
        pthread_mutex_unlock(&s->mu);
        sodium_memzero(token, WEB_TOKEN_HEX);
        return cv_fail(CV_EBUSY, "all %d sessions are in use", WEB_SESSIONS_MAX);
    }
    memset(free_slot, 0, sizeof(*free_slot));
    free_slot->used = true;
    token_digest(token, free_slot->digest);
    cv_strlcpy(free_slot->s.user, user, sizeof(free_slot->s.user));
    free_slot->s.role = role;
    web_random_hex(free_slot->s.csrf);
    free_slot->created = free_slot->last_seen = now;
    free_slot->use = ++s->uses;
    pthread_mutex_unlock(&s->mu);
    return CV_OK;
}

static struct slot *find(struct web_sessions *s, const uint8_t digest[32])
{
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++)
        if ((s->v[i].used || s->v[i].tomb) && memcmp(s->v[i].digest, digest, 32) == 0)
            return &s->v[i];
    return NULL;
}

enum web_session_state web_session_touch(struct web_sessions *s, const char *token, time_t now,
                                         struct web_session *out)
{
    enum web_session_state st = SESSION_NONE;
    uint8_t digest[32];
    struct slot *e;

    if (!token_digest(token, digest))
        return SESSION_NONE;
    pthread_mutex_lock(&s->mu);
    e = find(s, digest);
    if (e && (e->tomb || expired(e, now))) {
        memset(e, 0, sizeof(*e));
        st = SESSION_EXPIRED;
    } else if (e) {
        e->last_seen = now;
        e->use = ++s->uses;
        *out = e->s;
        st = SESSION_OK;
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

void web_session_end(struct web_sessions *s, const char *token)
{
    uint8_t digest[32];
    struct slot *e;

    if (!token_digest(token, digest))
        return;
    pthread_mutex_lock(&s->mu);
    e = find(s, digest);
    if (e)
        memset(e, 0, sizeof(*e));
    pthread_mutex_unlock(&s->mu);
}

void web_session_set_snapshot(struct web_sessions *s, const char *token, const char *name)
{
    uint8_t digest[32];
    struct slot *e;

    if (!token_digest(token, digest))
        return;
    pthread_mutex_lock(&s->mu);
    e = find(s, digest);
    if (e && e->used)
        cv_strlcpy(e->s.snapshot, name ? name : "", sizeof(e->s.snapshot));
    pthread_mutex_unlock(&s->mu);
}

void web_sessions_expire(struct web_sessions *s, time_t now)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
        struct slot *e = &s->v[i];

        if (e->used && expired(e, now)) {
            uint8_t digest[32];

            memcpy(digest, e->digest, sizeof(digest));
            memset(e, 0, sizeof(*e));
            memcpy(e->digest, digest, sizeof(digest));
            e->tomb = true;
        }
    }
    pthread_mutex_unlock(&s->mu);
}
