/*
 * walk.c: reading a snapshot's trees. A folder's listing is inline in its parent (a view
 * into the parent's bytes), one tree blob, or a list of part blobs for a very large folder.
 * cv_snapshot_walk visits every node under a path depth first, with the depth bounded, for
 * `ls` and `check`.
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

void cv_listing_free(struct cv_listing *l)
{
    cv_buf_free(&l->own);
    l->p = NULL;
    l->n = 0;
}

enum cv_err cv_listing_iter(const struct cv_listing *l, struct cv_tree_rd *t)
{
    cv_tree_rd_inline(t, l->p, l->n);
    return CV_OK;
}

/* A listing stored in parts: version byte 2, then the part IDs; the parts concatenate. */
static enum cv_err load_parts(struct cv_reader *rd, const uint8_t *ids, size_t n,
                              struct cv_listing *l)
{
    uint8_t list[CV_LISTING_MAX / CV_TREE_PART * CV_ID_LEN];
    enum cv_err err = CV_OK;

    if (n == 0 || n % CV_ID_LEN || n > sizeof(list))
        return cv_fail(CV_ECORRUPT, "tree: bad part list");
    memcpy(list, ids, n); /* the reader's view ends at its next call */
    for (size_t i = 0; i < n && !err; i += CV_ID_LEN) {
        const uint8_t *p;
        size_t len;

        err = cv_reader_blob(rd, list + i, &p, &len);
        if (!err)
            err = cv_buf_append(&l->own, p, len);
    }
    return err;
}

enum cv_err cv_listing_load(struct cv_reader *rd, const uint8_t *root,
                            const struct cv_tree_entry *e, struct cv_listing *l)
{
    const uint8_t *id = e ? e->tree_id : root, *p;
    size_t n;
    enum cv_err err;

    l->p = NULL;
    l->n = 0;
    cv_buf_reset(&l->own);
    l->own.max = CV_LISTING_MAX;
    if (e && e->kind == CV_TE_INLINE) {
        l->p = e->sub;
        l->n = e->sub_len;
        l->is_blob = false;
        return CV_OK;
    }
    if (e && e->kind != CV_TE_DIR)
        return cv_fail(CV_EINVAL, "not a folder");
    err = cv_reader_blob(rd, id, &p, &n);
    if (!err && n >= 1 && p[0] == CV_TREE_PARTS)
        err = load_parts(rd, p + 1, n - 1, l);
    else if (!err && n >= 1 && p[0] == CV_TREE_VERSION)
        err = cv_buf_append(&l->own, p + 1, n - 1);
    else if (!err)
        err = cv_fail(CV_ECORRUPT, "tree: unknown version");
    if (err)
        return err;
    l->p = (const uint8_t *)l->own.data;
    l->n = l->own.len;
    l->is_blob = true;
    return CV_OK;
}

/* ---- walking --------------------------------------------------------------------------------- */
struct walk {
    struct cv_repo *repo;
    struct cv_reader *rd;
    cv_node_fn fn;
    void *arg;
    char path[4096];
};

static void node_from_entry(const struct cv_tree_entry *e, const char *path, struct cv_node *n,
                            char *target, size_t tlen)
{
    memset(n, 0, sizeof(*n));
    n->kind = e->kind == CV_TE_FILE      ? CV_NODE_FILE
              : e->kind == CV_TE_SYMLINK ? CV_NODE_SYMLINK
                                         : CV_NODE_DIR;
    n->path = path;
    n->mode = e->mode;
    n->mtime_sec = e->mtime_sec;
    n->mtime_nsec = e->mtime_nsec;
    n->size = e->size;
    if (e->kind == CV_TE_SYMLINK) {
        snprintf(target, tlen, "%.*s", (int)e->sub_len, (const char *)e->sub);
        n->target = target;
    }
}

