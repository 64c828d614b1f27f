/*
 * s3.c: the S3 backend. A repository is a prefix in a bucket, laid out like a local folder
 * (config, s3-lock, keys/, snapshots/, index/, packs/XX/). Every object is written once with
 * Content-MD5 and, in a bucket with Object Lock, a COMPLIANCE lock until now + retention, so
 * the host that writes it cannot delete, shorten or overwrite it. In a versioned bucket an
 * overwrite or a plain DELETE only adds a version or a delete marker: readers therefore list
 * versions and read each object's *oldest* version by its ID, which is the one chartvault
 * wrote (a retried PUT writes the same bytes again). `lock_extend` pushes every object's lock
 * out again, as kopia does, so what snapshots still need never runs out of its lock.
 *
 * Speed: puts and lock extensions go to a few worker threads (several requests in flight, each
 * on its own kept-alive connection; sync() waits for them), and reads of packs go through a
 * small read-ahead cache: a first read fetches 1 MiB, a read that follows on fetches up to
 * 16 MiB (the rest of a pack), so a restore makes a few large GETs instead of one per block.
 */
#include <chartvault/backend.h>

#include "s3_http.h"

#include <gnutls/crypto.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_OBJECT       "s3-lock"
#define LOCK_MAGIC        "chartvault-s3-lock 1\n"
#define DEFAULT_RETENTION (30L * 86400)
#define CREDENTIALS_MAX   4096
#define LISTING_MAX       (CV_S3_XML_MAX)
#define WORKERS           4           /* requests in flight for puts and lock extensions */
#define QUEUED_BYTES_MAX  (64u << 20) /* of puts waiting or in flight (one larger is let in) */
#define QUEUED_JOBS_MAX   256         /* lock extensions waiting or in flight */
#define RA_FIRST          (1u << 20)  /* read-ahead: a first read of a pack fetches this much */
#define RA_MAX            (16u << 20) /* and a read that follows on, this much */
#define RA_SLOTS          4
#define LOCK_SLACK        300 /* s: a marker date this far past now + retention is not ours */

struct s3_obj {
    char name[CV_OBJ_NAME_LEN + 1];
    char vid[CV_S3_VID_MAX + 1];
    uint64_t size;
};

struct s3_kind {
    struct s3_obj *objs;
    size_t n, cap;
    bool sorted;
};

/* A put or a lock extension handed to the workers. */
struct s3_job {
    struct s3_job *next;
    bool retention; /* a lock extension (of key/vid), else a put (of data[n] as kind/name) */
    enum cv_obj_kind kind;
    char name[CV_OBJ_NAME_LEN + 1];
    char key[CV_S3_KEY_MAX + 1];
    char vid[CV_S3_VID_MAX + 1];
    uint8_t *data;
    size_t n;
};

struct s3_workers {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t threads[WORKERS];
    unsigned nthreads;
    struct s3_job *head, *tail;
    size_t pending; /* jobs waiting or running */
    size_t bytes;   /* of those puts */
    bool stop;
    enum cv_err err; /* the first failure since the last wait, with its message */
    char errmsg[512];
    uint64_t extended;
};

/* A window of a pack read ahead. */
struct ra_slot {
    char name[CV_OBJ_NAME_LEN + 1]; /* "" when empty */
    uint64_t off, used;
    uint8_t *data;
    size_t len;
};

struct s3_backend {
    struct cv_backend base;
    struct cv_s3_loc loc;
    struct cv_s3_http http;
    pthread_mutex_t lock; /* the object table and the singletons below */
    struct s3_kind kinds[CV_OBJ_PRUNE + 1];
    struct s3_obj config, lockobj; /* resolved singletons (name unused) */
    bool have_config, have_lockobj;
    long retention; /* 0: no lock */
    struct s3_workers w;
    char ext_body[512], ext_md5[64]; /* the lock extension under way */
    pthread_mutex_t ra_lock;
    struct ra_slot ra[RA_SLOTS];
    uint64_t ra_clock;
};

const char *const cv_s3_kind_dirs[CV_OBJ_PRUNE + 1] = {
    [CV_OBJ_CONFIG] = "",     [CV_OBJ_KEY] = "keys",   [CV_OBJ_SNAPSHOT] = "snapshots",
    [CV_OBJ_INDEX] = "index", [CV_OBJ_PACK] = "packs", [CV_OBJ_PRUNE] = "prune"};

static struct s3_backend *s3(struct cv_backend *be)
{
    return (struct s3_backend *)be;
}

/* The key of an object under the bucket (prefix included). */
enum cv_err cv_s3_object_key(const struct cv_s3_loc *loc, enum cv_obj_kind kind, const char *name,
                             char *key, size_t n)
{
    if (kind == CV_OBJ_CONFIG) {
        snprintf(key, n, "%sconfig", loc->prefix);
        return CV_OK;
    }
    if ((unsigned)kind > CV_OBJ_PRUNE || !name || !cv_obj_name_valid(name))
        return cv_fail(CV_EINVAL, "'%s' is not a repository object name", name ? name : "");
    if (kind == CV_OBJ_PACK)
        snprintf(key, n, "%spacks/%.2s/%s", loc->prefix, name, name);
    else
        snprintf(key, n, "%s%s/%s", loc->prefix, cv_s3_kind_dirs[kind], name);
    return CV_OK;
}

static enum cv_err object_key(const struct s3_backend *s, enum cv_obj_kind kind, const char *name,
                              char *key, size_t n)
{
    return cv_s3_object_key(&s->loc, kind, name, key, n);
}

