/*
 * s3.c: the S3 backend. A repository is a prefix in a bucket, laid out like a local folder
 * (config, s3-lock, keys/, snapshots/, index/, packs/XX/). Every object is written once with
 * Content-MD5 and, in a bucket with Object Lock, a COMPLIANCE lock until now + retention, so
 * the host that writes it cannot delete, shorten or overwrite it. In a versioned bucket an
 * overwrite or a plain DELETE only adds a version or a delete marker: readers therefore list
 * versions and read each object's *oldest* version by its ID, which is the one chartvault
 * wrote (a retried PUT writes the same bytes again). `lock_extend` pushes every object's lock
 * out again, as kopia does, so what snapshots still need never runs out of its lock.
 */
#include <chartvault/backend.h>

#include "backend/s3_http.h"

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
#define OBJECT_MAX        ((size_t)2 << 30)

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

struct s3_backend {
    struct cv_backend base;
    struct cv_s3_loc loc;
    struct cv_s3_http http;
    pthread_mutex_t lock; /* one connection and the object table, for every thread */
    struct s3_kind kinds[CV_OBJ_PACK + 1];
    struct s3_obj config, lockobj; /* resolved singletons (name unused) */
    bool have_config, have_lockobj;
    long retention; /* 0: no lock */
};

static const char *const kind_dirs[] = {[CV_OBJ_CONFIG] = "",
                                        [CV_OBJ_KEY] = "keys",
                                        [CV_OBJ_SNAPSHOT] = "snapshots",
                                        [CV_OBJ_INDEX] = "index",
                                        [CV_OBJ_PACK] = "packs"};

static struct s3_backend *s3(struct cv_backend *be)
{
    return (struct s3_backend *)be;
}

