/*
 * check.c: proving a repository restores. Without --read-data: every snapshot and index object
 * opens and parses, every pack the index names exists with the right size, and every snapshot's
 * layers (its full tree and each run on it) load, hold only the entries their kind may hold and
 * name only indexed blobs. With --read-data (or a subset of packs): every block
 * of those packs is read, authenticated, decompressed and every blob in it is checked against
 * its ID. Each damaged object is named; then each snapshot is walked again to name the files
 * the damage makes unrestorable. Trees already found clean are not walked twice.
 */
#include "store_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct checker {
    struct cv_repo *repo;
    const struct cv_check_opts *o;
    struct cv_check_stats *st;
    struct cv_reader *rd;
    struct cv_idset bad;     /* blobs found damaged or missing */
    struct cv_idset clean;   /* tree blobs whose whole subtree was found sound */
    struct cv_ix_entry *all; /* every entry of the index */
    size_t nall;
    uint32_t *by_block;  /* entry numbers grouped by block */
    size_t *block_start; /* [nblocks + 1] */
    uint32_t *by_pack;   /* block numbers grouped by pack */
    size_t *pack_start;  /* [npacks + 1] */
    const char *snap;
    uint64_t snap_missing;
    char path[4096];
};

static void problem(struct checker *c, const char *object, const char *reason)
{
    c->st->problems++;
    if (c->o->problem)
        c->o->problem(c->o->arg, object, reason);
}

static void affected(struct checker *c, const char *path)
{
    c->st->affected_files++;
    if (c->o->affected)
        c->o->affected(c->o->arg, c->snap, path);
}

/* Group `n` items by their key (< nkeys), a counting sort: the items of key k are
 * order[start[k] .. start[k + 1]). */