/* ---- the table of objects and their versions ----------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct s3_obj *)a)->name, ((const struct s3_obj *)b)->name);
}

static struct s3_obj *table_find(struct s3_kind *k, const char *name)
{
    struct s3_obj probe;

    if (!k->sorted && k->n) {
        qsort(k->objs, k->n, sizeof(*k->objs), by_name);
        k->sorted = true;
    }
    cv_strlcpy(probe.name, name, sizeof(probe.name));
    return k->n ? bsearch(&probe, k->objs, k->n, sizeof(*k->objs), by_name) : NULL;
}

/* Remember an object; a name already known keeps its first (oldest) version. */
static enum cv_err table_add(struct s3_kind *k, const char *name, const char *vid, uint64_t size)
{
    struct s3_obj *o = table_find(k, name);

    if (o)
        return CV_OK;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 64;
        void *p = cv_reallocarray(k->objs, cap, sizeof(*k->objs));

        if (!p)
            return cv_fail(CV_ENOMEM, "out of memory");
        k->objs = p;
        k->cap = cap;
    }
    o = &k->objs[k->n++];
    cv_strlcpy(o->name, name, sizeof(o->name));
    cv_strlcpy(o->vid, vid, sizeof(o->vid));
    o->size = size;
    k->sorted = k->n == 1 || (k->sorted && strcmp(k->objs[k->n - 2].name, name) < 0);
    return CV_OK;
}

/* ---- listing versions ------------------------------------------------------------------------ */

typedef enum cv_err (*object_fn)(struct s3_backend *s, const char *key, const char *vid,
                                 uint64_t size, void *arg);

struct walk {
    struct s3_backend *s;
    object_fn fn;
    void *arg;
    char cur_key[CV_S3_KEY_MAX + 1];
    char cur_vid[CV_S3_VID_MAX + 1];
    uint64_t cur_size;
    bool have;
};

/* Versions come newest first for each key: the last data version seen is the oldest. */
static enum cv_err flush_key(struct walk *w)
{
    enum cv_err err = CV_OK;

    if (w->have)
        err = w->fn(w->s, w->cur_key, w->cur_vid, w->cur_size, w->arg);
    w->have = false;
    return err;
}

static enum cv_err on_version(void *arg, const struct cv_s3_version *v)
{
    struct walk *w = arg;
    enum cv_err err = CV_OK;

    if (strcmp(v->key, w->cur_key) != 0) {
        err = flush_key(w);
        cv_strlcpy(w->cur_key, v->key, sizeof(w->cur_key));
    }
    if (!err && !v->delete_marker) {
        cv_strlcpy(w->cur_vid, v->version_id, sizeof(w->cur_vid));
        w->cur_size = v->size;
        w->have = true;
    }
    return err;
}

/* Call fn once per key under `prefix` that has a data version, with its oldest version. */
static enum cv_err walk_versions(struct s3_backend *s, const char *prefix, unsigned max_keys,
                                 object_fn fn, void *arg)
{
    struct cv_buf body = CV_BUF_INIT(LISTING_MAX), query = CV_BUF_INIT(8192);
    struct walk *w = cv_calloc(1, sizeof(*w));
    struct cv_s3_page page;
    char maxk[16];
    enum cv_err err = w ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");

    if (w)
        *w = (struct walk){.s = s, .fn = fn, .arg = arg};
    snprintf(maxk, sizeof(maxk), "%u", max_keys);
    memset(&page, 0, sizeof(page));
    do {
        struct cv_s3_param p[5] = {{"versions", ""}, {"prefix", prefix}, {"max-keys", maxk}};
        size_t np = 3;
        struct cv_s3_call c = {.method = "GET", .out = &body};

        if (err)
            break;
        if (page.truncated) {
            p[np++] = (struct cv_s3_param){"key-marker", page.next_key};
            if (page.next_version[0])
                p[np++] = (struct cv_s3_param){"version-id-marker", page.next_version};
        }
        cv_buf_reset(&query);
        err = cv_s3_query(p, np, &query);
        c.query = cv_buf_str(&query);
        if (!err)
            err = cv_s3_call(&s->http, &c);
        if (!err && (err = cv_s3_parse_versions(cv_buf_str(&body), body.len, on_version, w,
                                                &page)) != CV_OK)
            cv_fail_prefix(err, "bucket '%s': listing '%s': ", s->loc.bucket, prefix);
    } while (!err && page.truncated);
    if (!err)
        err = flush_key(w);
    cv_free(w);
    cv_buf_free(&body);
    cv_buf_free(&query);
    return err;
}

struct exact {
    const char *key;
    struct s3_obj *out;
    bool found;
};

static enum cv_err on_exact(struct s3_backend *s, const char *key, const char *vid, uint64_t size,
                            void *arg)
{
    struct exact *e = arg;

    (void)s;
    if (strcmp(key, e->key) == 0) {
        cv_strlcpy(e->out->vid, vid, sizeof(e->out->vid));
        e->out->size = size;
        e->found = true;
    }
    return CV_OK;
}

/* The oldest version of one key, looked up by itself. CV_ENOENT when it has none. */
static enum cv_err resolve_key(struct s3_backend *s, const char *key, struct s3_obj *out)
{
    struct exact e = {key, out, false};
    enum cv_err err = walk_versions(s, key, 100, on_exact, &e);

    if (!err && !e.found)
        err = cv_fail(CV_ENOENT, "bucket '%s': '%s' does not exist", s->loc.bucket, key);
    return err;
}

