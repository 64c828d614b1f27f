/*
 * copy_snapshots.c: `chartvault copy --from REPO --to REPO SNAPSHOT...`: copy chosen snapshots,
 * not the whole repository. The key opens the snapshots' trees, to learn which packs hold a
 * blob they need (every tree, with its ditto copy, every file's data, the reference index);
 * those packs that the target lacks are copied as they are, still encrypted, then index
 * objects describing them, then the snapshot objects: at every moment the target is a valid
 * replica (the same config and key files) and every snapshot in it restores. A pack holds
 * blobs of other snapshots too; they come along and are indexed, as in the source.
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

#define SYNC_EVERY     16  /* packs between syncs */
#define PACKS_PER_OBJ  256 /* packs one new index object describes */
#define TREE_PARTS_MAX (CV_LISTING_MAX / CV_TREE_PART)

/* Mark the packs that hold a blob in `live` (what cv_reach_snapshot found the chosen snapshots
 * need). The key of a tree's second copy is in `live` whether the copy was written or not, so
 * an ID no index names is passed over: a blob the source lacks is the source's damage, which
 * `check` of either end reports, not something a copy could bring. */
static void mark_packs(struct cv_repo *repo, const struct cv_idset *live, bool *need)
{
    for (size_t i = 0; i < live->cap; i++) {
        struct cv_blob_loc loc;

        if (live->used[i] && cv_pack_index_locate(&repo->ix, live->v[i], &loc) &&
            loc.pack_no < repo->ix.npacks)
            need[loc.pack_no] = true;
    }
}

/* ---- the target ------------------------------------------------------------------------------ */

/* What the target holds: its packs and snapshots, and the packs its own index objects
 * describe. */
struct target {
    struct cv_name_set packs, snapshots, indexed;
};

static enum cv_err target_load(struct cv_repo *src, struct cv_backend *to, struct target *t)
{
    struct cv_repo view = {0}; /* the target under the source's keys: a replica has the same */
    struct cv_name_set idx = {0};
    struct cv_pack_index ix;
    char name[CV_OBJ_NAME_LEN + 1];
    enum cv_err err = cv_pack_index_init(&ix);

    view.be = to;
    view.cfg = src->cfg;
    view.keys = src->keys;
    if (!err)
        err = cv_name_set_list(to, CV_OBJ_PACK, &t->packs);
    if (!err)
        err = cv_name_set_list(to, CV_OBJ_SNAPSHOT, &t->snapshots);
    if (!err)
        err = cv_name_set_list(to, CV_OBJ_INDEX, &idx);
    for (size_t i = 0; i < idx.n && !err; i++)
        if ((err = cv_repo_read_index_object(&view, idx.names[i], &ix)) != CV_OK)
            cv_fail_prefix(err, "the target's index object %s: ", idx.names[i]);
    for (size_t i = 0; i < ix.npacks && !err; i++) {
        cv_hex_encode(ix.packs[i].name, 32, name);
        err = cv_name_set_add(&t->indexed, name);
    }
    cv_name_set_sort(&t->indexed);
    cv_pack_index_free(&ix);
    cv_name_set_free(&idx);
    return err;
}

/* ---- describing packs ------------------------------------------------------------------------ */

/* The source's index, grouped: the blocks of each pack and the entries of each block. */
struct grouped {
    struct cv_ix_entry *all;
    size_t nall;
    uint32_t *by_block, *by_pack; /* entry numbers by block, block numbers by pack */
    size_t *block_start, *pack_start;
};

static enum cv_err group_index(struct cv_pack_index *ix, struct grouped *g)
{
    uint32_t *key;
    enum cv_err err = cv_pack_index_all_entries(ix, &g->all, &g->nall);

    key = cv_calloc((g->nall > ix->nblocks ? g->nall : ix->nblocks) + 1, sizeof(*key));
    if (!err && !key)
        err = cv_fail(CV_ENOMEM, "out of memory");
    for (size_t i = 0; !err && i < g->nall; i++)
        key[i] = g->all[i].block < ix->nblocks ? g->all[i].block : (uint32_t)ix->nblocks;
    if (!err)
        err = cv_group_by(g->nall, ix->nblocks + 1, key, &g->by_block, &g->block_start);
    for (size_t b = 0; !err && b < ix->nblocks; b++)
        key[b] = ix->blocks[b].pack < ix->npacks ? ix->blocks[b].pack : (uint32_t)ix->npacks;
    if (!err)
        err = cv_group_by(ix->nblocks, ix->npacks + 1, key, &g->by_pack, &g->pack_start);
    cv_free(key);
    return err;
}

static void grouped_free(struct grouped *g)
{
    cv_free(g->all);
    cv_free(g->by_block);
    cv_free(g->block_start);
    cv_free(g->by_pack);
    cv_free(g->pack_start);
}

