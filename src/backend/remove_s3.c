/*
 * remove_s3.c: removing objects from a repository in an S3 bucket (backend_remove.h), for
 * `forget` and `prune` only. The bucket is versioned (Object Lock needs it), so a DELETE
 * without a version ID would only hide the object behind a delete marker while its data stays
 * stored and billed. An object is removed by deleting each of its versions by ID, delete markers
 * included. Before deleting anything the retention of every data version is read: one whose
 * retain-until date has not passed makes the whole object LOCKED, and nothing of it is touched
 * (COMPLIANCE would refuse the delete anyway; asking first keeps the object whole for readers,
 * who read its oldest version). Deleting a version needs s3:DeleteObjectVersion, which the
 * daemon's key should not have: this handle is opened with the operator's credentials.
 */
#include <chartvault/backend_remove.h>

#include "s3_http.h"

#include <stdio.h>
#include <string.h>

#define VERSIONS_MAX 64 /* versions of one object we act on (a retried put makes a few) */
#define LISTING_MAX  (CV_S3_XML_MAX)

struct s3_remover {
    struct cv_remover base;
    struct cv_s3_loc loc;
    struct cv_s3_http http;
};

/* The versions of one key, delete markers included. */
struct key_versions {
    const char *key;
    struct {
        char vid[CV_S3_VID_MAX + 1];
        bool marker;
    } v[VERSIONS_MAX];
    size_t n;
    bool too_many;
};

static struct s3_remover *sr(struct cv_remover *rm)
{
    return (struct s3_remover *)rm;
}

typedef enum cv_err (*version_fn)(void *arg, const struct cv_s3_version *v);

/* Every version under `prefix`, page by page, to fn. */
static enum cv_err list_versions(struct s3_remover *s, const char *prefix, version_fn fn, void *arg)
{
    struct cv_buf body = CV_BUF_INIT(LISTING_MAX), query = CV_BUF_INIT(8192);
    struct cv_s3_page page;
    enum cv_err err = CV_OK;

    memset(&page, 0, sizeof(page));
    do {
        struct cv_s3_param p[5] = {{"versions", ""}, {"prefix", prefix}, {"max-keys", "1000"}};
        size_t np = 3;
        struct cv_s3_call c = {.method = "GET", .out = &body};

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
        if (!err &&
            (err = cv_s3_parse_versions(cv_buf_str(&body), body.len, fn, arg, &page)) != CV_OK)
            cv_fail_prefix(err, "bucket '%s': listing '%s': ", s->loc.bucket, prefix);
    } while (!err && page.truncated);
    cv_buf_free(&body);
    cv_buf_free(&query);
    return err;
}

static enum cv_err on_key_version(void *arg, const struct cv_s3_version *v)
{
    struct key_versions *kv = arg;

    if (strcmp(v->key, kv->key) != 0)
        return CV_OK; /* a longer key with the same beginning */
    if (kv->n == VERSIONS_MAX) {
        kv->too_many = true;
        return CV_OK;
    }
    cv_strlcpy(kv->v[kv->n].vid, v->version_id, sizeof(kv->v[kv->n].vid));
    kv->v[kv->n++].marker = v->delete_marker;
    return CV_OK;
}

static enum cv_err version_query(const char *vid, const char *extra, struct cv_buf *q)
{
    struct cv_s3_param p[2];
    size_t n = 0;

    if (extra)
        p[n++] = (struct cv_s3_param){extra, ""};
    p[n++] = (struct cv_s3_param){"versionId", vid};
    return cv_s3_query(p, n, q);
}

/* The retain-until date of one version (0: none, or a mode that binds nobody). */
static enum cv_err retain_until(struct s3_remover *s, const char *key, const char *vid,
                                int64_t *until)
{
    struct cv_buf body = CV_BUF_INIT(64u << 10), q = CV_BUF_INIT(1024);
    struct cv_s3_call c = {.method = "GET", .key = key, .out = &body};
    char mode[32] = "", date[64] = "";
    enum cv_err err = version_query(vid, "retention", &q);

    *until = 0;
    c.query = cv_buf_str(&q);
    if (!err)
        err = cv_s3_call(&s->http, &c);
    if (err && c.status == 404 && strcmp(c.error_code, "NoSuchKey") != 0 &&
        strcmp(c.error_code, "NoSuchVersion") != 0 && strcmp(c.error_code, "NoSuchBucket") != 0) {
        err = CV_OK; /* NoSuchObjectLockConfiguration: the version has no lock */
        cv_buf_reset(&body);
    }
    if (!err && body.len &&
        (cv_s3_parse_value(cv_buf_str(&body), body.len, "Mode", mode, sizeof(mode)) > CV_ENOENT ||
         cv_s3_parse_value(cv_buf_str(&body), body.len, "RetainUntilDate", date, sizeof(date)) >
             CV_ENOENT ||
         (date[0] && cv_s3_parse_time(date, until) != CV_OK)))
        err = cv_fail_prefix(CV_EPARSE, "bucket '%s': the retention of '%s': ", s->loc.bucket, key);
    if (!mode[0])
        *until = 0;
    cv_buf_free(&body);
    cv_buf_free(&q);
    return err;
}

