/*
 * data.c: the reference index as the pages see it. Each worker thread keeps its own
 * read-only handle (the index API wants one per thread); a missing or unreadable index is
 * retried at most once a second, and every page then says that no data is available and
 * why, in words of its own: the index's path and SQLite's message go to the log, never to
 * a page (the login page is open to anyone). A newer index file renamed over the path is
 * picked up by the handle itself. A session
 * looking at an earlier snapshot reads that snapshot's index through a handle of its own
 * (a few per thread, the least recently used one reopened for another snapshot).
 */
#include "web_internal.h"

#include <chartvault/index.h>

#include <string.h>
#include <sys/stat.h>

#define RETRY_MS       1000
#define INFO_MS        1000
#define CACHE_ENTRIES  64
#define CACHE_KEY_MAX  256
#define CACHE_BODY_MAX (256u << 10)

struct cache_entry {
    char key[CACHE_KEY_MAX];
    struct cv_index_version v;
    char *title, *body;
    size_t n;
    uint64_t used;
};

struct web_index {
    char *path;
    pthread_key_t key;
};

struct web_data {
    char path[4096]; /* of a snapshot's index; "" for the live one */
    uint64_t used;
    struct cv_index *idx;
    bool in_snapshot;
    struct cv_index_version version; /* of this request's snapshot */
    struct cache_entry cache[CACHE_ENTRIES];
    uint64_t tick;
    uint64_t last_try_ms, info_ms;
    struct cv_index_info info;
    bool have_info;
    bool missing;  /* the index file is not there */
    char why[300]; /* the last reason it could not be opened, for the log only */
};

static void cache_clear(struct web_data *d)
{
    for (size_t i = 0; i < CACHE_ENTRIES; i++) {
        cv_free(d->cache[i].title);
        cv_free(d->cache[i].body);
        memset(&d->cache[i], 0, sizeof(d->cache[i]));
    }
}

#define SNAPSHOT_HANDLES 2

/* What one worker thread keeps: the live index, and a few snapshots' */
struct thread_data {
    struct web_data live;
    struct web_data snap[SNAPSHOT_HANDLES];
    uint64_t tick;
};

static void data_close(struct web_data *d)
{
    cache_clear(d);
    cv_index_close(d->idx);
    memset(d, 0, sizeof(*d));
}

static void data_free(void *p)
{
    struct thread_data *td = p;

    if (!td)
        return;
    data_close(&td->live);
    for (size_t i = 0; i < SNAPSHOT_HANDLES; i++)
        data_close(&td->snap[i]);
    cv_free(td);
}

/* The handle for a snapshot's index at `path`: the one open on it, or the least recently
 * used slot, closed and given to it. */
static struct web_data *snapshot_data(struct thread_data *td, const char *path)
{
    struct web_data *d = &td->snap[0];

    for (size_t i = 0; i < SNAPSHOT_HANDLES; i++) {
        if (strcmp(td->snap[i].path, path) == 0) {
            d = &td->snap[i];
            goto out;
        }
        if (td->snap[i].used < d->used)
            d = &td->snap[i];
    }
    data_close(d);
    cv_strlcpy(d->path, path, sizeof(d->path));
out:
    d->used = ++td->tick;
    return d;
}

enum cv_err web_index_new(const char *db_path, struct web_index **out)
{
    struct web_index *ix = cv_calloc(1, sizeof(*ix));

    *out = NULL;
    if (!ix || !(ix->path = cv_strdup(db_path))) {
        cv_free(ix);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    if (pthread_key_create(&ix->key, data_free) != 0) {
        cv_free(ix->path);
        cv_free(ix);
        return cv_fail(CV_ENOMEM, "cannot make a thread key");
    }
    *out = ix;
    return CV_OK;
}

void web_index_free(struct web_index *ix)
{
    if (!ix)
        return;
    data_free(pthread_getspecific(ix->key)); /* the calling thread's own, if any */
    pthread_key_delete(ix->key);
    cv_free(ix->path);
    cv_free(ix);
}

/* Drop the handle after a failure; the next request (after RETRY_MS) opens it again. */
void web_data_failed(struct web_req *r)
{
    struct web_data *d = r->data;

    if (!d)
        return;
    log_warn("index: %s", cv_errmsg());
    d->missing = false;
    d->in_snapshot = false; /* closing the handle ends it */
    d->version.valid = false;
    cache_clear(d);
    cv_index_close(d->idx);
    d->idx = NULL;
    d->have_info = false;
    d->last_try_ms = cv_monotonic_ms();
}

static void data_open(const char *path, struct web_data *d)
{
    struct stat st;
    enum cv_err err;

    d->last_try_ms = cv_monotonic_ms();
    d->missing = stat(path, &st) != 0;
    if (d->missing)
        return;
    err = cv_index_open(path, CV_INDEX_READONLY, &d->idx);
    if (err) { /* the reason once per thread and change, not once a second */
        if (strcmp(d->why, cv_errmsg()) != 0)
            log_warn("index: %s", cv_errmsg());
        snprintf(d->why, sizeof(d->why), "%s", cv_errmsg());
        d->idx = NULL;
    }
}

void web_data_attach(struct web_req *r)
{
    struct web_index *ix = r->w->index;
    struct thread_data *td = pthread_getspecific(ix->key);
    struct web_data *d;
    uint64_t now = cv_monotonic_ms();

    if (!td) {
        td = cv_calloc(1, sizeof(*td));
        if (!td || pthread_setspecific(ix->key, td) != 0) {
            cv_free(td);
            return;
        }
    }
    d = r->snap_path[0] ? snapshot_data(td, r->snap_path) : &td->live;
    r->data = d;
    if (!d->idx && (d->last_try_ms == 0 || now - d->last_try_ms >= RETRY_MS))
        data_open(r->snap_path[0] ? r->snap_path : ix->path, d);
    if (d->idx && (!d->have_info || now - d->info_ms >= INFO_MS)) {
        if (cv_index_info(d->idx, &d->info) != CV_OK) {
            web_data_failed(r);
            return;
        }
        d->have_info = true;
        d->info_ms = now;
    }
}

void web_data_detach(struct web_req *r)
{
    struct web_data *d = r->data;

    if (d && d->idx && d->in_snapshot)
        cv_index_snapshot_end(d->idx, true);
    if (d) {
        d->in_snapshot = false;
        d->version.valid = false;
    }
    r->data = NULL; /* the handle stays with the thread */
}

struct cv_index *web_data_index(struct web_req *r)
{
    struct web_data *d = r->data;

