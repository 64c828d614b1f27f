/*
 * walk.c: reading a snapshot's trees. A folder's listing is inline in its parent (a view into
 * the parent's bytes), one tree blob, or a list of part blobs for a very large folder. A
 * snapshot with runs (docs/FORMAT.md) is read as a merged view: each folder's listing is the
 * merge of the listings its layers (the runs, newest first, and the full tree) hold for it,
 * made in memory when the folder is loaded; a folder that only the full tree holds is read as
 * it is, so the cost of a view follows what the runs touched. cv_snapshot_walk visits every
 * node under a path depth first, with the depth bounded, for `ls` and the daemon's drills.
 */
#include "store_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define LAYERS_MAX (CV_RUNS_MAX + 1)

void cv_listing_free(struct cv_listing *l)
{
    cv_buf_free(&l->own);
    l->p = NULL;
    l->n = 0;
}

enum cv_err cv_listing_iter(const struct cv_listing *l, struct cv_tree_rd *t)
{
    cv_tree_rd_inline(t, l->p, l->n);
    t->flags = l->flags;
    return CV_OK;
}

void cv_dir_key(const struct cv_tree_entry *e, uint8_t key[CV_ID_LEN])
{
    if (e->kind == CV_TE_DIR || e->kind == CV_TE_NEW_DIR) {
        memcpy(key, e->tree_id, CV_ID_LEN);
        return;
    }
    /* inline and merged listings: the kind first, so that they never collide with each other */
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, CV_ID_LEN);
    crypto_generichash_update(&st, &e->kind, 1);
    crypto_generichash_update(&st, e->sub, e->sub_len);
    crypto_generichash_final(&st, key, CV_ID_LEN);
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

static void listing_reset(struct cv_listing *l, unsigned flags)
{
    l->p = NULL;
    l->n = 0;
    l->flags = flags;
    cv_buf_reset(&l->own);
    l->own.max = CV_LISTING_MAX;
}

enum cv_err cv_listing_load_blob(struct cv_reader *rd, const uint8_t *id, unsigned flags,
                                 struct cv_listing *l)
{
    const uint8_t *p;
    size_t n;
    enum cv_err err;

    listing_reset(l, flags);
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

/* ---- merged views ------------------------------------------------------------------------------
 * A merged folder entry (CV_TE_MERGED, made here, never stored) carries its layers, newest
 * first, each as: u8 flags (CV_TREE_RUN for a run's) | u8 kind ('d' then ID[32], or 'i' then
 * varint length and the listing). The merge follows the layers the way an overlay does: for
 * each name the newest layer that holds it decides; a removal hides it; a folder adds to the
 * same folder below it until a layer holds something else there or the folder is new there. */
struct layer {
    unsigned flags;
    uint8_t kind; /* 'd' or 'i' */
    const uint8_t *id, *sub;
    size_t sub_len;
};

static enum cv_err parse_layers(const uint8_t *p, size_t n, struct layer *v, size_t *nv)
{
    struct cv_rd r;

    *nv = 0;
    cv_rd_init(&r, p, n);
    while (cv_rd_left(&r)) {
        struct layer *y = &v[*nv];
        uint8_t flags;
        uint64_t len;

        if (*nv == LAYERS_MAX || !cv_rd_u8(&r, &flags) || flags & ~CV_TREE_RUN ||
            !cv_rd_u8(&r, &y->kind))
            return cv_fail(CV_ECORRUPT, "tree: bad merged folder");
        y->flags = flags;
        if (y->kind == CV_TE_DIR && cv_rd_bytes(&r, CV_ID_LEN, &y->id))
            ;
        else if (y->kind != CV_TE_INLINE || !cv_rd_varint_max(&r, cv_rd_left(&r), &len) ||
                 !cv_rd_bytes(&r, (size_t)len, &y->sub))
            return cv_fail(CV_ECORRUPT, "tree: bad merged folder");
        else
            y->sub_len = (size_t)len;
        (*nv)++;
    }
    return *nv ? CV_OK : cv_fail(CV_ECORRUPT, "tree: a merged folder of no layer");
}

static enum cv_err put_layer(struct cv_buf *out, const struct cv_tree_entry *e)
{
    uint8_t head[2] = {(uint8_t)(e->flags & CV_TREE_RUN), 0};
    enum cv_err err;