/* The key of an object under the bucket (prefix included). */
static enum cv_err object_key(const struct s3_backend *s, enum cv_obj_kind kind, const char *name,
                              char *key, size_t n)
{
    if (kind == CV_OBJ_CONFIG) {
        snprintf(key, n, "%sconfig", s->loc.prefix);
        return CV_OK;
    }
    if ((unsigned)kind > CV_OBJ_PACK || !name || !cv_obj_name_valid(name))
        return cv_fail(CV_EINVAL, "'%s' is not a repository object name", name ? name : "");
    if (kind == CV_OBJ_PACK)
        snprintf(key, n, "%spacks/%.2s/%s", s->loc.prefix, name, name);
    else
        snprintf(key, n, "%s%s/%s", s->loc.prefix, kind_dirs[kind], name);
    return CV_OK;
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

/* The version and size of an object, from the table or asked for. Called with s->lock. */
static enum cv_err resolve(struct s3_backend *s, enum cv_obj_kind kind, const char *name,
                           struct s3_obj *out)
{
    char key[CV_S3_KEY_MAX + 1];
    struct s3_obj *o;
    enum cv_err err = object_key(s, kind, name, key, sizeof(key));

    if (err)
        return err;
    if (kind == CV_OBJ_CONFIG) {
        if (!s->have_config && (err = resolve_key(s, key, &s->config)) != CV_OK)
            return err;
        s->have_config = true;
        *out = s->config;
        return CV_OK;
    }
    o = table_find(&s->kinds[kind], name);
    if (o) {
        *out = *o;
        return CV_OK;
    }
    memset(out, 0, sizeof(*out));
    err = resolve_key(s, key, out);
    if (!err)
        err = table_add(&s->kinds[kind], name, out->vid, out->size);
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

/* Objects are written whole by one PUT, so put() is durable once it returns and sync() has
 * nothing left to do. A put of a name that exists adds a version (harmless: names are random
 * or content-addressed, and readers take the oldest); callers that must not repeat a put
 * (copy) look first. */
static enum cv_err s3_put(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                          const void *p, size_t n)
{
    struct s3_backend *s = s3(be);
    char key[CV_S3_KEY_MAX + 1], vid[CV_S3_VID_MAX + 1];
    enum cv_err err = object_key(s, kind, name, key, sizeof(key));

    if (err)
        return err;
    pthread_mutex_lock(&s->lock);
    err = put_key(s, key, p, n, vid);
    if (!err && kind == CV_OBJ_CONFIG) {
        cv_strlcpy(s->config.vid, vid, sizeof(s->config.vid));
        s->config.size = n;
        s->have_config = true;
    } else if (!err) {
        err = table_add(&s->kinds[kind], name, vid, n);
    }
    pthread_mutex_unlock(&s->lock);
    return err;
}

static enum cv_err s3_sync(struct cv_backend *be)
{
    (void)be;
    return CV_OK;
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

static enum cv_err s3_get(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                          uint64_t off, size_t n, void *out, size_t *got)
{
    struct s3_backend *s = s3(be);
    struct cv_buf q = CV_BUF_INIT(1024);
    char key[CV_S3_KEY_MAX + 1];
    struct s3_obj o;
    enum cv_err err;

    *got = 0;
    if (n == 0)
        return CV_OK;
    pthread_mutex_lock(&s->lock);
    err = object_key(s, kind, name, key, sizeof(key));
    if (!err)
        err = resolve(s, kind, name, &o);
    if (!err && off >= o.size)
        goto out_unlock;
    if (!err)
        err = version_query(o.vid, &q, NULL);
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
out_unlock:
    pthread_mutex_unlock(&s->lock);
    cv_buf_free(&q);
    return err;
}

static enum cv_err s3_size(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                           uint64_t *size)
{
    struct s3_backend *s = s3(be);
    struct s3_obj o;
    enum cv_err err;

    *size = 0;
    pthread_mutex_lock(&s->lock);
    err = resolve(s, kind, name, &o);
    pthread_mutex_unlock(&s->lock);
    if (!err)
        *size = o.size;
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
    enum cv_err err = CV_OK;

    if (kind == CV_OBJ_CONFIG || (unsigned)kind > CV_OBJ_PACK)
        return cv_fail(CV_EINVAL, "cannot list that kind of object");
    snprintf(prefix, sizeof(prefix), "%s%s/", s->loc.prefix, kind_dirs[kind]);
    l.plen = strlen(prefix);
    pthread_mutex_lock(&s->lock);
    err = walk_versions(s, prefix, 1000, on_listed, &l);
    if (!err) { /* what the listing says replaces what we knew */
        cv_free(s->kinds[kind].objs);
        s->kinds[kind] = l.found;
        l.found.objs = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    cv_free(l.found.objs);
    if (skipped)
        *skipped += l.skipped;
    /* the callbacks run unlocked (they may read objects); names are copied first */
    if (!err) {
        struct s3_kind *k = &s->kinds[kind];
        size_t n = k->n;
        char(*names)[CV_OBJ_NAME_LEN + 1] = cv_calloc(n ? n : 1, sizeof(*names));

        if (!names)
            return cv_fail(CV_ENOMEM, "out of memory");
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < n && i < k->n; i++)
            memcpy(names[i], k->objs[i].name, sizeof(names[i]));
        pthread_mutex_unlock(&s->lock);
        for (size_t i = 0; i < n && !err; i++)
            err = fn(names[i], arg);
        cv_free(names);
    }
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
    pthread_mutex_lock(&s->lock);
    err = object_key(s, kind, name, key, sizeof(key));
    if (!err)
        err = resolve(s, kind, name, &o);
    if (!err)
        err = read_retention(s, key, o.vid, out);
    pthread_mutex_unlock(&s->lock);
    return err;
}

struct extend_ctx {
    char body[512];
    char md5_header[64];
    uint64_t extended;
};

static enum cv_err extend_one(struct s3_backend *s, const char *key, const char *vid, uint64_t size,
                              void *arg)
{
    struct extend_ctx *x = arg;
    struct cv_buf q = CV_BUF_INIT(1024);
    const char *headers[1] = {x->md5_header};
    struct cv_s3_call c = {.method = "PUT",
                           .key = key,
                           .body = x->body,
                           .body_len = strlen(x->body),
                           .headers = headers,
                           .nheaders = 1};
    enum cv_err err = version_query(vid, &q, "retention");

    (void)size;
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
        x->extended++;
    }
    cv_buf_free(&q);
    return err;
}

static enum cv_err s3_lock_extend(struct cv_backend *be, uint64_t *extended)
{
    struct s3_backend *s = s3(be);
    struct extend_ctx x = {0};
    char until[32], md5[32];
    enum cv_err err;

    *extended = 0;
    if (s->retention <= 0)
        return CV_OK;
    cv_s3_format_time((int64_t)cv_now() + s->retention, until, sizeof(until));
    snprintf(x.body, sizeof(x.body),
             "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>COMPLIANCE</Mode>"
             "<RetainUntilDate>%s</RetainUntilDate></Retention>",
             until);
    err = content_md5(x.body, strlen(x.body), md5);
    snprintf(x.md5_header, sizeof(x.md5_header), "Content-MD5: %s", md5);
    pthread_mutex_lock(&s->lock);
    if (!err) /* every object under the prefix: config, s3-lock, keys, snapshots, index, packs */
        err = walk_versions(s, s->loc.prefix, 1000, extend_one, &x);
    pthread_mutex_unlock(&s->lock);
    *extended = x.extended;
    return err;
}

/* ---- opening ------------------------------------------------------------------------------------
 */

static void s3_close(struct cv_backend *be)
{
    struct s3_backend *s = s3(be);

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

static enum cv_err credentials(const struct cv_backend_opts *o, char **userpwd)
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
    snprintf(text, sizeof(text), LOCK_MAGIC "mode %s\nretention %ld\n",
             s->retention ? "COMPLIANCE" : "none", s->retention);
    snprintf(key, sizeof(key), "%s" LOCK_OBJECT, s->loc.prefix);
    return put_key(s, key, text, strlen(text), NULL);
}

/* An existing repository: learn its retention from its s3-lock object unless told. */
static enum cv_err s3_existing(struct s3_backend *s, const struct cv_backend_opts *o)
{
    struct cv_buf text = CV_BUF_INIT(4096), q = CV_BUF_INIT(1024);
    char key[CV_S3_KEY_MAX + 1];
    struct s3_obj obj;
    const char *r;
    enum cv_err err = resolve(s, CV_OBJ_CONFIG, NULL, &obj);

    if (err == CV_ENOENT && !strstr(cv_errmsg(), "NoSuchBucket"))
        return cv_fail(CV_ENOENT, "'%s' is not a chartvault repository (no config)",
                       s->base.location);
    if (err)
        return err;
    snprintf(key, sizeof(key), "%s" LOCK_OBJECT, s->loc.prefix);
    err = resolve_key(s, key, &s->lockobj);
    if (err == CV_ENOENT) { /* not made by chartvault's init or copy: take what we are told */
        s->retention = o->retention;
        return CV_OK;
    }
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
        err = credentials(o, &s->http.userpwd);
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
