/*
 * copy.c: replicating a repository object by object, still encrypted, with no key at all.
 * The target becomes a replica (the same config, so the same repository ID, and the same key
 * files, so the same passphrase opens it). Objects go in the order that keeps every moment
 * of the target a valid repository: key files, config, packs, index objects (which name only
 * packs already there), snapshots (which need only indexed packs). What the target already
 * holds is skipped, so a copy that was killed resumes where it stopped.
 */
#include <chartvault/backend.h>

#include <stdlib.h>
#include <string.h>

#define SMALL_MAX  (64u << 10)
#define OBJECT_MAX CV_COPY_OBJECT_MAX
#define SYNC_EVERY 16 /* packs between syncs */
#define NAME_SIZE  (CV_OBJ_NAME_LEN + 1)

enum cv_err cv_name_set_add(struct cv_name_set *s, const char *name)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        void *p = cv_reallocarray(s->names, cap, NAME_SIZE);

        if (!p)
            return cv_fail(CV_ENOMEM, "out of memory");
        s->names = p;
        s->cap = cap;
    }
    cv_strlcpy(s->names[s->n++], name, NAME_SIZE);
    return CV_OK;
}

static enum cv_err collect(const char *name, void *arg)
{
    return cv_name_set_add(arg, name);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

void cv_name_set_sort(struct cv_name_set *s)
{
    if (s->n)
        qsort(s->names, s->n, NAME_SIZE, by_name);
}

enum cv_err cv_name_set_list(struct cv_backend *be, enum cv_obj_kind kind, struct cv_name_set *s)
{
    enum cv_err err = be->ops->list(be, kind, collect, s, NULL);

    if (!err)
        cv_name_set_sort(s);
    return err;
}

bool cv_name_set_has(const struct cv_name_set *s, const char *name)
{
    return s->n && bsearch(name, s->names, s->n, NAME_SIZE, by_name) != NULL;
}

void cv_name_set_free(struct cv_name_set *s)
{
    cv_free(s->names);
    memset(s, 0, sizeof(*s));
}

static const char *kind_name(enum cv_obj_kind k)
{
    static const char *const names[] = {"config", "key", "snapshot", "index", "pack"};

    return names[k];
}

enum cv_err cv_copy_object(struct cv_backend *from, struct cv_backend *to, enum cv_obj_kind kind,
                           const char *name, struct cv_buf *buf, struct cv_copy_stats *st)
{
    enum cv_err err;

    cv_buf_reset(buf);
    err = cv_backend_get_all(from, kind, name,
                             kind == CV_OBJ_PACK || kind == CV_OBJ_INDEX ? OBJECT_MAX : SMALL_MAX,
                             buf);
    if (!err)
        err = to->ops->put(to, kind, name, buf->data ? buf->data : "", buf->len);
    if (err)
        return cv_fail_prefix(err, "%s %s: ", kind_name(kind), name ? name : "");
    st->copied[kind]++;
    st->bytes += buf->len;
    return CV_OK;
}

static enum cv_err copy_kind(struct cv_backend *from, struct cv_backend *to, enum cv_obj_kind kind,
                             const struct cv_copy_opts *o, struct cv_copy_stats *st,
                             struct cv_buf *buf)
{
    struct cv_name_set src = {0}, dst = {0};
    enum cv_err err = cv_name_set_list(from, kind, &src);
    size_t since_sync = 0;

    if (!err)
        err = cv_name_set_list(to, kind, &dst);
    for (size_t i = 0; !err && i < src.n; i++) {
        struct cv_progress p = {"copying", st->done, st->total, st->bytes};

        if (cv_name_set_has(&dst, src.names[i])) {
            st->skipped[kind]++;
        } else {
            err = cv_copy_object(from, to, kind, src.names[i], buf, st);
            if (!err && ++since_sync == SYNC_EVERY) {
                err = to->ops->sync(to);
                since_sync = 0;
            }
        }
        st->done++;
        if (!err && o && o->progress && !o->progress(&p, o->progress_arg))
            err = cv_fail(CV_ECANCELED, "copy stopped");
    }
    if (!err)
        err = to->ops->sync(to);
    cv_name_set_free(&src);
    cv_name_set_free(&dst);
    return err;
}

static enum cv_err count(struct cv_backend *from, struct cv_copy_stats *st)
{
    for (int k = CV_OBJ_KEY; k <= CV_OBJ_PACK; k++) {
        struct cv_name_set s = {0};
        enum cv_err err = from->ops->list(from, (enum cv_obj_kind)k, collect, &s, NULL);

        st->total += s.n;
        cv_name_set_free(&s);
        if (err)
            return err;
    }
    return CV_OK;
}

/* The target's config must be the source's, byte for byte (the same repository). */
static enum cv_err same_config(struct cv_backend *from, struct cv_backend *to, bool *present,
                               struct cv_buf *src)
{
    struct cv_buf dst = CV_BUF_INIT(SMALL_MAX);
    enum cv_err err = cv_backend_get_all(from, CV_OBJ_CONFIG, NULL, SMALL_MAX, src);

    if (err)
        return cv_fail_prefix(err, "source config: ");
    err = cv_backend_get_all(to, CV_OBJ_CONFIG, NULL, SMALL_MAX, &dst);
    *present = err == CV_OK;
    if (err == CV_ENOENT || (err == CV_EIO && !*present))
        err = CV_OK;
    if (!err && *present && (dst.len != src->len || memcmp(dst.data, src->data, src->len) != 0))
        err = cv_fail(CV_EEXIST,
                      "'%s' holds another repository (its config differs from '%s'); a copy "
                      "goes into a new location or a replica of the same repository",
                      to->location, from->location);
    cv_buf_free(&dst);
    return err;
}

enum cv_err cv_copy_begin(struct cv_backend *from, struct cv_backend *to,
                          const struct cv_copy_opts *o, struct cv_copy_stats *st)
{
    struct cv_buf buf = CV_BUF_INIT(SMALL_MAX), config = CV_BUF_INIT(SMALL_MAX);
    bool present = false;
    enum cv_err err = same_config(from, to, &present, &config);

    /* keys, then the config: from then on the target is a (still empty) repository */
    if (!err)
        err = copy_kind(from, to, CV_OBJ_KEY, o, st, &buf);
    if (!err && !present) {
        err = to->ops->put(to, CV_OBJ_CONFIG, NULL, config.data, config.len);
        if (!err)
            err = to->ops->sync(to);
        st->copied[CV_OBJ_CONFIG] += !err;
    }
    cv_buf_free(&buf);
    cv_buf_free(&config);
    return err;
}

enum cv_err cv_copy(struct cv_backend *from, struct cv_backend *to, const struct cv_copy_opts *o,
                    struct cv_copy_stats *st)
{
    static const enum cv_obj_kind order[] = {CV_OBJ_PACK, CV_OBJ_INDEX, CV_OBJ_SNAPSHOT};
    struct cv_buf buf = CV_BUF_INIT(OBJECT_MAX);
    enum cv_err err;

    memset(st, 0, sizeof(*st));
    err = count(from, st);
    if (!err)
        err = cv_copy_begin(from, to, o, st);
    for (size_t i = 0; !err && i < CV_ARRAY_LEN(order); i++)
        err = copy_kind(from, to, order[i], o, st, &buf);
    if (!err && to->ops->lock_extend && !(o && o->no_extend))
        err = to->ops->lock_extend(to, &st->locks_extended);
    cv_buf_free(&buf);
    return err;
}