/* Look at an object: its versions, and the latest retain-until date among its data versions
 * that has not passed (0: none binds). */
static enum cv_err inspect(struct s3_remover *s, enum cv_obj_kind kind, const char *name, char *key,
                           size_t keyn, struct key_versions *kv, int64_t *locked_until)
{
    int64_t now = (int64_t)cv_now();
    enum cv_err err;

    *locked_until = 0;
    if (kind == CV_OBJ_CONFIG || kind == CV_OBJ_KEY)
        return cv_fail(CV_EINVAL, "'%s' is not something retention removes",
                       kind == CV_OBJ_CONFIG ? "config" : "a key file");
    err = cv_s3_object_key(&s->loc, kind, name, key, keyn);
    memset(kv, 0, sizeof(*kv));
    kv->key = key;
    if (!err)
        err = list_versions(s, key, on_key_version, kv);
    if (!err && kv->too_many)
        return cv_fail(CV_ETOOBIG, "bucket '%s': '%s' has more than %d versions; not removed",
                       s->loc.bucket, key, VERSIONS_MAX);
    for (size_t i = 0; i < kv->n && !err; i++) {
        int64_t until;

        if (kv->v[i].marker)
            continue;
        err = retain_until(s, key, kv->v[i].vid, &until);
        if (!err && until > now && until > *locked_until)
            *locked_until = until;
    }
    return err;
}

static bool has_data(const struct key_versions *kv)
{
    for (size_t i = 0; i < kv->n; i++)
        if (!kv->v[i].marker)
            return true;
    return false;
}

static enum cv_err delete_version(struct s3_remover *s, const char *key, const char *vid)
{
    struct cv_buf q = CV_BUF_INIT(1024);
    struct cv_s3_call c = {.method = "DELETE", .key = key};
    enum cv_err err = version_query(vid, NULL, &q);

    c.query = cv_buf_str(&q);
    if (!err)
        err = cv_s3_call(&s->http, &c);
    if (err == CV_ENOENT && strcmp(c.error_code, "NoSuchBucket") != 0)
        err = CV_OK; /* gone already (another prune, or a retry of ours) */
    else if (err == CV_EPERM)
        cv_fail_prefix(err, "deleting a version needs s3:DeleteObjectVersion, which the "
                            "credentials of forget and prune must have: ");
    cv_buf_free(&q);
    return err;
}

static enum cv_err s3_remove(struct cv_remover *rm, enum cv_obj_kind kind, const char *name,
                             enum cv_remove_result *res)
{
    struct s3_remover *s = sr(rm);
    char key[CV_S3_KEY_MAX + 1];
    struct key_versions *kv = cv_calloc(1, sizeof(*kv));
    int64_t until;
    enum cv_err err = kv ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");

    *res = CV_REMOVE_ABSENT;
    rm->until = 0;
    if (!err)
        err = inspect(s, kind, name, key, sizeof(key), kv, &until);
    if (!err && until) {
        *res = CV_REMOVE_LOCKED;
        rm->until = until;
    } else if (!err) {
        bool data = has_data(kv);

        /* data versions first: a delete marker left alone never hides data still there */
        for (size_t i = 0; i < kv->n && !err; i++)
            if (!kv->v[i].marker)
                err = delete_version(s, key, kv->v[i].vid);
        for (size_t i = 0; i < kv->n && !err; i++)
            if (kv->v[i].marker)
                err = delete_version(s, key, kv->v[i].vid);
        if (!err && data)
            *res = CV_REMOVED;
    }
    cv_free(kv);
    return err;
}

static enum cv_err s3_probe(struct cv_remover *rm, enum cv_obj_kind kind, const char *name,
                            enum cv_remove_result *res)
{
    struct s3_remover *s = sr(rm);
    char key[CV_S3_KEY_MAX + 1];
    struct key_versions *kv = cv_calloc(1, sizeof(*kv));
    int64_t until;
    enum cv_err err = kv ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");

    *res = CV_REMOVE_ABSENT;
    rm->until = 0;
    if (!err)
        err = inspect(s, kind, name, key, sizeof(key), kv, &until);
    if (!err && until) {
        *res = CV_REMOVE_LOCKED;
        rm->until = until;
    } else if (!err && has_data(kv)) {
        *res = CV_REMOVED;
    }
    cv_free(kv);
    return err;
}

static enum cv_err s3_sync(struct cv_remover *rm)
{
    (void)rm; /* each DELETE answered after it took effect; reads follow */
    return CV_OK;
}