/* The version and size of an object, from the table or asked for (without s->lock). */
static enum cv_err resolve(struct s3_backend *s, enum cv_obj_kind kind, const char *name,
                           struct s3_obj *out)
{
    char key[CV_S3_KEY_MAX + 1];
    struct s3_obj *o;
    enum cv_err err = object_key(s, kind, name, key, sizeof(key));

    if (err)
        return err;
    pthread_mutex_lock(&s->lock);
    o = kind == CV_OBJ_CONFIG ? (s->have_config ? &s->config : NULL)
                              : table_find(&s->kinds[kind], name);
    if (o)
        *out = *o;
    pthread_mutex_unlock(&s->lock);
    if (o)
        return CV_OK;
    memset(out, 0, sizeof(*out));
    err = resolve_key(s, key, out);
    pthread_mutex_lock(&s->lock);
    if (!err && kind == CV_OBJ_CONFIG) {
        s->config = *out;
        s->have_config = true;
    } else if (!err) {
        err = table_add(&s->kinds[kind], name, out->vid, out->size);
    }
    pthread_mutex_unlock(&s->lock);
    return err;
}

/* ---- put ------------------------------------------------------------------------------------- */

static enum cv_err content_md5(const void *p, size_t n, char b64[32])
{
    uint8_t md5[16];

    if (gnutls_hash_fast(GNUTLS_DIG_MD5, p, n, md5) != 0)
        return cv_fail(CV_ECRYPTO, "cannot compute MD5");
    sodium_bin2base64(b64, 32, md5, sizeof(md5), sodium_base64_VARIANT_ORIGINAL);
    return CV_OK;
}

/* PUT `key` with Content-MD5 and, when the repository locks, COMPLIANCE until now+retention. */
static enum cv_err put_key(struct s3_backend *s, const char *key, const void *p, size_t n,
                           char vid[CV_S3_VID_MAX + 1])
{
    char md5[32], h_md5[64], h_mode[64], h_until[96], until[32];
    const char *headers[3] = {h_md5, h_mode, h_until};
    struct cv_s3_call c = {.method = "PUT", .key = key, .body = p ? p : "", .body_len = n};
    enum cv_err err = content_md5(p ? p : "", n, md5);

    if (err)
        return err;
    snprintf(h_md5, sizeof(h_md5), "Content-MD5: %s", md5);
    c.headers = headers;
    c.nheaders = 1;
    if (s->retention > 0) {
        cv_s3_format_time((int64_t)cv_now() + s->retention, until, sizeof(until));
        snprintf(h_mode, sizeof(h_mode), "x-amz-object-lock-mode: COMPLIANCE");
        snprintf(h_until, sizeof(h_until), "x-amz-object-lock-retain-until-date: %s", until);
        c.nheaders = 3;
    }
    err = cv_s3_call(&s->http, &c);
    if (!err && vid)
        cv_strlcpy(vid, c.version_id[0] ? c.version_id : "null", CV_S3_VID_MAX + 1);
    return err;
}

/* ---- the workers: puts and lock extensions in flight ------------------------------------------
 */

static void job_free(struct s3_job *j)
{
    if (j)
        cv_free(j->data);
    cv_free(j);
}

static enum cv_err extend_one(struct s3_backend *s, const char *key, const char *vid, bool *done);

/* Put j's data and remember its version (readers in this process find it without a listing). */
static enum cv_err put_job(struct s3_backend *s, struct s3_job *j)
{
    char vid[CV_S3_VID_MAX + 1];
    enum cv_err err = put_key(s, j->key, j->data, j->n, vid);

    if (err)
        return cv_fail_prefix(err, "%s: ", j->key);
    pthread_mutex_lock(&s->lock);
    err = table_add(&s->kinds[j->kind], j->name, vid, j->n);
    pthread_mutex_unlock(&s->lock);
    return err;
}