static enum cv_err group(size_t n, size_t nkeys, uint32_t (*key)(const struct checker *, size_t),
                         const struct checker *c, uint32_t **order, size_t **start)
{
    size_t *st = cv_calloc(nkeys + 2, sizeof(*st));
    uint32_t *ord = cv_calloc(n ? n : 1, sizeof(*ord));

    *order = ord;
    *start = st;
    if (!st || !ord)
        return cv_fail(CV_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        st[key(c, i) + 1]++;
    for (size_t k = 0; k < nkeys; k++)
        st[k + 1] += st[k];
    for (size_t i = 0; i < n; i++) /* each start moves up to the next key's start */
        ord[st[key(c, i)]++] = (uint32_t)i;
    memmove(st + 1, st, nkeys * sizeof(*st));
    st[0] = 0;
    return CV_OK;
}

static uint32_t entry_block(const struct checker *c, size_t i)
{
    return c->all[i].block;
}

static uint32_t block_pack(const struct checker *c, size_t i)
{
    const struct cv_pack_index *ix = &c->repo->ix;

    /* a block never assigned to a pack (impossible in a loaded index) goes in no group */
    return ix->blocks[i].pack < ix->npacks ? ix->blocks[i].pack : (uint32_t)ix->npacks;
}

static enum cv_err group_index(struct checker *c)
{
    struct cv_pack_index *ix = &c->repo->ix;
    enum cv_err err = cv_pack_index_all_entries(ix, &c->all, &c->nall);

    if (!err)
        err = group(c->nall, ix->nblocks, entry_block, c, &c->by_block, &c->block_start);
    return err ? err
               : group(ix->nblocks, ix->npacks + 1, block_pack, c, &c->by_pack, &c->pack_start);
}

/* Every blob of block `b` is lost. */
static enum cv_err mark_block_bad(struct checker *c, size_t b)
{
    enum cv_err err = CV_OK;

    for (size_t k = c->block_start[b]; k < c->block_start[b + 1] && !err; k++)
        err = cv_idset_add(&c->bad, c->all[c->by_block[k]].id);
    return err;
}

static enum cv_err mark_pack_bad(struct checker *c, uint32_t pack)
{
    enum cv_err err = CV_OK;

    for (size_t k = c->pack_start[pack]; k < c->pack_start[pack + 1] && !err; k++)
        err = mark_block_bad(c, c->by_pack[k]);
    return err;
}

/* ---- packs
 * ------------------------------------------------------------------------------------------ */
struct pack_seen {
    struct checker *c;
    struct cv_idset names;
};

static enum cv_err note_pack(const char *name, void *arg)
{
    struct pack_seen *ps = arg;
    uint8_t raw[32];
    enum cv_err err = cv_hex_decode(name, raw, 32);

    return err ? err : cv_idset_add(&ps->names, raw);
}

/* Every pack the index names exists and has the size it says; count the others. */
static enum cv_err check_packs_exist(struct checker *c)
{
    struct cv_pack_index *ix = &c->repo->ix;
    struct pack_seen ps = {c, {0}};
    struct cv_backend *be = c->repo->be;
    enum cv_err err = be->ops->list(be, CV_OBJ_PACK, note_pack, &ps, &c->st->temporaries);

    for (size_t p = 0; p < ix->npacks && !err; p++) {
        char name[65], what[80], reason[160];
        uint64_t size;

        cv_hex_encode(ix->packs[p].name, 32, name);
        snprintf(what, sizeof(what), "pack %s", name);
        if (!cv_idset_has(&ps.names, ix->packs[p].name))
            snprintf(reason, sizeof(reason), "is missing");
        else if (be->ops->size(be, CV_OBJ_PACK, name, &size) != CV_OK)
            snprintf(reason, sizeof(reason), "cannot be read: %s", cv_errmsg());
        else if (size != ix->packs[p].size)
            snprintf(reason, sizeof(reason), "is %llu bytes, the index says %llu",
                     (unsigned long long)size, (unsigned long long)ix->packs[p].size);
        else
            continue;
        problem(c, what, reason);
        err = mark_pack_bad(c, (uint32_t)p);
    }
    c->st->packs = ix->npacks;
    c->st->unindexed_packs = ps.names.n > ix->npacks ? ps.names.n - ix->npacks : 0;
    cv_idset_free(&ps.names);
    return err;
}

/* Open block `b` (whose pack is in `pack`) and check each blob in it against its ID. */
static enum cv_err check_block(struct checker *c, size_t b, const struct cv_buf *pack,
                               struct cv_buf *scratch, struct cv_buf *raw)
{
    struct cv_pack_index *ix = &c->repo->ix;
    const struct cv_ix_block *blk = &ix->blocks[b];
    struct cv_block_view v;
    enum cv_err err;

    if ((uint64_t)blk->offset + blk->stored > pack->len)
        return cv_fail(CV_ECORRUPT, "the pack is shorter than its index says");
    err = cv_block_open(c->repo->keys, ix->packs[blk->pack].name, blk->offset,
                        (const uint8_t *)pack->data + blk->offset, blk->stored, scratch, NULL, raw);
    if (!err && raw->len != blk->raw)
        err =
            cv_fail(CV_ECORRUPT, "the block has %zu bytes, the index says %u", raw->len, blk->raw);
    if (!err)
        err = cv_block_parse((const uint8_t *)raw->data, raw->len, &v);
    for (size_t k = c->block_start[b]; k < c->block_start[b + 1] && !err; k++) {
        const struct cv_ix_entry *e = &c->all[c->by_block[k]];
        uint8_t id[CV_ID_LEN];

        if ((uint64_t)e->off + e->len > v.payload_len)
            return cv_fail(CV_ECORRUPT, "a blob lies outside its block");
        cv_blob_id(c->repo->keys, v.payload + e->off, e->len, id);
        if (blk->kind == CV_BLOB_DITTO) /* a second copy: indexed under its ditto key */
            cv_ditto_key(c->repo->keys, id, id);
        if (sodium_memcmp(id, e->id, CV_ID_LEN) != 0)
            return cv_fail(CV_ECORRUPT, "a blob does not match its ID");
    }
    return err;
}

/* Read pack `p` whole and check every block of it. */
static enum cv_err read_pack(struct checker *c, uint32_t p, struct cv_buf *pack,
                             struct cv_buf *scratch, struct cv_buf *raw)
{
    struct cv_pack_index *ix = &c->repo->ix;
    char name[65], what[80], reason[256];
    enum cv_err err = CV_OK;

    cv_hex_encode(ix->packs[p].name, 32, name);
    snprintf(what, sizeof(what), "pack %s", name);
    cv_buf_reset(pack);
    if (cv_backend_get_all(c->repo->be, CV_OBJ_PACK, name, 1u << 30, pack) != CV_OK ||
        pack->len < CV_PACK_HEADER || memcmp(pack->data, CV_PACK_MAGIC, CV_PACK_HEADER) != 0) {
        snprintf(reason, sizeof(reason), "cannot be read or is not a pack: %s", cv_errmsg());
        problem(c, what, reason);
        return mark_pack_bad(c, p);
    }
    c->st->packs_read++;
    c->st->bytes_read += pack->len;
    for (size_t k = c->pack_start[p]; k < c->pack_start[p + 1] && !err; k++) {
        size_t b = c->by_pack[k];

        if (check_block(c, b, pack, scratch, raw) == CV_OK)
            continue;
        snprintf(reason, sizeof(reason), "block at offset %u: %s", ix->blocks[b].offset,
                 cv_errmsg());
        problem(c, what, reason);
        err = mark_block_bad(c, b);
    }
    return err;
}

/* ---- snapshots and their trees -----------------------------------------------------------------
 */
static enum cv_err check_listing(struct checker *c, const struct cv_listing *l, unsigned depth,
                                 bool *clean);

static void folder_lost(struct checker *c, const char *reason)
{
    struct cv_buf why = CV_BUF_INIT(8192);
    char what[160];
    size_t len = strlen(c->path);

    snprintf(what, sizeof(what), "snapshot %.8s", c->snap);
    cv_buf_printf(&why, "folder '%s': %s", c->path, reason);
    problem(c, what, cv_buf_error(&why) ? reason : cv_buf_str(&why));
    cv_buf_free(&why);
    if (len + 1 < sizeof(c->path)) { /* everything below it: path/ */
        c->path[len] = '/';
        c->path[len + 1] = '\0';
    }
    affected(c, c->path);
    c->path[len] = '\0';
}

static bool file_sound(struct checker *c, const struct cv_tree_entry *e)
{
    bool sound = true;

    for (size_t i = 0; i < e->nchunks; i++) {
        const uint8_t *id = e->chunks + i * CV_ID_LEN;

        if (!cv_pack_index_has(&c->repo->ix, id)) {
            c->snap_missing++;
            sound = false;
        } else if (cv_idset_has(&c->bad, id)) {
            sound = false;
        }
    }
    return sound;
}

/* The clean-set key of a folder stored as a blob: its ID, marked when it is read as a run's
 * (the same bytes may be sound in a run and not in a full tree). */
static bool blob_key(const struct cv_tree_entry *e, uint8_t key[CV_ID_LEN])
{
    if (e->kind != CV_TE_DIR && e->kind != CV_TE_NEW_DIR)
        return false;
    memcpy(key, e->tree_id, CV_ID_LEN);
    if (e->flags & CV_TREE_RUN)
        key[CV_ID_LEN - 1] ^= 0x80;
    return true;
}

static enum cv_err check_dir(struct checker *c, const struct cv_tree_entry *e, unsigned depth,
                             bool *clean)
{
    struct cv_listing sub = CV_LISTING_INIT;
    uint8_t key[CV_ID_LEN];
    bool sub_clean = true, is_blob = blob_key(e, key);
    enum cv_err err;

    if (is_blob && cv_idset_has(&c->clean, key))
        return CV_OK; /* seen in full before, and sound */
    if (cv_listing_load(c->rd, e, &sub) != CV_OK) {
        folder_lost(c, cv_errmsg());
        *clean = false;
        cv_listing_free(&sub);
        return CV_OK;
    }
    err = check_listing(c, &sub, depth + 1, &sub_clean);
    if (!err && sub_clean && is_blob) {
        err = cv_idset_add(&c->clean, key);
        c->st->trees++;
    }
    *clean = *clean && sub_clean;
    cv_listing_free(&sub);
    return err;
}

static enum cv_err check_listing(struct checker *c, const struct cv_listing *l, unsigned depth,
                                 bool *clean)
{
    size_t len = strlen(c->path);
    struct cv_tree_rd t;
    struct cv_tree_entry e;
    bool more;
    enum cv_err err;

    if (depth > CV_TREE_DEPTH_MAX) {
        folder_lost(c, "folders nested too deep");
        *clean = false;
        return CV_OK;
    }
    cv_listing_iter(l, &t);
    while ((err = cv_tree_next(&t, &e, &more)) == CV_OK && more) {
        if (len + 2 + e.name_len >= sizeof(c->path))
            return cv_fail(CV_ECORRUPT, "tree: a path longer than %zu bytes", sizeof(c->path));
        snprintf(c->path + len, sizeof(c->path) - len, "%s%.*s", len ? "/" : "", (int)e.name_len,
                 e.name);
        if (e.kind == CV_TE_FILE) {
            c->st->files++;
            if (!file_sound(c, &e)) {
                affected(c, c->path);
                *clean = false;
            }
        } else if (cv_te_is_dir(&e)) {
            err = check_dir(c, &e, depth, clean);
        }
        c->path[len] = '\0';
        if (err)
            return err;
    }
    if (err) {
        folder_lost(c, cv_errmsg());
        *clean = false;
    }
    return CV_OK;
}

static enum cv_err check_snapshot(struct checker *c, const char *name)
{
    struct cv_snapshot s;
    struct cv_tree_entry root, db;
    char what[80];
    bool clean = true;
    enum cv_err err;

    snprintf(what, sizeof(what), "snapshot %s", name);
    if (cv_snapshot_read(c->repo, name, &s) != CV_OK) {
        problem(c, what, cv_errmsg());
        return CV_OK;
    }
    c->st->snapshots++;
    c->snap = s.name;
    c->snap_missing = 0;
    c->path[0] = '\0';
    /* each layer on its own: the full tree, then every run (a run is checked once however
     * many snapshots stack it; files a damaged one loses are named under every snapshot) */
    err = CV_OK;
    for (size_t i = 0; i <= s.nruns && !err; i++) {
        memset(&root, 0, sizeof(root));
        root.kind = CV_TE_DIR;
        root.tree_id = i == 0 ? s.tree : s.runs[i - 1].root;
        root.flags = i == 0 ? 0 : CV_TREE_RUN;
        err = check_dir(c, &root, 0, &clean);
    }
    if (!err && s.has_db) {
        struct cv_listing dbl = CV_LISTING_INIT;

        bool found = cv_snapshot_db_entry(c->rd, &s, &dbl, &db) == CV_OK;

        if (!found) { /* its own tree blob (format 2) is lost */
            char why[600];

            snprintf(why, sizeof(why), "reference index: %s", cv_errmsg());
            problem(c, what, why);
        }
        if (!found || !file_sound(c, &db)) {
            snprintf(c->path, sizeof(c->path), "(reference index %s)", s.db_name);
            affected(c, c->path);
            c->path[0] = '\0';
        }
        cv_listing_free(&dbl);
    }
    if (!err && c->snap_missing) {
        char reason[128];

        snprintf(reason, sizeof(reason), "%llu blobs it needs are in no index",
                 (unsigned long long)c->snap_missing);
        problem(c, what, reason);
    }
    cv_snapshot_clear(&s);
    c->snap = NULL;
    return err;
}

/* ---- the whole check
 * -------------------------------------------------------------------------------- */
/* Every index object must load. Those written since the repository was opened (a backup
 * running beside the check) are loaded now, so that the snapshots listed before them check. */
static enum cv_err check_index_object(const char *name, void *arg)
{
    struct checker *c = arg;
    char what[80];

    for (size_t i = 0; i < c->repo->nindex_names; i++)
        if (strcmp(c->repo->index_names[i], name) == 0)
            return CV_OK; /* loaded when the repository was opened */
    if (cv_repo_read_index_object(c->repo, name, &c->repo->ix) == CV_OK)
        return cv_repo_note_index(c->repo, name);
    snprintf(what, sizeof(what), "index %s", name);
    problem(c, what, cv_errmsg());
    return CV_OK;
}

static bool progress(struct checker *c, const char *phase, uint64_t done, uint64_t total)
{
    struct cv_progress p = {phase, done, total, c->st->bytes_read};

    return !c->o->progress || c->o->progress(&p, c->o->progress_arg);
}

/* Choose the packs to read: all, or a random `percent` of them (at least one). */
static enum cv_err read_data(struct checker *c)
{
    struct cv_buf pack = CV_BUF_INIT(1u << 30), scratch = CV_BUF_INIT(CV_BLOCK_STORED_MAX),
                  raw = CV_BUF_INIT(CV_BLOCK_RAW_MAX);
    size_t n = c->repo->ix.npacks, want = n;
    uint32_t *order = cv_calloc(n ? n : 1, sizeof(*order));
    enum cv_err err = CV_OK;

    if (!order)
        return cv_fail(CV_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    if (c->o->subset_percent > 0 && c->o->subset_percent < 100) {
        want = (size_t)((double)n * c->o->subset_percent / 100.0 + 0.999999);
        for (size_t i = 0; i + 1 < n; i++) { /* a random subset: Fisher-Yates, partly */
            size_t j = i + randombytes_uniform((uint32_t)(n - i));
            uint32_t t = order[i];

            order[i] = order[j];
            order[j] = t;
        }
    }
    for (size_t i = 0; i < want && !err; i++) {
        err = read_pack(c, order[i], &pack, &scratch, &raw);
        if (!err && !progress(c, "reading packs", i + 1, want))
            err = cv_fail(CV_ECANCELED, "check cancelled");
    }
    cv_free(order);
    cv_buf_free(&pack);
    cv_buf_free(&scratch);
    cv_buf_free(&raw);
    return err;
}

struct name_vec {
    char (*v)[65];
    size_t n, cap;
};

static enum cv_err collect(const char *name, void *arg)
{
    struct name_vec *nv = arg;

    if (nv->n == nv->cap) {
        size_t cap = nv->cap ? nv->cap * 2 : 64;
        void *v = cv_reallocarray(nv->v, cap, sizeof(*nv->v));

        if (!v)
            return cv_fail(CV_ENOMEM, "out of memory");
        nv->v = v;
        nv->cap = cap;
    }
    cv_strlcpy(nv->v[nv->n++], name, 65);
    return CV_OK;
}

static enum cv_err check_snapshots(struct checker *c, const struct name_vec *nv)
{
    enum cv_err err = CV_OK;

    for (size_t i = 0; i < nv->n && !err; i++) {
        err = check_snapshot(c, nv->v[i]);
        if (!err && !progress(c, "checking snapshots", i + 1, nv->n))
            err = cv_fail(CV_ECANCELED, "check cancelled");
    }
    return err;
}

enum cv_err cv_check(struct cv_repo *repo, const struct cv_check_opts *opts,
                     struct cv_check_stats *stats)
{
    struct checker c;
    struct name_vec snaps = {NULL, 0, 0};
    struct cv_backend *be = repo->be;
    enum cv_err err;

    memset(stats, 0, sizeof(*stats));
    memset(&c, 0, sizeof(c));
    c.repo = repo;
    c.o = opts;
    c.st = stats;
    /* snapshots first, then indexes: a snapshot is written after its index objects, so every
     * snapshot listed here finds its index objects in the listing after it */
    err = be->ops->list(be, CV_OBJ_SNAPSHOT, collect, &snaps, &stats->temporaries);
    if (!err)
        err = be->ops->list(be, CV_OBJ_INDEX, check_index_object, &c, &stats->temporaries);
    if (!err)
        err = group_index(&c);
    if (!err)
        err = check_packs_exist(&c);
    if (!err && opts->read_data)
        err = read_data(&c);
    if (!err)
        err = cv_reader_new(repo, 8, &c.rd);
    if (!err)
        err = check_snapshots(&c, &snaps);
    cv_free(snaps.v);
    stats->indexes = repo->nindex_names;
    stats->blobs = c.nall;
    cv_reader_free(c.rd);
    cv_idset_free(&c.bad);
    cv_idset_free(&c.clean);
    cv_free(c.all);
    cv_free(c.by_block);
    cv_free(c.block_start);
    cv_free(c.by_pack);
    cv_free(c.pack_start);
    if (!err && stats->problems)
        err = cv_fail(CV_ECORRUPT, "%llu problem%s found", (unsigned long long)stats->problems,
                      stats->problems == 1 ? "" : "s");
    return err;
}