static enum cv_err walk_listing(struct walk *w, const struct cv_listing *l, size_t path_len,
                                unsigned depth)
{
    struct cv_tree_rd t;
    struct cv_tree_entry e;
    bool more;
    enum cv_err err;

    if (depth > CV_TREE_DEPTH_MAX)
        return cv_fail(CV_ECORRUPT, "tree: folders nested deeper than %u", CV_TREE_DEPTH_MAX);
    cv_listing_iter(l, &t);
    while ((err = cv_tree_next(&t, &e, &more)) == CV_OK && more) {
        size_t len = path_len + (path_len ? 1 : 0) + e.name_len;
        struct cv_node node;
        char target[4097];

        if (len >= sizeof(w->path))
            return cv_fail(CV_ECORRUPT, "tree: path longer than %zu bytes", sizeof(w->path));
        snprintf(w->path + path_len, sizeof(w->path) - path_len, "%s%.*s", path_len ? "/" : "",
                 (int)e.name_len, e.name);
        node_from_entry(&e, w->path, &node, target, sizeof(target));
        err = w->fn(w->arg, &node);
        if (!err && (e.kind == CV_TE_DIR || e.kind == CV_TE_INLINE)) {
            struct cv_listing sub = {CV_BUF_INIT(CV_LISTING_MAX), NULL, 0, false};

            err = cv_listing_load(w->rd, NULL, &e, &sub);
            if (!err)
                err = walk_listing(w, &sub, len, depth + 1);
            cv_listing_free(&sub);
        }
        w->path[path_len] = '\0';
        if (err)
            return err;
    }
    return err;
}

/* Descend from the root listing `l` to the folder `path`, replacing `l` with its listing.
 * [out] node: its entry's node, for the caller to report first. */
static enum cv_err descend(struct walk *w, struct cv_listing *l, const char *path,
                           struct cv_tree_entry *found)
{
    char part[CV_NAME_MAX + 1];

    while (*path) {
        const char *slash = strchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : strlen(path);
        struct cv_listing next = {CV_BUF_INIT(CV_LISTING_MAX), NULL, 0, false};
        struct cv_tree_rd t;
        bool more;
        enum cv_err err;

        if (n == 0 || n > CV_NAME_MAX) {
            path += n + (slash != NULL);
            continue;
        }
        memcpy(part, path, n);
        part[n] = '\0';
        cv_listing_iter(l, &t);
        while ((err = cv_tree_next(&t, found, &more)) == CV_OK && more)
            if (found->name_len == n && memcmp(found->name, part, n) == 0)
                break;
        if (!err && !more)
            err = cv_fail(CV_ENOENT, "no '%s' in the snapshot", part);
        if (!err && (found->kind == CV_TE_DIR || found->kind == CV_TE_INLINE))
            err = cv_listing_load(w->rd, NULL, found, &next);
        else if (!err && path[n] != '\0')
            err = cv_fail(CV_ENOENT, "'%s' is not a folder", part);
        if (err) {
            cv_listing_free(&next);
            return err;
        }
        /* an inline listing points into `l`; keep its bytes by copying */
        if (!next.is_blob && found->kind == CV_TE_INLINE) {
            struct cv_buf copy = CV_BUF_INIT(CV_LISTING_MAX);

            err = cv_buf_append(&copy, next.p, next.n);
            cv_listing_free(&next);
            next.own = copy;
            next.p = (const uint8_t *)copy.data;
            next.n = copy.len;
            next.is_blob = true;
        }
        if (found->kind == CV_TE_FILE || found->kind == CV_TE_SYMLINK) {
            cv_listing_free(&next);
            return CV_OK; /* a file: the caller reports just this node */
        }
        cv_listing_free(l);
        *l = next;
        if (err)
            return err;
        path += n + (slash != NULL);
    }
    return CV_OK;
}

enum cv_err cv_snapshot_walk(struct cv_repo *repo, const struct cv_snapshot *snap, const char *path,
                             cv_node_fn fn, void *arg)
{
    struct walk w = {repo, NULL, fn, arg, ""};
    struct cv_listing root = {CV_BUF_INIT(CV_LISTING_MAX), NULL, 0, false};
    struct cv_tree_entry e;
    enum cv_err err = cv_reader_new(repo, 8, &w.rd);

    memset(&e, 0, sizeof(e));
    if (!err)
        err = cv_listing_load(w.rd, snap->tree, NULL, &root);
    if (!err && path && *path)
        err = descend(&w, &root, path, &e);
    if (!err && path && *path) {
        struct cv_node node;
        char target[4097];

        cv_strlcpy(w.path, path, sizeof(w.path));
        while (strlen(w.path) > 1 && w.path[strlen(w.path) - 1] == '/')
            w.path[strlen(w.path) - 1] = '\0';
        node_from_entry(&e, w.path, &node, target, sizeof(target));
        err = fn(arg, &node);
        if (!err && (e.kind == CV_TE_DIR || e.kind == CV_TE_INLINE))
            err = walk_listing(&w, &root, strlen(w.path), 1);
    } else if (!err) {
        err = walk_listing(&w, &root, 0, 1);
    }
    cv_listing_free(&root);
    cv_reader_free(w.rd);
    return err;
}