/* Add source pack `p`, its blocks and their blobs to `out`. */
static enum cv_err describe_pack(struct cv_pack_index *src, const struct grouped *g, uint32_t p,
                                 struct cv_pack_index *out)
{
    uint32_t pno;
    enum cv_err err = cv_pack_index_add_pack(out, src->packs[p].name, &pno);

    if (!err)
        cv_pack_index_set_pack_size(out, pno, src->packs[p].size);
    for (size_t k = g->pack_start[p]; k < g->pack_start[p + 1] && !err; k++) {
        const struct cv_ix_block *b = &src->blocks[g->by_pack[k]];
        uint32_t bno;

        err = cv_pack_index_add_block(out, b->kind, &bno);
        if (!err)
            cv_pack_index_set_block(out, bno, pno, b->offset, b->stored, b->raw);
        for (size_t i = g->block_start[g->by_pack[k]];
             i < g->block_start[g->by_pack[k] + 1] && !err; i++) {
            const struct cv_ix_entry *e = &g->all[g->by_block[i]];
            bool added;

            err = cv_pack_index_add_entry(out, e->id, bno, e->off, e->len, &added);
        }
    }
    return err;
}

/* Seal `ix` as a new index object of the target and make it durable. */
static enum cv_err write_index(struct cv_repo *src, struct cv_backend *to, struct cv_pack_index *ix,
                               struct cv_copy_stats *st)
{
    struct cv_buf body = CV_BUF_INIT(CV_INDEX_MAX), obj = CV_BUF_INIT(CV_INDEX_MAX + 4096);
    char name[CV_OBJ_NAME_LEN + 1];
    enum cv_err err;

    cv_obj_name_random(name);
    err = cv_pack_index_encode(ix, 0, 0, 0, &body);
    if (!err)
        err = cv_object_seal(src->keys, 'I', name, body.data, body.len, false, &obj);
    if (!err)
        err = to->ops->put(to, CV_OBJ_INDEX, name, obj.data, obj.len);
    if (!err)
        err = to->ops->sync(to);
    if (!err) {
        st->copied[CV_OBJ_INDEX]++;
        st->bytes += obj.len;
    }
    cv_buf_free(&body);
    cv_buf_free(&obj);
    return err;
}

/* ---- the copy -------------------------------------------------------------------------------- */

struct copier {
    struct cv_repo *repo;
    struct cv_backend *to;
    const struct cv_copy_opts *o;
    struct cv_copy_stats *st;
    struct target t;
    struct grouped g;
    struct cv_buf buf;
    struct cv_pack_index *described; /* packs not yet in a new index object */
    size_t ndescribed;
};

static bool progress(struct copier *c)
{
    struct cv_progress p = {"copying", c->st->done, c->st->total, c->st->bytes};

    return !c->o || !c->o->progress || c->o->progress(&p, c->o->progress_arg);
}

static enum cv_err flush_described(struct copier *c)
{
    enum cv_err err = CV_OK;

    if (c->ndescribed) {
        err = c->to->ops->sync(c->to); /* packs durable before the index that names them */
        if (!err)
            err = write_index(c->repo, c->to, c->described, c->st);
    }
    cv_pack_index_free(c->described);
    cv_pack_index_init(c->described);
    c->ndescribed = 0;
    return err;
}

/* One needed pack: copied when the target lacks it, described when no index of the target
 * does (a copy of the pack killed before its index object, or just copied). */
static enum cv_err copy_pack(struct copier *c, uint32_t p, size_t *since_sync)
{
    struct cv_pack_index *ix = &c->repo->ix;
    char name[CV_OBJ_NAME_LEN + 1];
    bool present, indexed;
    enum cv_err err = CV_OK;

    cv_hex_encode(ix->packs[p].name, 32, name);
    present = cv_name_set_has(&c->t.packs, name);
    indexed = cv_name_set_has(&c->t.indexed, name);
    if (!present) {
        err = cv_copy_object(c->repo->be, c->to, CV_OBJ_PACK, name, &c->buf, c->st);
        if (!err && ++*since_sync >= SYNC_EVERY) {
            err = c->to->ops->sync(c->to);
            *since_sync = 0;
        }
    } else {
        c->st->skipped[CV_OBJ_PACK]++;
    }
    if (!err && !indexed) {
        err = describe_pack(ix, &c->g, p, c->described);
        if (!err && ++c->ndescribed == PACKS_PER_OBJ)
            err = flush_described(c);
    }
    return err;
}

static enum cv_err copy_packs(struct copier *c, const bool *need)
{
    size_t since_sync = 0;
    enum cv_err err = group_index(&c->repo->ix, &c->g);

    for (uint32_t p = 0; p < c->repo->ix.npacks && !err; p++) {
        if (!need[p])
            continue;
        err = copy_pack(c, p, &since_sync);
        c->st->done++;
        if (!err && !progress(c))
            err = cv_fail(CV_ECANCELED, "copy stopped");
    }
    if (!err)
        err = flush_described(c);
    return err;
}