    if (e->kind == CV_TE_DIR || e->kind == CV_TE_NEW_DIR) {
        head[1] = CV_TE_DIR;
        err = cv_buf_append(out, head, 2);
        return err ? err : cv_buf_append(out, e->tree_id, CV_ID_LEN);
    }
    if (e->kind == CV_TE_MERGED) /* already a list of layers */
        return cv_buf_append(out, e->sub, e->sub_len);
    head[1] = CV_TE_INLINE;
    err = cv_buf_append(out, head, 2);
    if (!err)
        err = cv_put_varint(out, e->sub_len);
    return err ? err : cv_buf_append(out, e->sub, e->sub_len);
}

/* The folder `name` as layers hold it: pick[0..npick) index the entries (newest first) that
 * make it. Emit it to `out`: as it is when one full tree's folder makes it, else merged. */
static enum cv_err emit_dir(struct cv_buf *out, struct cv_buf *payload, struct cv_tree_entry *e,
                            const size_t *pick, size_t npick)
{
    struct cv_tree_entry m = e[pick[0]];
    enum cv_err err = CV_OK;

    if (npick == 1 && !(e[pick[0]].flags & CV_TREE_RUN))
        return cv_tree_put(out, &m); /* only the full tree has it: as it is */
    cv_buf_reset(payload);
    for (size_t i = 0; i < npick && !err; i++)
        err = put_layer(payload, &e[pick[i]]);
    if (err)
        return err;
    m.kind = CV_TE_MERGED;
    m.sub = (const uint8_t *)payload->data;
    m.sub_len = payload->len;
    return cv_tree_put(out, &m);
}

/* Which of the entries `e[at[0..nat)]` (newest first, all of one name) make the folder there:
 * the newest, and below it more folders until one is new or something else holds the name. */
static size_t pick_dirs(const struct cv_tree_entry *e, const size_t *at, size_t nat, size_t *pick)
{
    size_t n = 0;

    for (size_t i = 0; i < nat; i++) {
        const struct cv_tree_entry *x = &e[at[i]];

        if (!cv_te_is_dir(x))
            break;
        pick[n++] = at[i];
        if (cv_te_is_new_dir(x))
            break;
    }
    return n;
}

/* Merge `nv` listings (newest first) into `out`. */
static enum cv_err merge_views(struct cv_listing *ls, size_t nv, struct cv_listing *out)
{
    struct cv_tree_rd t[LAYERS_MAX];
    struct cv_tree_entry e[LAYERS_MAX];
    bool more[LAYERS_MAX];
    struct cv_buf payload = CV_BUF_INIT(CV_LISTING_MAX);
    size_t at[LAYERS_MAX], pick[LAYERS_MAX];
    enum cv_err err = CV_OK;

    for (size_t i = 0; i < nv && !err; i++) {
        cv_listing_iter(&ls[i], &t[i]);
        err = cv_tree_next(&t[i], &e[i], &more[i]);
    }
    while (!err) {
        const struct cv_tree_entry *min = NULL;
        size_t nat = 0, npick;

        for (size_t i = 0; i < nv; i++) /* the smallest name, and who holds it */
            if (more[i] &&
                (!min || cv_tree_name_cmp(e[i].name, e[i].name_len, min->name, min->name_len) < 0))
                min = &e[i];
        if (!min)
            break;
        for (size_t i = 0; i < nv; i++)
            if (more[i] &&
                cv_tree_name_cmp(e[i].name, e[i].name_len, min->name, min->name_len) == 0)
                at[nat++] = i;
        if (cv_te_is_dir(&e[at[0]])) {
            npick = pick_dirs(e, at, nat, pick);
            err = emit_dir(&out->own, &payload, e, pick, npick);
        } else if (e[at[0]].kind != CV_TE_GONE) {
            err = cv_tree_put(&out->own, &e[at[0]]);
        }
        for (size_t k = 0; k < nat && !err; k++)
            err = cv_tree_next(&t[at[k]], &e[at[k]], &more[at[k]]);
    }
    cv_buf_free(&payload);
    return err;
}

static enum cv_err load_merged(struct cv_reader *rd, const struct layer *v, size_t nv,
                               struct cv_listing *l)
{
    struct cv_listing ls[LAYERS_MAX];
    enum cv_err err = CV_OK;
    size_t loaded = 0;

