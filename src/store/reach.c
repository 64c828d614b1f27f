/*
 * reach.c: every blob a snapshot needs. Its layers (the full tree and each run) are read as
 * they are stored, not merged: each tree blob (and each part of a listing stored in parts),
 * the key of its second copy, every chunk of every file, and the reference index's chunks
 * (and its own tree blob, in format 2).
 * A tree blob already in the set is not read again, so the trees many snapshots share are
 * read once. Prune decides with it what may go; `copy` may use it to pick one snapshot's
 * objects.
 */
#include "store_int.h"

#include <string.h>

struct reach {
    struct cv_repo *repo;
    struct cv_reader *rd;
    struct cv_idset *live;
    struct cv_buf scratch;
};

static enum cv_err add(struct reach *r, const uint8_t *id, bool tree)
{
    enum cv_err err = cv_idset_add(r->live, id);

    if (!err && tree) { /* its second copy, when it has one */
        uint8_t key[CV_ID_LEN];

        cv_ditto_key(r->repo->keys, id, key);
        err = cv_idset_add(r->live, key);
    }
    return err;
}

static enum cv_err reach_listing(struct reach *r, const uint8_t *p, size_t n, unsigned flags,
                                 unsigned depth);

/* A tree blob: its parts, then its entries. */
static enum cv_err reach_blob(struct reach *r, const uint8_t *id, unsigned flags, unsigned depth)
{
    struct cv_buf listing = CV_BUF_INIT(CV_LISTING_MAX);
    uint8_t parts[CV_LISTING_MAX / CV_TREE_PART * CV_ID_LEN];
    const uint8_t *p;
    size_t n, nparts = 0;
    enum cv_err err;

    if (cv_idset_has(r->live, id))
        return CV_OK; /* read before, with everything below it */
    err = add(r, id, true);
    if (!err)
        err = cv_reader_blob(r->rd, id, &p, &n);
    if (!err && n >= 1 && p[0] == CV_TREE_PARTS) {
        if (n == 1 || (n - 1) % CV_ID_LEN || n - 1 > sizeof(parts))
            return cv_fail(CV_ECORRUPT, "tree: bad part list");
        nparts = (n - 1) / CV_ID_LEN;
        memcpy(parts, p + 1, n - 1);
        for (size_t i = 0; i < nparts && !err; i++) {
            err = add(r, parts + i * CV_ID_LEN, true);
            if (!err)
                err = cv_reader_blob(r->rd, parts + i * CV_ID_LEN, &p, &n);
            if (!err)
                err = cv_buf_append(&listing, p, n);
        }
    } else if (!err && n >= 1 && p[0] == CV_TREE_VERSION) {
        err = cv_buf_append(&listing, p + 1, n - 1);
    } else if (!err) {
        err = cv_fail(CV_ECORRUPT, "tree: unknown version");
    }
    if (!err)
        err = reach_listing(r, (const uint8_t *)listing.data, listing.len, flags, depth);
    cv_buf_free(&listing);
    return err;
}

static enum cv_err reach_listing(struct reach *r, const uint8_t *p, size_t n, unsigned flags,
                                 unsigned depth)
{
    struct cv_tree_rd t;
    struct cv_tree_entry e;
    bool more;
    enum cv_err err;

    if (depth > CV_TREE_DEPTH_MAX)
        return cv_fail(CV_ECORRUPT, "tree: folders nested deeper than %u", CV_TREE_DEPTH_MAX);
    cv_tree_rd_inline(&t, p, n);
    t.flags = flags;
    while ((err = cv_tree_next(&t, &e, &more)) == CV_OK && more) {
        switch (e.kind) {
        case CV_TE_FILE:
            for (size_t i = 0; i < e.nchunks && !err; i++)
                err = add(r, e.chunks + i * CV_ID_LEN, false);
            break;
        case CV_TE_DIR:
        case CV_TE_NEW_DIR:
            err = reach_blob(r, e.tree_id, flags, depth + 1);
            break;
        case CV_TE_INLINE:
        case CV_TE_NEW_INLINE:
            err = reach_listing(r, e.sub, e.sub_len, flags, depth + 1);
            break;
        default: /* symlinks and removals need nothing */
            break;
        }
        if (err)
            return err;
    }
    return err;
}

enum cv_err cv_reach_snapshot(struct cv_repo *repo, struct cv_reader *rd,
                              const struct cv_snapshot *s, struct cv_idset *live)
{
    struct reach r = {repo, rd, live, CV_BUF_INIT(CV_LISTING_MAX)};
    enum cv_err err = reach_blob(&r, s->tree, 0, 0);

    for (size_t i = 0; i < s->nruns && !err; i++)
        err = reach_blob(&r, s->runs[i].root, CV_TREE_RUN, 0);
    if (!err && s->has_db && s->db_out_of_line_)
        err = reach_blob(&r, s->db_tree_, 0, 0);
    else if (!err && s->has_db)
        err = reach_listing(&r, s->db_entry_, s->db_entry_len_, 0, 0);
    cv_buf_free(&r.scratch);
    if (err)
        cv_fail_prefix(err, "snapshot %.8s: ", s->name);
    return err;
}

/* ---- the public walk ------------------------------------------------------------------------- */
enum cv_err cv_snapshot_blobs(struct cv_repo *repo, const struct cv_snapshot *s, cv_blob_fn fn,
                              void *arg)
{
    struct cv_idset live = {0};
    struct cv_reader *rd;
    enum cv_err err = cv_reader_new(repo, 8, &rd);

    if (!err)
        err = cv_reach_snapshot(repo, rd, s, &live);
    for (size_t i = 0; !err && i < live.cap; i++)
        if (live.used[i]) {
            struct cv_blob_loc loc;

            if (cv_pack_index_locate(&repo->ix, live.v[i], &loc)) { /* (a missing one is check's) */
                char pack[CV_OBJ_NAME_LEN + 1];

                cv_hex_encode(loc.pack, 32, pack);
                err = fn(arg, live.v[i], pack);
            }
        }
    cv_reader_free(rd);
    cv_idset_free(&live);
    return err;
}