static enum cv_err copy_snapshot_objects(struct copier *c, const struct cv_snapshot *s, size_t n)
{
    enum cv_err err = CV_OK;

    for (size_t i = 0; i < n && !err; i++) {
        if (cv_name_set_has(&c->t.snapshots, s[i].name))
            c->st->skipped[CV_OBJ_SNAPSHOT]++;
        else
            err = cv_copy_object(c->repo->be, c->to, CV_OBJ_SNAPSHOT, s[i].name, &c->buf, c->st);
        c->st->done++;
        if (!err && !progress(c))
            err = cv_fail(CV_ECANCELED, "copy stopped");
    }
    return err ? err : c->to->ops->sync(c->to);
}

/* Read the chosen snapshots (each once) and mark the packs they need: every layer of each (its
 * full tree and its runs, in format 2), as prune sees them (reach.c). */
static enum cv_err choose(struct cv_repo *repo, const char *const *specs, size_t nspecs,
                          struct cv_snapshot *snaps, size_t *nsnaps, bool *need)
{
    struct cv_idset live = {0};
    struct cv_reader *rd = NULL;
    enum cv_err err = cv_reader_new(repo, 8, &rd);

    *nsnaps = 0;
    for (size_t i = 0; i < nspecs && !err; i++) {
        bool dup = false;

        err = cv_snapshot_find(repo, specs[i], &snaps[*nsnaps]);
        for (size_t k = 0; !err && k < *nsnaps; k++)
            dup = dup || strcmp(snaps[k].name, snaps[*nsnaps].name) == 0;
        if (!err && dup) {
            cv_snapshot_clear(&snaps[*nsnaps]);
            continue;
        }
        if (!err) {
            err = cv_reach_snapshot(repo, rd, &snaps[*nsnaps], &live);
            if (err)
                cv_fail_prefix(err, "snapshot %.8s cannot be copied whole: ", snaps[*nsnaps].name);
            (*nsnaps)++;
        }
    }
    if (!err)
        mark_packs(repo, &live, need);
    cv_reader_free(rd);
    cv_idset_free(&live);
    return err;
}

struct cv_copy_plan {
    struct cv_repo *repo;
    struct cv_snapshot *snaps;
    size_t nsnaps;
    bool *need; /* [npacks of the source's index] */
};

void cv_copy_plan_free(struct cv_copy_plan *plan)
{
    if (!plan)
        return;
    cv_snapshots_free(plan->snaps, plan->nsnaps);
    cv_free(plan->need);
    cv_free(plan);
}

enum cv_err cv_copy_plan_new(struct cv_repo *repo, const char *const *specs, size_t nspecs,
                             struct cv_copy_plan **out)
{
    struct cv_copy_plan *plan = cv_calloc(1, sizeof(*plan));
    enum cv_err err = CV_OK;

    *out = NULL;
    if (plan) {
        plan->repo = repo;
        plan->snaps = cv_calloc(nspecs ? nspecs : 1, sizeof(*plan->snaps));
        plan->need = cv_calloc(repo->ix.npacks ? repo->ix.npacks : 1, sizeof(*plan->need));
    }
    if (!plan || !plan->snaps || !plan->need)
        err = cv_fail(CV_ENOMEM, "out of memory");
    if (!err)
        err = choose(repo, specs, nspecs, plan->snaps, &plan->nsnaps, plan->need);
    if (err) {
        cv_copy_plan_free(plan);
        return err;
    }
    *out = plan;
    return CV_OK;
}

enum cv_err cv_copy_plan_run(const struct cv_copy_plan *plan, struct cv_backend *to,
                             const struct cv_copy_opts *o, struct cv_copy_stats *st)
{
    struct cv_repo *repo = plan->repo;
    struct copier c = {.repo = repo, .to = to, .o = o, .st = st};
    struct cv_pack_index described;
    enum cv_err err = cv_pack_index_init(&described);

    memset(st, 0, sizeof(*st));
    cv_buf_init(&c.buf, CV_COPY_OBJECT_MAX);
    c.described = &described;
    for (size_t p = 0; p < repo->ix.npacks; p++)
        st->total += plan->need[p];
    st->total += plan->nsnaps;
    if (!err)
        err = cv_copy_begin(repo->be, to, o, st);
    if (!err)
        err = target_load(repo, to, &c.t);
    if (!err)
        err = copy_packs(&c, plan->need);
    if (!err)
        err = copy_snapshot_objects(&c, plan->snaps, plan->nsnaps);
    if (!err && to->ops->lock_extend && !(o && o->no_extend))
        err = to->ops->lock_extend(to, &st->locks_extended);
    grouped_free(&c.g);
    cv_name_set_free(&c.t.packs);
    cv_name_set_free(&c.t.snapshots);
    cv_name_set_free(&c.t.indexed);
    cv_pack_index_free(&described);
    cv_buf_free(&c.buf);
    return err;
}