/* ---- listing what is stored, with its age ---------------------------------------------------- */
struct stored {
    struct s3_remover *s;
    enum cv_obj_kind kind;
    size_t plen;
    cv_remover_list_fn fn;
    void *arg;
    char key[CV_S3_KEY_MAX + 1]; /* the key being gathered */
    int64_t newest;              /* its newest data version's time */
    uint64_t size;               /* its oldest data version's size */
    bool have, unknown;          /* unknown: a version without a readable time */
};

static enum cv_err stored_flush(struct stored *st)
{
    const char *rel = st->key + st->plen;

    if (!st->have)
        return CV_OK;
    st->have = false;
    if (st->kind == CV_OBJ_PACK) { /* "XX/<name>", XX its first two digits */
        if (strlen(rel) != 3 + CV_OBJ_NAME_LEN || rel[2] != '/' || memcmp(rel, rel + 3, 2) != 0)
            return CV_OK;
        rel += 3;
    }
    if (!cv_obj_name_valid(rel))
        return CV_OK; /* not an object name: not part of the repository */
    return st->fn(st->arg, rel, st->unknown ? 0 : st->newest, st->size);
}

static enum cv_err on_stored(void *arg, const struct cv_s3_version *v)
{
    struct stored *st = arg;
    enum cv_err err = CV_OK;

    if (strcmp(v->key, st->key) != 0) {
        err = stored_flush(st);
        cv_strlcpy(st->key, v->key, sizeof(st->key));
        st->newest = 0;
        st->unknown = false;
    }
    if (!err && !v->delete_marker) {
        st->unknown |= !v->modified; /* 0 is passed on, and prune takes it as new: kept */
        if (v->modified > st->newest)
            st->newest = v->modified;
        st->size = v->size; /* versions come newest first: the last is the oldest */
        st->have = true;
    }
    return err;
}

static enum cv_err s3_list(struct cv_remover *rm, enum cv_obj_kind kind, cv_remover_list_fn fn,
                           void *arg)
{
    struct s3_remover *s = sr(rm);
    struct stored *st = cv_calloc(1, sizeof(*st));
    char prefix[CV_S3_KEY_MAX + 1];
    enum cv_err err = st ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");

    if (!err && (kind == CV_OBJ_CONFIG || (unsigned)kind > CV_OBJ_PRUNE))
        err = cv_fail(CV_EINVAL, "cannot list that kind of object");
    if (!err) {
        snprintf(prefix, sizeof(prefix), "%s%s/", s->loc.prefix, cv_s3_kind_dirs[kind]);
        *st = (struct stored){.s = s, .kind = kind, .plen = strlen(prefix), .fn = fn, .arg = arg};
        err = list_versions(s, prefix, on_stored, st);
    }
    if (!err)
        err = stored_flush(st);
    cv_free(st);
    return err;
}

static void s3_close(struct cv_remover *rm)
{
    struct s3_remover *s = sr(rm);

    cv_s3_http_free(&s->http);
    cv_free(rm->location);
    cv_free(s);
}

static const struct cv_remover_ops s3_remove_ops = {
    .remove = s3_remove,
    .sync = s3_sync,
    .close = s3_close,
    .probe = s3_probe,
    .list = s3_list,
};

struct config_seen {
    const char *key;
    bool found;
};

static enum cv_err on_config(void *arg, const struct cv_s3_version *v)
{
    struct config_seen *c = arg;

    if (!v->delete_marker && strcmp(v->key, c->key) == 0)
        c->found = true;
    return CV_OK;
}

enum cv_err cv_remover_s3_open(const char *location, const struct cv_backend_opts *o,
                               struct cv_remover **out)
{
    static const struct cv_backend_opts none;
    struct s3_remover *s = cv_calloc(1, sizeof(*s));
    char key[CV_S3_KEY_MAX + 1];
    struct config_seen config = {key, false};
    enum cv_err err;

    *out = NULL;
    if (!s || !(s->base.location = cv_strdup(location))) {
        cv_free(s);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    s->base.ops = &s3_remove_ops;
    err = cv_s3_loc_parse(location, &s->loc);
    if (!err)
        err = cv_s3_http_init(&s->http, &s->loc, o ? o->ca_file : NULL);
    if (!err)
        err = cv_s3_credentials(o ? o : &none, &s->http.userpwd);
    if (!err) {
        snprintf(key, sizeof(key), "%sconfig", s->loc.prefix);
        err = list_versions(s, key, on_config, &config);
    }
    if (!err && !config.found)
        err = cv_fail(CV_ENOENT, "'%s' is not a chartvault repository (no config)", location);
    if (err) {
        s3_close(&s->base);
        return err;
    }
    *out = &s->base;
    return CV_OK;
}