    for (; loaded < nv && !err; loaded++) {
        struct cv_listing *x = &ls[loaded];

        *x = (struct cv_listing)CV_LISTING_INIT;
        x->flags = v[loaded].flags;
        if (v[loaded].kind == CV_TE_DIR) {
            err = cv_listing_load_blob(rd, v[loaded].id, v[loaded].flags, x);
        } else {
            x->p = v[loaded].sub;
            x->n = v[loaded].sub_len;
        }
    }
    listing_reset(l, CV_TREE_MERGED);
    if (!err)
        err = merge_views(ls, nv, l);
    for (size_t i = 0; i < loaded; i++)
        cv_listing_free(&ls[i]);
    if (err)
        return err;
    l->p = (const uint8_t *)l->own.data;
    l->n = l->own.len;
    l->is_blob = true;
    return CV_OK;
}

enum cv_err cv_listing_load(struct cv_reader *rd, const struct cv_tree_entry *e,
                            struct cv_listing *l)
{
    struct layer v[LAYERS_MAX];
    size_t nv;
    enum cv_err err;

    switch (e->kind) {
    case CV_TE_INLINE:
    case CV_TE_NEW_INLINE:
        listing_reset(l, e->flags & CV_TREE_RUN);
        l->p = e->sub;
        l->n = e->sub_len;
        l->is_blob = false;
        return CV_OK;
    case CV_TE_DIR:
    case CV_TE_NEW_DIR:
        return cv_listing_load_blob(rd, e->tree_id, e->flags & CV_TREE_RUN, l);
    case CV_TE_MERGED:
        err = parse_layers(e->sub, e->sub_len, v, &nv);
        return err ? err : load_merged(rd, v, nv, l);
    default:
        return cv_fail(CV_EINVAL, "not a folder");
    }
}

enum cv_err cv_snapshot_root(struct cv_reader *rd, const struct cv_snapshot *s,
                             struct cv_listing *l)
{
    struct layer v[LAYERS_MAX];
    size_t nv = 0;

    if (s->nruns == 0)
        return cv_listing_load_blob(rd, s->tree, 0, l);
    if (s->nruns > CV_RUNS_MAX)
        return cv_fail(CV_ECORRUPT, "snapshot: too many runs");
    for (size_t i = s->nruns; i-- > 0;)
        v[nv++] = (struct layer){CV_TREE_RUN, CV_TE_DIR, s->runs[i].root, NULL, 0};
    v[nv++] = (struct layer){0, CV_TE_DIR, s->tree, NULL, 0};
    return load_merged(rd, v, nv, l);
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
        if (!err && cv_te_is_dir(&e)) {
            struct cv_listing sub = CV_LISTING_INIT;

            err = cv_listing_load(w->rd, &e, &sub);
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
        struct cv_listing next = CV_LISTING_INIT;
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
        if (!err && cv_te_is_dir(found))
            err = cv_listing_load(w->rd, found, &next);
        else if (!err && path[n] != '\0')
            err = cv_fail(CV_ENOENT, "'%s' is not a folder", part);
        if (err) {
            cv_listing_free(&next);
            return err;
        }
        /* an inline listing points into `l`; keep its bytes by copying */
        if (!next.is_blob && cv_te_is_dir(found)) {
            struct cv_buf copy = CV_BUF_INIT(CV_LISTING_MAX);

            err = cv_buf_append(&copy, next.p, next.n);
            cv_listing_free(&next);
            next.own = copy;
            next.p = (const uint8_t *)copy.data;
            /* (next.flags stays what the inline listing's were) */
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
    struct cv_listing root = CV_LISTING_INIT;
    struct cv_tree_entry e;
    enum cv_err err = cv_reader_new(repo, 8, &w.rd);

    memset(&e, 0, sizeof(e));
    if (!err)
        err = cv_snapshot_root(w.rd, snap, &root);
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
        if (!err && cv_te_is_dir(&e))
            err = walk_listing(&w, &root, strlen(w.path), 1);
    } else if (!err) {
        err = walk_listing(&w, &root, 0, 1);
    }
    cv_listing_free(&root);
    cv_reader_free(w.rd);
    return err;
}