    if (!d || !d->idx)
        return NULL;
    /* the first query of a page opens one read snapshot for all of them (ended at detach) */
    if (!d->in_snapshot) {
        if (cv_index_snapshot_begin(d->idx, &d->in_snapshot) != CV_OK)
            log_warn("index: %s", cv_errmsg());
        cv_index_data_version(d->idx, &d->version);
    }
    return d->idx;
}

/* "<lang>|<today>|<key>": a fragment holds ages and current medications of one day. */
static bool cache_key(struct web_req *r, const char *key, char *out)
{
    char today[11];

    cv_today(today);
    return (size_t)snprintf(out, CACHE_KEY_MAX, "%d|%s|%s", (int)r->lang, today, key) <
           CACHE_KEY_MAX;
}

static bool same_version(const struct cv_index_version *a, const struct cv_index_version *b)
{
    return a->valid && b->valid && a->dev == b->dev && a->ino == b->ino && a->data == b->data;
}

bool web_cache_find(struct web_req *r, const char *key, struct web_fragment *f)
{
    struct web_data *d = r->data;
    char full[CACHE_KEY_MAX];

    memset(f, 0, sizeof(*f));
    if (!d || !d->version.valid || !cache_key(r, key, full))
        return false;
    for (size_t i = 0; i < CACHE_ENTRIES; i++) {
        struct cache_entry *e = &d->cache[i];

        if (!e->body || strcmp(e->key, full) != 0 || !same_version(&e->v, &d->version))
            continue;
        f->title = e->title;
        f->body = e->body;
        f->n = e->n;
        e->used = ++d->tick;
        return true;
    }
    return false;
}

void web_cache_put(struct web_req *r, const char *key, const char *title, size_t from)
{
    struct web_data *d = r->data;
    struct cache_entry *e;
    char full[CACHE_KEY_MAX];
    size_t n = r->out.len - from;

    if (!d || !d->version.valid || from > r->out.len || n > CACHE_BODY_MAX ||
        cv_buf_error(&r->out) || !cache_key(r, key, full))
        return;
    e = &d->cache[0];
    for (size_t i = 0; i < CACHE_ENTRIES; i++) { /* the same key, an empty slot, or the LRU */
        struct cache_entry *c = &d->cache[i];

        if (strcmp(c->key, full) == 0 || !c->body) {
            e = c;
            break;
        }
        if (c->used < e->used)
            e = c;
    }
    cv_free(e->title);
    cv_free(e->body);
    memset(e, 0, sizeof(*e));
    e->body = cv_malloc(n ? n : 1);
    e->title = cv_strdup(title ? title : "");
    if (!e->body || !e->title) {
        cv_free(e->body);
        cv_free(e->title);
        memset(e, 0, sizeof(*e));
        return;
    }
    memcpy(e->body, r->out.data + from, n);
    e->n = n;
    memcpy(e->key, full, sizeof(full));
    e->v = d->version;
    e->used = ++d->tick;
}

bool web_data_available(struct web_req *r, const char **why)
{
    struct web_data *d = r->data;

    *why = NULL;
    if (d && d->idx && d->have_info)
        return true;
    *why = T(r, d && d->missing ? M_WHY_MISSING : M_WHY_UNREADABLE);
    return false;
}

bool web_data_time(struct web_req *r, time_t *t)
{
    struct web_data *d = r->data;

    *t = 0;
    if (!d || !d->idx || !d->have_info || d->info.data_time_epoch <= 0)
        return false;
    *t = (time_t)d->info.data_time_epoch;
    return true;
}