static void *worker_main(void *arg)
{
    struct s3_backend *s = arg;
    struct s3_workers *w = &s->w;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        struct s3_job *j;
        enum cv_err err = CV_OK;
        bool skip, extended = false;

        while (!w->head && !w->stop)
            pthread_cond_wait(&w->changed, &w->lock);
        if (!w->head)
            break;
        j = w->head;
        w->head = j->next;
        if (!w->head)
            w->tail = NULL;
        skip = w->err != CV_OK; /* after a failure the rest is not sent */
        pthread_mutex_unlock(&w->lock);
        if (!skip)
            err = j->retention ? extend_one(s, j->key, j->vid, &extended) : put_job(s, j);
        pthread_mutex_lock(&w->lock);
        if (err && !w->err) {
            w->err = err;
            cv_strlcpy(w->errmsg, cv_errmsg(), sizeof(w->errmsg));
        }
        w->extended += extended;
        w->pending--;
        w->bytes -= j->n;
        pthread_cond_broadcast(&w->changed);
        pthread_mutex_unlock(&w->lock);
        job_free(j);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Hand a job over (it is the workers' from then on), waiting while too much is in flight. An
 * earlier failure is returned instead and the job dropped. */
static enum cv_err enqueue(struct s3_backend *s, struct s3_job *j)
{
    struct s3_workers *w = &s->w;
    enum cv_err err = CV_OK;

    pthread_mutex_lock(&w->lock);
    while (w->nthreads < WORKERS &&
           pthread_create(&w->threads[w->nthreads], NULL, worker_main, s) == 0)
        w->nthreads++;
    if (!w->nthreads)
        err = cv_fail(CV_ENOMEM, "cannot start a thread for S3 requests");
    while (!err && !w->err && w->pending &&
           (j->retention ? w->pending >= QUEUED_JOBS_MAX : w->bytes + j->n > QUEUED_BYTES_MAX))
        pthread_cond_wait(&w->changed, &w->lock);
    if (!err && w->err)
        err = cv_fail(w->err, "%s", w->errmsg);
    if (!err) {
        if (w->tail)
            w->tail->next = j;
        else
            w->head = j;
        w->tail = j;
        w->pending++;
        w->bytes += j->n;
        pthread_cond_signal(&w->changed);
        j = NULL;
    }
    pthread_mutex_unlock(&w->lock);
    job_free(j);
    return err;
}

/* Wait until every job handed over is done; the first failure among them (then forgotten). */
static enum cv_err workers_wait(struct s3_backend *s, uint64_t *extended)
{
    struct s3_workers *w = &s->w;
    enum cv_err err;

    pthread_mutex_lock(&w->lock);
    while (w->pending)
        pthread_cond_wait(&w->changed, &w->lock);
    err = w->err ? cv_fail(w->err, "%s", w->errmsg) : CV_OK;
    w->err = CV_OK;
    if (extended)
        *extended = w->extended;
    w->extended = 0;
    pthread_mutex_unlock(&w->lock);
    return err;
}

/* ---- put, sync --------------------------------------------------------------------------------
 */

/* A PUT writes an object whole. put() hands it to a worker (the bytes are copied) and sync()
 * waits for every put before it, so an object is durable once sync() has returned, as the
 * interface says. A put of a name that exists adds a version (harmless: names are random or
 * content-addressed, and readers take the oldest); callers that must not repeat a put (copy)
 * look first. The config is written at once, after what went before it. */
static enum cv_err s3_put(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                          const void *p, size_t n)
{
    struct s3_backend *s = s3(be);
    struct s3_job *j;
    enum cv_err err;

    if (kind == CV_OBJ_CONFIG) {
        char key[CV_S3_KEY_MAX + 1], vid[CV_S3_VID_MAX + 1];

        err = workers_wait(s, NULL);
        if (!err)
            err = object_key(s, kind, name, key, sizeof(key));
        if (!err)
            err = put_key(s, key, p, n, vid);
        if (err)
            return err;
        pthread_mutex_lock(&s->lock);
        cv_strlcpy(s->config.vid, vid, sizeof(s->config.vid));
        s->config.size = n;
        s->have_config = true;
        pthread_mutex_unlock(&s->lock);
        return CV_OK;
    }
    j = cv_calloc(1, sizeof(*j));
    if (!j || !(j->data = cv_malloc(n ? n : 1))) {
        job_free(j);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    err = object_key(s, kind, name, j->key, sizeof(j->key));
    if (err) {
        job_free(j);
        return err;
    }
    j->kind = kind;
    cv_strlcpy(j->name, name, sizeof(j->name));
    if (n)
        memcpy(j->data, p, n);
    j->n = n;
    return enqueue(s, j);
}

static enum cv_err s3_sync(struct cv_backend *be)
{
    return workers_wait(s3(be), NULL);
}

/* ---- get, size, list ---------------------------------------------------------------------- */

static enum cv_err version_query(const char *vid, struct cv_buf *q, const char *extra)
{
    struct cv_s3_param p[2];
    size_t n = 0;

    if (extra)
        p[n++] = (struct cv_s3_param){extra, ""};
    if (vid[0] && strcmp(vid, "null") != 0)
        p[n++] = (struct cv_s3_param){"versionId", vid};
    return cv_s3_query(p, n, q);
}

/* One ranged GET of the object's oldest version into out[n]. */
static enum cv_err get_range(struct s3_backend *s, const char *key, const struct s3_obj *o,
                             uint64_t off, size_t n, void *out, size_t *got)
{
    struct cv_buf q = CV_BUF_INIT(1024);
    enum cv_err err = version_query(o->vid, &q, NULL);

    *got = 0;
    if (!err) {
        struct cv_s3_call c = {.method = "GET",
                               .key = key,
                               .query = cv_buf_str(&q),
                               .range_off = off,
                               .range_len = n,
                               .dst = out,
                               .dst_cap = n};

        err = cv_s3_call(&s->http, &c);
        if (!err)
            *got = c.status == 416 ? 0 : c.dst_got;
    }
    cv_buf_free(&q);
    return err;
}

/* A read that a read-ahead window holds (or that it holds up to the object's end). */
static bool ra_hit(struct s3_backend *s, const char *name, uint64_t off, size_t n, uint64_t size,
                   void *out, size_t *got)
{
    bool hit = false;

    pthread_mutex_lock(&s->ra_lock);
    for (size_t i = 0; i < RA_SLOTS && !hit; i++) {
        struct ra_slot *r = &s->ra[i];
        uint64_t end = r->off + r->len;

        if (strcmp(r->name, name) != 0 || off < r->off || off >= end ||
            (off + n > end && end < size))
            continue;
        *got = (size_t)(off + n > end ? end - off : n);
        memcpy(out, r->data + (off - r->off), *got);
        r->used = ++s->ra_clock;
        hit = true;
    }
    pthread_mutex_unlock(&s->ra_lock);
    return hit;
}

/* How much to fetch at `off`: RA_MAX when it follows on from a window of the same pack. */
static size_t ra_window(struct s3_backend *s, const char *name, uint64_t off)
{
    size_t len = RA_FIRST;

    pthread_mutex_lock(&s->ra_lock);
    for (size_t i = 0; i < RA_SLOTS; i++)
        if (strcmp(s->ra[i].name, name) == 0 && off >= s->ra[i].off &&
            off <= s->ra[i].off + s->ra[i].len + RA_FIRST)
            len = RA_MAX;
    pthread_mutex_unlock(&s->ra_lock);
    return len;
}

/* Keep a window (its data is the cache's from then on) in the least recently used slot. */
static void ra_keep(struct s3_backend *s, const char *name, uint64_t off, uint8_t *data, size_t len)
{
    struct ra_slot *r = &s->ra[0];

    pthread_mutex_lock(&s->ra_lock);
    for (size_t i = 1; i < RA_SLOTS; i++)
        if (s->ra[i].used < r->used)
            r = &s->ra[i];
    cv_free(r->data);
    cv_strlcpy(r->name, name, sizeof(r->name));
    r->off = off;
    r->data = data;
    r->len = len;
    r->used = ++s->ra_clock;
    pthread_mutex_unlock(&s->ra_lock);
}

static enum cv_err s3_get(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                          uint64_t off, size_t n, void *out, size_t *got)
{
    struct s3_backend *s = s3(be);
    char key[CV_S3_KEY_MAX + 1];
    struct s3_obj o;
    uint8_t *window;
    size_t len, wgot;
    enum cv_err err;

    *got = 0;
    if (n == 0)
        return CV_OK;
    err = object_key(s, kind, name, key, sizeof(key));
    if (!err)
        err = resolve(s, kind, name, &o);
    if (err || off >= o.size)
        return err;
    /* packs are read a block at a time (restore, drills): read ahead; whole objects directly */
    if (kind != CV_OBJ_PACK || n >= RA_MAX || (off == 0 && n >= o.size))
        return get_range(s, key, &o, off, n, out, got);
    if (ra_hit(s, name, off, n, o.size, out, got))
        return CV_OK;
    len = ra_window(s, name, off);
    len = len > n ? len : n;
    if (len > o.size - off)
        len = (size_t)(o.size - off);
    window = cv_malloc(len);
    if (!window)
        return cv_fail(CV_ENOMEM, "out of memory");
    err = get_range(s, key, &o, off, len, window, &wgot);
    if (err) {
        cv_free(window);
        return err;
    }
    *got = wgot < n ? wgot : n;
    memcpy(out, window, *got);
    ra_keep(s, name, off, window, wgot);
    return CV_OK;
}

static enum cv_err s3_size(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                           uint64_t *size)
{
    struct s3_obj o;
    enum cv_err err = resolve(s3(be), kind, name, &o);

    *size = err ? 0 : o.size;
    return err;
}

struct list_ctx {
    enum cv_obj_kind kind;
    size_t plen;
    uint64_t skipped;
    struct s3_kind found;
};

static enum cv_err on_listed(struct s3_backend *s, const char *key, const char *vid, uint64_t size,
                             void *arg)
{
    struct list_ctx *l = arg;
    const char *rel = key + l->plen;

    (void)s;
    if (l->kind == CV_OBJ_PACK) { /* "XX/<name>", XX its first two digits */
        if (strlen(rel) != 3 + CV_OBJ_NAME_LEN || rel[2] != '/' || memcmp(rel, rel + 3, 2) != 0) {
            l->skipped++;
            return CV_OK;
        }
        rel += 3;
    }
    if (!cv_obj_name_valid(rel)) {
        l->skipped++;
        return CV_OK;
    }
    return table_add(&l->found, rel, vid, size);
}

static enum cv_err s3_list(struct cv_backend *be, enum cv_obj_kind kind, cv_backend_list_fn fn,
                           void *arg, uint64_t *skipped)
{
    struct s3_backend *s = s3(be);
    struct list_ctx l = {.kind = kind};
    char prefix[CV_S3_KEY_MAX + 1];
    char(*names)[CV_OBJ_NAME_LEN + 1] = NULL;
    size_t n = 0;
    enum cv_err err = CV_OK;

    if (kind == CV_OBJ_CONFIG || (unsigned)kind > CV_OBJ_PRUNE)
        return cv_fail(CV_EINVAL, "cannot list that kind of object");
    snprintf(prefix, sizeof(prefix), "%s%s/", s->loc.prefix, cv_s3_kind_dirs[kind]);
    l.plen = strlen(prefix);
    err = walk_versions(s, prefix, 1000, on_listed, &l);
    /* the callbacks run unlocked (they may read objects): the names are copied first */
    if (!err && !(names = cv_calloc(l.found.n ? l.found.n : 1, sizeof(*names))))
        err = cv_fail(CV_ENOMEM, "out of memory");
    if (!err) {
        for (n = 0; n < l.found.n; n++)
            memcpy(names[n], l.found.objs[n].name, sizeof(names[n]));
        pthread_mutex_lock(&s->lock); /* what the listing says replaces what we knew */
        cv_free(s->kinds[kind].objs);
        s->kinds[kind] = l.found;
        l.found.objs = NULL;
        pthread_mutex_unlock(&s->lock);
    }
    cv_free(l.found.objs);
    if (skipped)
        *skipped += l.skipped;
    for (size_t i = 0; i < n && !err; i++)
        err = fn(names[i], arg);
    cv_free(names);
    return err;
}

/* ---- locks ------------------------------------------------------------------------------------
 */

static enum cv_err read_retention(struct s3_backend *s, const char *key, const char *vid,
                                  struct cv_lock_info *out)
{
    struct cv_buf body = CV_BUF_INIT(64u << 10), q = CV_BUF_INIT(1024);
    struct cv_s3_call c = {.method = "GET", .key = key, .out = &body};
    char until[64];
    enum cv_err err = version_query(vid, &q, "retention");

    c.query = cv_buf_str(&q);
    if (!err)
        err = cv_s3_call(&s->http, &c);
    if (err && c.status == 404 && strcmp(c.error_code, "NoSuchKey") != 0 &&
        strcmp(c.error_code, "NoSuchBucket") != 0) {
        err = CV_OK; /* NoSuchObjectLockConfiguration: the object has no lock */
        cv_buf_reset(&body);
    }
    if (!err && body.len) {
        if (cv_s3_parse_value(cv_buf_str(&body), body.len, "Mode", out->mode, sizeof(out->mode)) >
                CV_ENOENT ||
            cv_s3_parse_value(cv_buf_str(&body), body.len, "RetainUntilDate", until,
                              sizeof(until)) > CV_ENOENT)
            err = cv_fail_prefix(CV_EPARSE, "bucket '%s': the retention of '%s': ", s->loc.bucket,
                                 key);
        else if (until[0] && cv_s3_parse_time(until, &out->until) != CV_OK)
            err = cv_fail_prefix(CV_EPARSE, "bucket '%s': the retention of '%s': ", s->loc.bucket,
                                 key);
    }
    out->locked = !err && strcmp(out->mode, "COMPLIANCE") == 0 && out->until > (int64_t)cv_now();
    cv_buf_free(&body);
    cv_buf_free(&q);
    return err;
}

static enum cv_err s3_lock_read(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                                struct cv_lock_info *out)
{
    struct s3_backend *s = s3(be);
    char key[CV_S3_KEY_MAX + 1];
    struct s3_obj o;
    enum cv_err err;

    memset(out, 0, sizeof(*out));
    out->retention = s->retention;
    err = object_key(s, kind, name, key, sizeof(key));
    if (!err)
        err = resolve(s, kind, name, &o);
    if (!err)
        err = read_retention(s, key, o.vid, out);
    return err;
}

/* Set the lock of one object version to the date in s->ext_body. *done: it was moved. */
static enum cv_err extend_one(struct s3_backend *s, const char *key, const char *vid, bool *done)
{
    struct cv_buf q = CV_BUF_INIT(1024);
    const char *headers[1] = {s->ext_md5};
    struct cv_s3_call c = {.method = "PUT",
                           .key = key,
                           .body = s->ext_body,
                           .body_len = strlen(s->ext_body),
                           .headers = headers,
                           .nheaders = 1};
    enum cv_err err = version_query(vid, &q, "retention");

    *done = false;
    c.query = cv_buf_str(&q);
    if (!err)
        err = cv_s3_call(&s->http, &c);
    /* 403 because the object already holds a later date: nothing to extend */
    if (err == CV_EPERM && strcmp(c.error_code, "AccessDenied") == 0) {
        struct cv_lock_info li = {0};

        if (read_retention(s, key, vid, &li) == CV_OK && li.locked)
            err = CV_OK;
        else
            err = cv_fail(CV_EPERM, "bucket '%s': the lock of '%s' could not be extended",
                          s->loc.bucket, key);
    } else if (!err) {
        *done = true;
    }
    cv_buf_free(&q);
    return err;
}

static enum cv_err on_extend(struct s3_backend *s, const char *key, const char *vid, uint64_t size,
                             void *arg)
{
    struct s3_job *j;

    (void)size;
    if (strcmp(key, arg) == 0)
        return CV_OK; /* the s3-lock object goes last */
    if (!(j = cv_calloc(1, sizeof(*j))))
        return cv_fail(CV_ENOMEM, "out of memory");
    j->retention = true;
    cv_strlcpy(j->key, key, sizeof(j->key));
    cv_strlcpy(j->vid, vid, sizeof(j->vid));
    return enqueue(s, j);
}

/* Whether the locks need pushing out. The s3-lock object's lock is extended last, after every
 * other object's, so its date is now + retention as of the last complete extension (or of
 * init): every object is locked at least that long. They are pushed out again once a tenth
 * of the retention has passed since, long before any runs out. A date later than we would
 * ever set (someone lengthened that one lock, which anyone may) is not trusted. */
static bool extension_due(struct s3_backend *s, const char *lock_key)
{
    struct cv_lock_info li = {0};
    int64_t now = (int64_t)cv_now();

    if (!s->have_lockobj || read_retention(s, lock_key, s->lockobj.vid, &li) != CV_OK ||
        !li.locked || li.until > now + s->retention + LOCK_SLACK)
        return true;
    return li.until < now + s->retention - s->retention / 10;
}

static enum cv_err s3_lock_extend(struct cv_backend *be, uint64_t *extended)
{
    struct s3_backend *s = s3(be);
    char until[32], md5[32], lock_key[CV_S3_KEY_MAX + 1];
    bool done = false;
    enum cv_err err;

    *extended = 0;
    if (s->retention <= 0)
        return CV_OK;
    snprintf(lock_key, sizeof(lock_key), "%s" LOCK_OBJECT, s->loc.prefix);
    err = workers_wait(s, NULL); /* what was put before is extended too */
    if (err || !extension_due(s, lock_key))
        return err;
    cv_s3_format_time((int64_t)cv_now() + s->retention, until, sizeof(until));
    snprintf(s->ext_body, sizeof(s->ext_body),
             "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>COMPLIANCE</Mode>"
             "<RetainUntilDate>%s</RetainUntilDate></Retention>",
             until);
    err = content_md5(s->ext_body, strlen(s->ext_body), md5);
    snprintf(s->ext_md5, sizeof(s->ext_md5), "Content-MD5: %s", md5);
    /* every object under the prefix: config, keys, snapshots, index, packs; then s3-lock */
    if (!err)
        err = walk_versions(s, s->loc.prefix, 1000, on_extend, lock_key);
    {
        enum cv_err werr = workers_wait(s, extended);

        err = err ? err : werr;
    }
    if (!err && s->have_lockobj)
        err = extend_one(s, lock_key, s->lockobj.vid, &done);
    *extended += done;
    return err;
}

/* ---- opening ------------------------------------------------------------------------------------
 */

static void s3_close(struct cv_backend *be)
{
    struct s3_backend *s = s3(be);
    struct s3_workers *w = &s->w;

    /* what was handed over is still sent (a put is kept even without its sync) */
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    for (unsigned i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->changed);
    for (size_t i = 0; i < RA_SLOTS; i++)
        cv_free(s->ra[i].data);
    pthread_mutex_destroy(&s->ra_lock);
    cv_s3_http_free(&s->http);
    for (size_t i = 0; i < CV_ARRAY_LEN(s->kinds); i++)
        cv_free(s->kinds[i].objs);
    pthread_mutex_destroy(&s->lock);
    cv_free(s->base.location);
    cv_free(s);
}

static const struct cv_backend_ops s3_ops = {
    .scheme = "s3",
    .put = s3_put,
    .sync = s3_sync,
    .get = s3_get,
    .size = s3_size,
    .list = s3_list,
    .close = s3_close,
    .lock_read = s3_lock_read,
    .lock_extend = s3_lock_extend,
};

/* "aws_access_key_id = X" / "aws_secret_access_key = Y" lines (the AWS shared credentials
 * format; [sections] and # comments are skipped). */
static enum cv_err read_credentials(const char *path, char **userpwd)
{
    struct cv_buf b = CV_BUF_INIT(CREDENTIALS_MAX);
    char id[256] = "", secret[256] = "";
    enum cv_err err = cv_file_check_private(path);

    if (!err)
        err = cv_buf_read_file(&b, path);
    for (char *save = NULL, *line = err ? NULL : strtok_r(b.data ? b.data : "", "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '='), *k = line, *v, *e;

        if (!eq || *line == '#' || *line == ';' || *line == '[')
            continue;
        *eq = '\0';
        v = eq + 1;
        for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
            e[-1] = '\0';
        while (*k == ' ' || *k == '\t')
            k++;
        while (*v == ' ' || *v == '\t')
            v++;
        v[strcspn(v, " \t\r")] = '\0';
        if (strcmp(k, "aws_access_key_id") == 0 || strcmp(k, "access_key_id") == 0)
            cv_strlcpy(id, v, sizeof(id));
        else if (strcmp(k, "aws_secret_access_key") == 0 || strcmp(k, "secret_access_key") == 0)
            cv_strlcpy(secret, v, sizeof(secret));
    }
    if (!err && (!id[0] || !secret[0]))
        err = cv_fail(CV_EINVAL, "'%s' lacks aws_access_key_id or aws_secret_access_key", path);
    if (!err && (strchr(id, ':') || !(*userpwd = cv_malloc(strlen(id) + strlen(secret) + 2))))
        err = cv_fail(strchr(id, ':') ? CV_EINVAL : CV_ENOMEM, "'%s': unusable access key", path);
    if (!err)
        sprintf(*userpwd, "%s:%s", id, secret);
    if (b.data)
        sodium_memzero(b.data, b.cap);
    cv_buf_free(&b);
    sodium_memzero(secret, sizeof(secret));
    return err;
}

enum cv_err cv_s3_credentials(const struct cv_backend_opts *o, char **userpwd)
{
    const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");

    *userpwd = NULL;
    if (o->credentials_file)
        return read_credentials(o->credentials_file, userpwd);
    if (!id || !*id || !secret || !*secret)
        return cv_fail(CV_EINVAL, "no S3 credentials: give a credentials file (mode 0600) or set "
                                  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    if (strchr(id, ':'))
        return cv_fail(CV_EINVAL, "AWS_ACCESS_KEY_ID holds a ':'");
    *userpwd = cv_malloc(strlen(id) + strlen(secret) + 2);
    if (!*userpwd)
        return cv_fail(CV_ENOMEM, "out of memory");
    sprintf(*userpwd, "%s:%s", id, secret);
    return CV_OK;
}

/* GET /bucket?<what> and the text of `elem` in the answer ("" when absent). */
static enum cv_err bucket_setting(struct s3_backend *s, const char *what, const char *elem,
                                  char *out, size_t n)
{
    struct cv_buf body = CV_BUF_INIT(64u << 10), q = CV_BUF_INIT(64);
    struct cv_s3_param p = {what, ""};
    struct cv_s3_call c = {.method = "GET", .out = &body};
    enum cv_err err = cv_s3_query(&p, 1, &q);

    out[0] = '\0';
    c.query = cv_buf_str(&q);
    if (!err)
        err = cv_s3_call(&s->http, &c);
    if (err && c.status == 404 && strcmp(c.error_code, "NoSuchBucket") != 0)
        err = CV_OK; /* e.g. ObjectLockConfigurationNotFoundError: not set */
    else if (!err && cv_s3_parse_value(cv_buf_str(&body), body.len, elem, out, n) > CV_ENOENT)
        err = cv_fail_prefix(CV_EPARSE, "bucket '%s': its %s setting: ", s->loc.bucket, what);
    cv_buf_free(&body);
    cv_buf_free(&q);
    return err;
}

static enum cv_err on_anything(struct s3_backend *s, const char *key, const char *vid,
                               uint64_t size, void *arg)
{
    (void)s, (void)key, (void)vid, (void)size;
    *(bool *)arg = true;
    return CV_ECANCELED; /* one is enough */
}

/* Learn the retention from the s3-lock object (its oldest version) unless told. A repository
 * without one (not made by chartvault's init or copy) takes what it is told. */
static enum cv_err read_lock_object(struct s3_backend *s, const struct cv_backend_opts *o)
{
    struct cv_buf text = CV_BUF_INIT(4096), q = CV_BUF_INIT(1024);
    char key[CV_S3_KEY_MAX + 1];
    const char *r;
    enum cv_err err;

    snprintf(key, sizeof(key), "%s" LOCK_OBJECT, s->loc.prefix);
    err = resolve_key(s, key, &s->lockobj);
    if (err == CV_ENOENT) {
        s->retention = o->retention;
        return CV_OK;
    }
    s->have_lockobj = !err;
    if (!err)
        err = version_query(s->lockobj.vid, &q, NULL);
    if (!err) {
        struct cv_s3_call c = {.method = "GET", .key = key, .query = cv_buf_str(&q), .out = &text};

        err = cv_s3_call(&s->http, &c);
    }
    if (!err && strncmp(cv_buf_str(&text), LOCK_MAGIC, strlen(LOCK_MAGIC)) != 0)
        err = cv_fail(CV_ECORRUPT, "'%s/%s' is not a lock description", s->base.location,
                      LOCK_OBJECT);
    r = err ? NULL : strstr(cv_buf_str(&text), "\nretention ");
    if (!err && r) {
        long v = strtol(r + 11, NULL, 10);

        s->retention = v > 0 && v < 100L * 365 * 86400 ? v : 0;
    }
    if (!err && o->retention > 0)
        s->retention = o->retention;
    cv_buf_free(&text);
    cv_buf_free(&q);
    return err;
}

/* A new repository: the bucket must lock (unless no_lock) and hold nothing under the prefix. */
static enum cv_err s3_create(struct s3_backend *s, const struct cv_backend_opts *o)
{
    char versioning[32], lock[32], text[128], key[CV_S3_KEY_MAX + 1];
    bool any = false;
    enum cv_err err = bucket_setting(s, "versioning", "Status", versioning, sizeof(versioning));

    if (!err)
        err = bucket_setting(s, "object-lock", "ObjectLockEnabled", lock, sizeof(lock));
    if (err)
        return err;
    if (!o->no_lock && (strcmp(versioning, "Enabled") != 0 || strcmp(lock, "Enabled") != 0))
        return cv_fail(CV_EUNSUPPORTED,
                       "bucket '%s' has %s: its objects could be deleted or overwritten by anyone "
                       "holding these credentials (ransomware on this host included). Make a "
                       "bucket with Object Lock (which turns on versioning), or give --no-lock "
                       "to accept an unlocked copy",
                       s->loc.bucket,
                       strcmp(lock, "Enabled") != 0 ? "no Object Lock" : "versioning suspended");
    s->retention = o->no_lock ? 0 : o->retention > 0 ? o->retention : DEFAULT_RETENTION;
    if (o->no_lock && strcmp(lock, "Enabled") == 0 && o->retention > 0)
        s->retention = o->retention;
    err = walk_versions(s, s->loc.prefix, 1, on_anything, &any);
    if (err == CV_ECANCELED)
        err = CV_OK;
    if (err)
        return err;
    if (any && !o->resume)
        return cv_fail(CV_EEXIST, "bucket '%s' already holds objects under '%s'", s->loc.bucket,
                       s->loc.prefix[0] ? s->loc.prefix : "/");
    snprintf(key, sizeof(key), "%s" LOCK_OBJECT, s->loc.prefix);
    if (any && resolve_key(s, key, &s->lockobj) == CV_OK) /* a killed copy's: as it said */
        return read_lock_object(s, o);
    snprintf(text, sizeof(text), LOCK_MAGIC "mode %s\nretention %ld\n",
             s->retention ? "COMPLIANCE" : "none", s->retention);
    err = put_key(s, key, text, strlen(text), s->lockobj.vid);
    s->have_lockobj = !err;
    return err;
}

/* An existing repository: it has a config; its lock settings. */
static enum cv_err s3_existing(struct s3_backend *s, const struct cv_backend_opts *o)
{
    struct s3_obj obj;
    enum cv_err err = resolve(s, CV_OBJ_CONFIG, NULL, &obj);

    if (err == CV_ENOENT && !strstr(cv_errmsg(), "NoSuchBucket"))
        return cv_fail(CV_ENOENT, "'%s' is not a chartvault repository (no config)",
                       s->base.location);
    return err ? err : read_lock_object(s, o);
}

enum cv_err cv_backend_s3_open(const char *location, const struct cv_backend_opts *o,
                               struct cv_backend **out)
{
    struct s3_backend *s;
    enum cv_err err;

    *out = NULL;
    s = cv_calloc(1, sizeof(*s));
    if (!s)
        return cv_fail(CV_ENOMEM, "out of memory");
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->w.lock, NULL);
    pthread_cond_init(&s->w.changed, NULL);
    pthread_mutex_init(&s->ra_lock, NULL);
    s->base.ops = &s3_ops;
    s->base.location = cv_strdup(location);
    if (!s->base.location) {
        err = cv_fail(CV_ENOMEM, "out of memory");
        goto out_free;
    }
    err = cv_s3_loc_parse(location, &s->loc);
    if (!err)
        err = cv_s3_http_init(&s->http, &s->loc, o->ca_file);
    if (!err)
        err = cv_s3_credentials(o, &s->http.userpwd);
    if (!err)
        err = o->create ? s3_create(s, o) : s3_existing(s, o);
    if (err)
        goto out_free;
    *out = &s->base;
    return CV_OK;
out_free:
    s3_close(&s->base);
    return err;
}
