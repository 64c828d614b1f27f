/*
 * tree.c: folder listings. A tree is a version byte and entries sorted by name; a small
 * sub-folder's listing is carried inline, a large one is a tree blob of its own. A run (the
 * changes one backup made, docs/FORMAT.md) uses three more kinds: a name that is gone, and
 * folders that replace rather than add to what is below them; a merged view made in memory
 * uses one more. The reader accepts each only where it may appear, checks every field, every
 * name (so that no restore can be steered outside its target) and the order (so that no name
 * appears twice); it never recurses, the walkers do, with a bound.
 */
#include "store_int.h"

#include <string.h>

#define MODE_MAX   07777u
#define TARGET_MAX 4096u
#define NSEC_MAX   999999999u

bool cv_tree_name_ok(const char *name, size_t n)
{
    if (n == 0 || n > CV_NAME_MAX)
        return false;
    if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
        return false;
    return !memchr(name, '/', n) && !memchr(name, '\0', n);
}

enum cv_err cv_tree_rd_blob(struct cv_tree_rd *t, const uint8_t *p, size_t n)
{
    if (n < 1 || p[0] != CV_TREE_VERSION)
        return cv_fail(CV_ECORRUPT, "tree: unknown version");
    cv_tree_rd_inline(t, p + 1, n - 1);
    return CV_OK;
}

void cv_tree_rd_inline(struct cv_tree_rd *t, const uint8_t *p, size_t n)
{
    cv_rd_init(&t->r, p, n);
    t->prev = NULL;
    t->prev_len = 0;
    t->flags = 0;
}

int cv_tree_name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    return c ? c : (alen > blen) - (alen < blen);
}

static bool read_time(struct cv_rd *r, int64_t *sec, uint32_t *nsec)
{
    uint64_t ns;

    if (!cv_rd_svarint(r, sec) || !cv_rd_varint_max(r, NSEC_MAX, &ns))
        return false;
    *nsec = (uint32_t)ns;
    return true;
}

static bool read_file_fields(struct cv_rd *r, struct cv_tree_entry *e)
{
    uint64_t nchunks;

    if (!cv_rd_varint(r, &e->size) || !read_time(r, &e->ctime_sec, &e->ctime_nsec) ||
        !cv_rd_varint(r, &e->inode) || !cv_rd_varint_max(r, cv_rd_left(r) / CV_ID_LEN, &nchunks))
        return false;
    if (nchunks > e->size || (e->size > 0 && nchunks == 0))
        return false;
    e->nchunks = (size_t)nchunks;
    return cv_rd_bytes(r, e->nchunks * CV_ID_LEN, &e->chunks);
}

static bool read_kind_fields(struct cv_rd *r, struct cv_tree_entry *e, unsigned flags)
{
    uint64_t len;

    switch (e->kind) {
    case CV_TE_FILE:
        return read_file_fields(r, e);
    case CV_TE_NEW_DIR:
        if (!(flags & CV_TREE_RUN))
            return false;
        /* fall through */
    case CV_TE_DIR:
        return cv_rd_bytes(r, CV_ID_LEN, &e->tree_id);
    case CV_TE_NEW_INLINE:
        if (!(flags & CV_TREE_RUN))
            return false;
        /* fall through */
    case CV_TE_MERGED:
        if (e->kind == CV_TE_MERGED && !(flags & CV_TREE_MERGED))
            return false;
        /* fall through */
    case CV_TE_INLINE:
        if (!cv_rd_varint_max(r, cv_rd_left(r), &len) || !cv_rd_bytes(r, (size_t)len, &e->sub))
            return false;
        e->sub_len = (size_t)len;
        return true;
    case CV_TE_SYMLINK:
        if (!cv_rd_varint_max(r, TARGET_MAX, &len) || len == 0 ||
            !cv_rd_bytes(r, (size_t)len, &e->sub) || memchr(e->sub, '\0', (size_t)len))
            return false;
        e->sub_len = (size_t)len;
        return true;
    default:
        return false;
    }
}

enum cv_err cv_tree_next(struct cv_tree_rd *t, struct cv_tree_entry *e, bool *more)
{
    uint64_t name_len, mode;
    const uint8_t *name;

    memset(e, 0, sizeof(*e));
    *more = cv_rd_left(&t->r) > 0;
    if (!*more)
        return CV_OK;
    if (!cv_rd_u8(&t->r, &e->kind) || !cv_rd_varint_max(&t->r, CV_NAME_MAX, &name_len) ||
        !cv_rd_bytes(&t->r, (size_t)name_len, &name))
        return cv_fail(CV_ECORRUPT, "tree: truncated entry");
    e->name = (const char *)name;
    e->name_len = (size_t)name_len;
    e->flags = t->flags & CV_TREE_RUN;
    if (!cv_tree_name_ok(e->name, e->name_len))
        return cv_fail(CV_ECORRUPT, "tree: a name that cannot be a file name");
    if (t->prev && cv_tree_name_cmp(e->name, e->name_len, t->prev, t->prev_len) <= 0)
        return cv_fail(CV_ECORRUPT, "tree: names out of order or repeated");
    if (e->kind == CV_TE_GONE) { /* a name only */
        if (!(t->flags & CV_TREE_RUN))
            return cv_fail(CV_ECORRUPT, "tree: a removal outside a run");
    } else if (!cv_rd_varint_max(&t->r, MODE_MAX, &mode) ||
               !read_time(&t->r, &e->mtime_sec, &e->mtime_nsec) ||
               !read_kind_fields(&t->r, e, t->flags)) {
        return cv_fail(CV_ECORRUPT, "tree: bad entry");
    }
    e->mode = (uint32_t)mode;
    t->prev = e->name;
    t->prev_len = e->name_len;
    return CV_OK;
}

static enum cv_err put_kind_fields(struct cv_buf *out, const struct cv_tree_entry *e)
{
    enum cv_err err = CV_OK;

    switch (e->kind) {
    case CV_TE_FILE:
        err = cv_put_varint(out, e->size);
        if (!err)
            err = cv_put_svarint(out, e->ctime_sec);
        if (!err)
            err = cv_put_varint(out, e->ctime_nsec);
        if (!err)
            err = cv_put_varint(out, e->inode);
        if (!err)
            err = cv_put_varint(out, e->nchunks);
        return err ? err : cv_buf_append(out, e->chunks, e->nchunks * CV_ID_LEN);
    case CV_TE_DIR:
    case CV_TE_NEW_DIR:
        return cv_buf_append(out, e->tree_id, CV_ID_LEN);
    case CV_TE_INLINE:
    case CV_TE_NEW_INLINE:
    case CV_TE_MERGED:
    case CV_TE_SYMLINK:
        err = cv_put_varint(out, e->sub_len);
        return err ? err : cv_buf_append(out, e->sub, e->sub_len);
    default:
        return cv_fail(CV_EINVAL, "tree: unknown entry kind");
    }
}

enum cv_err cv_tree_put(struct cv_buf *out, const struct cv_tree_entry *e)
{
    enum cv_err err = cv_buf_append(out, &e->kind, 1);

    if (!err)
        err = cv_put_varint(out, e->name_len);
    if (!err)
        err = cv_buf_append(out, e->name, e->name_len);
    if (err || e->kind == CV_TE_GONE)
        return err;
    err = cv_put_varint(out, e->mode & MODE_MAX);
    if (!err)
        err = cv_put_svarint(out, e->mtime_sec);
    if (!err)
        err = cv_put_varint(out, e->mtime_nsec);
    return err ? err : put_kind_fields(out, e);
}
