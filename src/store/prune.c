/*
 * prune.c: removing the packs no snapshot needs (docs/FORMAT.md "Prune"). In order, each step
 * durable before the next, so that a prune stopped at any moment leaves a sound repository:
 *  1. every snapshot is read and every blob it needs marked (a snapshot, tree or index object
 *     that cannot be read stops the prune: what it names would look unneeded);
 *  2. packs none of whose blobs is needed are the ones to remove; a pack still partly needed is
 *     kept whole (see FORMAT.md for why it is not repacked);
 *  3. a record of them is written and the prune waits `grace` seconds: backups read records and
 *     neither build on those packs nor save a snapshot that relies on them;
 *  4. the snapshots are read again, and packs that a snapshot written meanwhile needs are kept;
 *  5. new index objects covering every kept pack are written, then the old ones removed;
 *  6. the packs are removed, then the record.
 * Removal goes through the caller's removal handle; what the storage refuses (a lock not yet
 * expired) stays indexed and is tried again by the next prune. A storage that can say so in
 * advance (S3) is asked before step 3: packs it keeps, and packs an index object it keeps
 * names, are left out, so a prune that can remove nothing writes nothing. Packs no index
 * names (a killed backup's) are removed too, once older than `unindexed_age`: a running
 * backup names its packs in an index object every few packs, long before that.
 */
#include <chartvault/retention.h>

#include "store_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_GRACE         60
#define PACKS_PER_OBJECT      4096 /* packs one new index object covers */
#define STALE_RECORD          3600 /* a record this much past its grace belongs to a stopped prune */
#define DEFAULT_UNINDEXED_AGE (24 * 3600)

struct unindexed {
    char name[CV_OBJ_NAME_LEN + 1]; /* "" once dropped */
    uint64_t size;
};

struct pruner {
    struct cv_repo *repo;
    struct cv_remover *rm;
    const struct cv_prune_opts *o;
    struct cv_prune_stats *st;
    struct cv_reader *rd;
    struct cv_idset live;
    struct cv_names seen;    /* snapshots whose needs are in `live` */
    struct cv_ix_entry *all; /* the index's entries when the prune began */
    size_t nall;
    size_t npacks; /* packs indexed when the prune began: the only ones it may remove */
    /* a pack named by several index objects has several numbers: canon[p] is the first, and
     * only it is judged, written and removed (with the blocks and entries of all) */
    uint32_t *canon;
    struct cv_names index0;    /* index objects then: the ones it replaces */
    uint8_t *index0_locked;    /* per index0 object: the storage keeps it */
    uint8_t *unused;           /* per canonical pack: 1 = to remove */
    uint32_t *by_name;         /* pack numbers sorted by name */
    struct unindexed *orphans; /* stored packs no index names, old enough to go */
    size_t norphans;
};

static const struct cv_pack_index *canon_ix; /* qsort has no context argument */

static int by_pack_name(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int c = memcmp(canon_ix->packs[x].name, canon_ix->packs[y].name, 32);

    return c ? c : (x > y) - (x < y);
}

static enum cv_err find_canon(struct pruner *pr)
{
    const struct cv_pack_index *ix = &pr->repo->ix;
    uint32_t *order = cv_calloc(pr->npacks + 1, sizeof(*order));

    pr->canon = cv_calloc(pr->npacks + 1, sizeof(*pr->canon));
    pr->by_name = NULL;
    if (!order || !pr->canon) {
        cv_free(order);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    for (size_t p = 0; p < pr->npacks; p++)
        order[p] = (uint32_t)p;
    canon_ix = ix;
    qsort(order, pr->npacks, sizeof(*order), by_pack_name);
    for (size_t i = 0; i < pr->npacks; i++)
        pr->canon[order[i]] =
            i && memcmp(ix->packs[order[i]].name, ix->packs[order[i - 1]].name, 32) == 0
                ? pr->canon[order[i - 1]]
                : order[i];
    pr->by_name = order;
    return CV_OK;
}

/* The canonical number of the pack named `name` among those indexed when the prune began, or
 * -1. */
static long pack_by_name(const struct pruner *pr, const uint8_t name[32])
{
    const struct cv_pack_index *ix = &pr->repo->ix;
    size_t lo = 0, hi = pr->npacks;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(ix->packs[pr->by_name[mid]].name, name, 32);

        if (c == 0)
            return (long)pr->canon[pr->by_name[mid]];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static bool go_on(struct pruner *pr, const char *phase, uint64_t done, uint64_t total)
{
    struct cv_progress p = {phase, done, total, 0};

    return !pr->o->progress || pr->o->progress(&p, pr->o->progress_arg);
}

/* Load the index objects written since the prune began (by backups beside it), so that the
 * trees of their snapshots can be read. */
static enum cv_err load_new_index(struct pruner *pr)
{
    struct cv_names now;
    enum cv_err err = cv_names_list(pr->repo, CV_OBJ_INDEX, &now);

    for (size_t i = 0; i < now.n && !err; i++) {
        bool loaded = false;

        for (size_t k = 0; k < pr->repo->nindex_names && !loaded; k++)
            loaded = strcmp(pr->repo->index_names[k], now.v[i]) == 0;
        if (loaded)
            continue;
        err = cv_repo_read_index_object(pr->repo, now.v[i], &pr->repo->ix);
        if (!err)
            err = cv_repo_note_index(pr->repo, now.v[i]);
        else
            cv_fail_prefix(err, "index object %.8s cannot be read: ", now.v[i]);
    }
    cv_names_free(&now);
    return err;
}

/* Mark what every snapshot not yet seen needs. */
static enum cv_err reach_all(struct pruner *pr)
{
    struct cv_names names;
    enum cv_err err = cv_names_list(pr->repo, CV_OBJ_SNAPSHOT, &names);

    for (size_t i = 0; i < names.n && !err; i++) {
        struct cv_snapshot s;

        if (cv_names_has(&pr->seen, names.v[i]))
            continue;
        err = cv_snapshot_read(pr->repo, names.v[i], &s);
        if (err) {
            cv_fail_prefix(err,
                           "snapshot %.8s cannot be read (run check; prune removes "
                           "nothing while a snapshot is unreadable): ",
                           names.v[i]);
            break;
        }
        err = cv_reach_snapshot(pr->repo, pr->rd, &s, &pr->live);
        if (err)
            cv_fail_prefix(err, "a tree cannot be read (run check; prune removes nothing while "
                                "a snapshot is unreadable): ");
        cv_snapshot_clear(&s);
        if (!err && !go_on(pr, "reading snapshots", i + 1, names.n))
            err = cv_fail(CV_ECANCELED, "prune cancelled");
    }
    if (!err) { /* every snapshot listed is now seen */
        cv_names_free(&pr->seen);
        pr->seen = names;
    } else {
        cv_names_free(&names);
    }
    return err;
}

/* Which packs hold nothing needed (pr->unused), and the figures. */
static void find_unused(struct pruner *pr, bool count)
{
    struct cv_pack_index *ix = &pr->repo->ix;
    uint64_t *dead_raw = cv_calloc(pr->npacks ? pr->npacks : 1, sizeof(*dead_raw));

    for (size_t p = 0; count && p < pr->npacks; p++)
        pr->unused[p] = pr->canon[p] == p; /* until a needed blob is found in it */
    for (size_t i = 0; i < pr->nall; i++) {
        uint32_t pack = ix->blocks[pr->all[i].block].pack;

        if (pack >= pr->npacks)
            continue;
        if (cv_idset_has(&pr->live, pr->all[i].id))
            pr->unused[pr->canon[pack]] = 0;
        else if (dead_raw && pr->canon[pack] == pack)
            dead_raw[pack] += pr->all[i].len;
    }
    for (size_t p = 0; count && p < pr->npacks; p++) {
        if (pr->canon[p] != p)
            continue;
        pr->st->packs++;
        pr->st->packs_bytes += ix->packs[p].size;
        if (pr->unused[p]) {
            pr->st->packs_unused++;
            pr->st->unused_bytes += ix->packs[p].size;
        } else if (dead_raw && dead_raw[p]) {
            pr->st->packs_partly++;
            pr->st->partly_bytes += ix->packs[p].size;
            pr->st->dead_in_partly += dead_raw[p];
        }
    }
    cv_free(dead_raw);
}

static void report(struct pruner *pr, const char *what, const uint8_t name[32], uint64_t bytes,
                   enum cv_remove_result res)
{
    char hex[CV_OBJ_NAME_LEN + 1];

    if (!pr->o->item)
        return;
    cv_hex_encode(name, 32, hex);
    pr->o->item(pr->o->arg, what, hex, bytes, res, res == CV_REMOVE_LOCKED ? pr->rm->until : 0);
}

/* ---- the index without the removed packs ------------------------------------------------------
 */
/* One new index object for the packs [*p, ...) with keep[] set, at most PACKS_PER_OBJECT. */
static enum cv_err write_index_object(struct pruner *pr, const uint8_t *keep, size_t *p,
                                      const uint32_t *bl_order, const size_t *bl_start,
                                      const uint32_t *en_order, const size_t *en_start)
{
    struct cv_pack_index *ix = &pr->repo->ix, out;
    struct cv_buf body = CV_BUF_INIT(CV_INDEX_MAX), obj = CV_BUF_INIT(CV_INDEX_MAX + 4096);
    uint32_t *newno = cv_calloc(ix->nblocks + 1, sizeof(*newno));
    char name[CV_OBJ_NAME_LEN + 1];
    size_t taken = 0;
    enum cv_err err = newno ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");

    cv_pack_index_init(&out);
    for (; *p < pr->npacks && taken < PACKS_PER_OBJECT && !err; (*p)++) {
        uint32_t np;

        if (!keep[*p] || pr->canon[*p] != *p)
            continue;
        taken++;
        err = cv_pack_index_add_pack(&out, ix->packs[*p].name, &np);
        if (!err)
            cv_pack_index_set_pack_size(&out, np, ix->packs[*p].size);
        for (size_t k = bl_start[*p]; k < bl_start[*p + 1] && !err; k++) {
            size_t b = bl_order[k], same = k;
            const struct cv_ix_block *blk = &ix->blocks[b];
            uint32_t nb;

            /* the same block seen through another copy of the pack: one block, entries of
             * both (cv_pack_index_add_entry keeps each ID once) */
            while (same > bl_start[*p] && ix->blocks[bl_order[same - 1]].offset != blk->offset)
                same--;
            if (same > bl_start[*p]) {
                nb = newno[same - 1 - bl_start[*p]];
            } else {
                err = cv_pack_index_add_block(&out, blk->kind, &nb);
                if (!err)
                    cv_pack_index_set_block(&out, nb, np, blk->offset, blk->stored, blk->raw);
            }
            newno[k - bl_start[*p]] = nb;
            for (size_t j = en_start[b]; j < en_start[b + 1] && !err; j++) {
                const struct cv_ix_entry *e = &pr->all[en_order[j]];
                bool added;

                err = cv_pack_index_add_entry(&out, e->id, nb, e->off, e->len, &added);
            }
        }
    }
    if (!err && taken) {
        cv_obj_name_random(name);
        err = cv_pack_index_encode(&out, 0, 0, 0, &body);
        if (!err)
            err = cv_object_seal(pr->repo->keys, 'I', name, body.data, body.len, false, &obj);
        if (!err)
            err = pr->repo->be->ops->put(pr->repo->be, CV_OBJ_INDEX, name, obj.data, obj.len);
        if (!err)
            pr->st->index_after++;
    }
    cv_buf_free(&body);
    cv_buf_free(&obj);
    cv_pack_index_free(&out);
    cv_free(newno);
    return err;
}

/* Write index objects for the packs with keep[p] set, PACKS_PER_OBJECT at a time. */
static enum cv_err write_index(struct pruner *pr, const uint8_t *keep)
{
    struct cv_pack_index *ix = &pr->repo->ix;
    uint32_t *bkey = cv_calloc(ix->nblocks + 1, sizeof(*bkey));
    uint32_t *ekey = cv_calloc(pr->nall + 1, sizeof(*ekey));
    uint32_t *bl_order = NULL, *en_order = NULL;
    size_t *bl_start = NULL, *en_start = NULL, p = 0;
    enum cv_err err = bkey && ekey ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");

    for (size_t b = 0; !err && b < ix->nblocks; b++) /* blocks by pack, entries by block */
        bkey[b] =
            ix->blocks[b].pack < pr->npacks ? pr->canon[ix->blocks[b].pack] : (uint32_t)ix->npacks;
    for (size_t i = 0; !err && i < pr->nall; i++)
        ekey[i] = pr->all[i].block;
    if (!err)
        err = cv_group_by(ix->nblocks, ix->npacks + 1, bkey, &bl_order, &bl_start);
    if (!err)
        err = cv_group_by(pr->nall, ix->nblocks, ekey, &en_order, &en_start);
    while (!err && p < pr->npacks)
        err = write_index_object(pr, keep, &p, bl_order, bl_start, en_order, en_start);
    if (!err)
        err = pr->repo->be->ops->sync(pr->repo->be);
    cv_free(bkey);
    cv_free(ekey);
    cv_free(bl_order);
    cv_free(bl_start);
    cv_free(en_order);
    cv_free(en_start);
    return err;
}

/* ---- removing -------------------------------------------------------------------------------- */
/* Remove the old index objects; one the storage keeps pins the packs it names. */
static enum cv_err remove_index(struct pruner *pr)
{
    struct cv_pack_index *ix = &pr->repo->ix;
    enum cv_err err = CV_OK;

    for (size_t i = 0; i < pr->index0.n && !err; i++) {
        enum cv_remove_result res;
        uint8_t raw[32];

        if (pr->index0_locked && pr->index0_locked[i])
            continue; /* known to be kept: its packs were left out before */
        err = pr->rm->ops->remove(pr->rm, CV_OBJ_INDEX, pr->index0.v[i], &res);
        if (err || res != CV_REMOVE_LOCKED)
            continue;
        pr->st->locked++;
        if (cv_hex_decode(pr->index0.v[i], raw, 32) == CV_OK) /* listed: always a name */
            report(pr, "index", raw, 0, res);
        { /* still there: the packs it names must stay */
            struct cv_pack_index kept;

            cv_pack_index_init(&kept);
            if (cv_repo_read_index_object(pr->repo, pr->index0.v[i], &kept) == CV_OK)
                for (size_t p = 0; p < kept.npacks; p++) {
                    long q = pack_by_name(pr, kept.packs[p].name);

                    if (q >= 0)
                        pr->unused[q] = 0;
                }
            cv_pack_index_free(&kept);
        }
    }
    (void)ix;
    pr->st->index_before = pr->index0.n;
    return err ? err : pr->rm->ops->sync(pr->rm);
}

static enum cv_err remove_packs(struct pruner *pr, uint8_t *locked)
{
    struct cv_pack_index *ix = &pr->repo->ix;
    enum cv_err err = CV_OK;

    for (size_t p = 0; p < pr->npacks && !err; p++) {
        enum cv_remove_result res;
        char name[CV_OBJ_NAME_LEN + 1];

        if (!pr->unused[p])
            continue;
        cv_hex_encode(ix->packs[p].name, 32, name);
        err = pr->rm->ops->remove(pr->rm, CV_OBJ_PACK, name, &res);
        if (err)
            break;
        report(pr, "pack", ix->packs[p].name, ix->packs[p].size, res);
        if (res == CV_REMOVE_LOCKED) {
            locked[p] = 1;
            pr->st->locked++;
            pr->st->locked_bytes += ix->packs[p].size;
        } else {
            pr->st->removed++;
            pr->st->freed_bytes += ix->packs[p].size;
        }
        if (!go_on(pr, "removing packs", p + 1, pr->npacks))
            err = cv_fail(CV_ECANCELED, "prune cancelled");
    }
    return err ? err : pr->rm->ops->sync(pr->rm);
}

/* Remove this prune's record, and those of earlier prunes stopped before they finished. */
static enum cv_err remove_records(struct pruner *pr, const char *own)
{
    struct cv_names names;
    enum cv_err err = cv_names_list(pr->repo, CV_OBJ_PRUNE, &names);
    int64_t now = (int64_t)time(NULL);

    for (size_t i = 0; i < names.n && !err; i++) {
        struct cv_prune_record r;
        enum cv_remove_result res;
        bool stale = false;

        if (strcmp(names.v[i], own) != 0) {
            if (cv_prune_record_read(pr->repo, names.v[i], &r) == CV_OK)
                stale = r.time + r.grace + STALE_RECORD < now; /* its prune stopped long ago */
            cv_prune_record_clear(&r);
            if (!stale)
                continue; /* maybe a prune still running */
        }
        err = pr->rm->ops->remove(pr->rm, CV_OBJ_PRUNE, names.v[i], &res);
        if (!err && res == CV_REMOVED && strcmp(names.v[i], own) != 0)
            pr->st->records_removed++;
    }
    cv_names_free(&names);
    return err ? err : pr->rm->ops->sync(pr->rm);
}

/* ---- what the storage keeps ------------------------------------------------------------------ */
/* Leave out what the storage will keep (S3: a lock not yet run out), so that nothing is
 * rewritten for it: an index object kept keeps every pack it names; a pack kept is kept. Each
 * is reported as locked, with the date its lock runs out. */
static enum cv_err hold_locked(struct pruner *pr)
{
    struct cv_pack_index *ix = &pr->repo->ix;
    enum cv_err err = CV_OK;

    if (!pr->rm->ops->probe)
        return CV_OK;
    pr->index0_locked = cv_calloc(pr->index0.n + 1, 1);
    if (!pr->index0_locked)
        return cv_fail(CV_ENOMEM, "out of memory");
    for (size_t i = 0; i < pr->index0.n && !err; i++) {
        enum cv_remove_result res;
        struct cv_pack_index kept;

        err = pr->rm->ops->probe(pr->rm, CV_OBJ_INDEX, pr->index0.v[i], &res);
        if (err || res != CV_REMOVE_LOCKED)
            continue;
        pr->index0_locked[i] = 1;
        cv_pack_index_init(&kept);
        err = cv_repo_read_index_object(pr->repo, pr->index0.v[i], &kept);
        for (size_t k = 0; !err && k < kept.npacks; k++) {
            long p = pack_by_name(pr, kept.packs[k].name);

            if (p < 0 || !pr->unused[p])
                continue;
            pr->unused[p] = 0;
            pr->st->locked++;
            pr->st->locked_bytes += ix->packs[p].size;
            report(pr, "pack", ix->packs[p].name, ix->packs[p].size, CV_REMOVE_LOCKED);
        }
        cv_pack_index_free(&kept);
    }
    for (size_t p = 0; p < pr->npacks && !err; p++) {
        enum cv_remove_result res;
        char name[CV_OBJ_NAME_LEN + 1];

        if (!pr->unused[p])
            continue;
        cv_hex_encode(ix->packs[p].name, 32, name);
        err = pr->rm->ops->probe(pr->rm, CV_OBJ_PACK, name, &res);
        if (err || res != CV_REMOVE_LOCKED)
            continue;
        pr->unused[p] = 0;
        pr->st->locked++;
        pr->st->locked_bytes += ix->packs[p].size;
        report(pr, "pack", ix->packs[p].name, ix->packs[p].size, res);
    }
    for (size_t i = 0; i < pr->norphans && !err; i++) {
        struct unindexed *u = &pr->orphans[i];
        enum cv_remove_result res;
        uint8_t raw[32];

        err = pr->rm->ops->probe(pr->rm, CV_OBJ_PACK, u->name, &res);
        if (err || res != CV_REMOVE_LOCKED)
            continue;
        pr->st->locked++;
        pr->st->locked_bytes += u->size;
        if (cv_hex_decode(u->name, raw, 32) == CV_OK)
            report(pr, "unindexed pack", raw, u->size, res);
        u->name[0] = '\0';
    }
    return err;
}

/* ---- packs no index names -------------------------------------------------------------------- */
struct orphan_scan {
    struct pruner *pr;
    struct cv_name_set indexed;
    int64_t before; /* written before this: old enough */
    size_t cap;
};

static enum cv_err on_stored_pack(void *arg, const char *name, int64_t modified, uint64_t size)
{
    struct orphan_scan *sc = arg;
    struct pruner *pr = sc->pr;

    if (cv_name_set_has(&sc->indexed, name))
        return CV_OK;
    if (!modified || modified > sc->before) { /* maybe a running backup's: not yet */
        pr->st->unindexed_young++;
        return CV_OK;
    }
    if (pr->norphans == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 16;
        struct unindexed *v = cv_reallocarray(pr->orphans, cap, sizeof(*v));

        if (!v)
            return cv_fail(CV_ENOMEM, "out of memory");
        pr->orphans = v;
        sc->cap = cap;
    }
    cv_strlcpy(pr->orphans[pr->norphans].name, name, CV_OBJ_NAME_LEN + 1);
    pr->orphans[pr->norphans++].size = size;
    return CV_OK;
}

/* The index's pack names, now (with index objects loaded since the prune began). */
static enum cv_err indexed_names(struct pruner *pr, struct cv_name_set *set)
{
    const struct cv_pack_index *ix = &pr->repo->ix;
    enum cv_err err = CV_OK;

    for (size_t p = 0; p < ix->npacks && !err; p++) {
        char name[CV_OBJ_NAME_LEN + 1];

        cv_hex_encode(ix->packs[p].name, 32, name);
        err = cv_name_set_add(set, name);
    }
    cv_name_set_sort(set);
    return err;
}

/* Every stored pack no index names and written more than unindexed_age ago. */
static enum cv_err find_orphans(struct pruner *pr)
{
    int64_t age = pr->o->unindexed_age > 0 ? pr->o->unindexed_age : DEFAULT_UNINDEXED_AGE;
    struct orphan_scan sc = {pr, {0}, (int64_t)time(NULL) - age, 0};
    enum cv_err err;

    if (!pr->rm->ops->list || pr->o->unindexed_age < 0)
        return CV_OK;
    err = indexed_names(pr, &sc.indexed);
    if (!err)
        err = pr->rm->ops->list(pr->rm, CV_OBJ_PACK, on_stored_pack, &sc);
    cv_name_set_free(&sc.indexed);
    for (size_t i = 0; !err && i < pr->norphans; i++) {
        pr->st->unindexed++;
        pr->st->unindexed_bytes += pr->orphans[i].size;
    }
    return err;
}

/* Remove them, but none an index object written since names (its backup was still running). */
static enum cv_err remove_orphans(struct pruner *pr)
{
    struct cv_name_set indexed = {0};
    enum cv_err err = load_new_index(pr);

    if (!err)
        err = indexed_names(pr, &indexed);
    for (size_t i = 0; i < pr->norphans && !err; i++) {
        struct unindexed *u = &pr->orphans[i];
        enum cv_remove_result res;
        uint8_t raw[32];

        if (!u->name[0] || cv_name_set_has(&indexed, u->name))
            continue;
        err = pr->rm->ops->remove(pr->rm, CV_OBJ_PACK, u->name, &res);
        if (err)
            break;
        if (cv_hex_decode(u->name, raw, 32) == CV_OK)
            report(pr, "unindexed pack", raw, u->size, res);
        if (res == CV_REMOVE_LOCKED) {
            pr->st->locked++;
            pr->st->locked_bytes += u->size;
        } else if (res == CV_REMOVED) {
            pr->st->removed++;
            pr->st->freed_bytes += u->size;
        }
    }
    cv_name_set_free(&indexed);
    return err ? err : pr->rm->ops->sync(pr->rm);
}

/* ---- the whole prune ------------------------------------------------------------------------- */
static enum cv_err record_and_wait(struct pruner *pr, struct cv_prune_record *r)
{
    struct cv_pack_index *ix = &pr->repo->ix;
    int64_t grace = pr->o->grace == CV_PRUNE_NO_GRACE ? 0
                    : pr->o->grace > 0                ? pr->o->grace
                                                      : DEFAULT_GRACE;
    enum cv_err err = CV_OK;

    r->time = (int64_t)time(NULL);
    r->grace = grace;
    r->snaps = cv_calloc(pr->seen.n ? pr->seen.n : 1, 32);
    r->packs = cv_calloc(pr->st->packs_unused ? pr->st->packs_unused : 1, 32);
    if (!r->snaps || !r->packs)
        return cv_fail(CV_ENOMEM, "out of memory");
    for (size_t i = 0; i < pr->seen.n; i++)
        if (cv_hex_decode(pr->seen.v[i], r->snaps[r->nsnaps++], 32) != CV_OK)
            return cv_fail(CV_ECORRUPT, "snapshot name '%s' is not an object name", pr->seen.v[i]);
    for (size_t p = 0; p < pr->npacks; p++)
        if (pr->unused[p])
            memcpy(r->packs[r->npacks++], ix->packs[p].name, 32);
    err = cv_prune_record_write(pr->repo, r);
    for (int64_t waited = 0; !err && waited < grace; waited++) {
        sleep(1);
        if (!go_on(pr, "waiting for backups", (uint64_t)waited + 1, (uint64_t)grace))
            err = cv_fail(CV_ECANCELED, "prune cancelled");
    }
    return err;
}

static enum cv_err prune(struct pruner *pr)
{
    struct cv_pack_index *ix = &pr->repo->ix;
    struct cv_prune_record r;
    uint8_t *keep = NULL, *locked = NULL;
    enum cv_err err;

    memset(&r, 0, sizeof(r));
    pr->npacks = ix->npacks;
    err = find_canon(pr);
    if (err)
        return err;
    /* the index objects loaded now are the ones replaced; those written later stay */
    pr->index0.v = cv_calloc(pr->repo->nindex_names + 1, sizeof(*pr->index0.v));
    err = pr->index0.v ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
    for (size_t i = 0; !err && i < pr->repo->nindex_names; i++)
        cv_strlcpy(pr->index0.v[pr->index0.n++], pr->repo->index_names[i], CV_OBJ_NAME_LEN + 1);
    if (!err)
        err = reach_all(pr);
    if (!err)
        err = cv_pack_index_all_entries(ix, &pr->all, &pr->nall);
    if (!err && !(pr->unused = cv_calloc(ix->npacks + 1, 1)))
        err = cv_fail(CV_ENOMEM, "out of memory");
    if (err)
        return err;
    find_unused(pr, true);
    pr->st->snapshots = pr->seen.n;
    err = find_orphans(pr);
    if (!err)
        err = hold_locked(pr);
    if (err)
        return err;
    if (pr->o->dry_run) {
        for (size_t p = 0; p < pr->npacks; p++)
            if (pr->unused[p])
                report(pr, "pack", ix->packs[p].name, ix->packs[p].size, CV_REMOVE_ABSENT);
        for (size_t i = 0; i < pr->norphans; i++) {
            uint8_t raw[32];

            if (pr->orphans[i].name[0] && cv_hex_decode(pr->orphans[i].name, raw, 32) == CV_OK)
                report(pr, "unindexed pack", raw, pr->orphans[i].size, CV_REMOVE_ABSENT);
        }
        return CV_OK;
    }
    if (!memchr(pr->unused, 1, pr->npacks)) /* nothing indexed can go: no record, no index */
        return pr->norphans ? remove_orphans(pr) : CV_OK;
    err = record_and_wait(pr, &r);
    if (!err) /* snapshots written meanwhile keep what they need */
        err = load_new_index(pr);
    if (!err)
        err = reach_all(pr);
    if (!err) {
        find_unused(pr, false);
        pr->st->snapshots = pr->seen.n;
    }
    if (!err &&
        (!(keep = cv_calloc(ix->npacks + 1, 1)) || !(locked = cv_calloc(ix->npacks + 1, 1))))
        err = cv_fail(CV_ENOMEM, "out of memory");
    for (size_t p = 0; !err && p < pr->npacks; p++)
        keep[p] = !pr->unused[p];
    if (!err)
        err = write_index(pr, keep);
    if (!err)
        err = remove_index(pr);
    if (!err)
        err = remove_packs(pr, locked);
    if (!err && memchr(locked, 1, pr->npacks)) /* what the storage kept stays accounted for */
        err = write_index(pr, locked);
    if (!err && pr->norphans)
        err = remove_orphans(pr);
    if (!err)
        err = remove_records(pr, r.name);
    cv_prune_record_clear(&r);
    cv_free(keep);
    cv_free(locked);
    return err;
}

enum cv_err cv_prune(struct cv_repo *repo, struct cv_remover *rm, const struct cv_prune_opts *o,
                     struct cv_prune_stats *st)
{
    uint64_t t0 = cv_monotonic_ms();
    struct pruner pr;
    enum cv_err err;

    memset(&pr, 0, sizeof(pr));
    pr.repo = repo;
    pr.rm = rm;
    pr.o = o;
    pr.st = st;
    memset(st, 0, sizeof(*st));
    err = cv_repo_refresh(repo);
    if (!err && cv_repo_warnings(repo))
        err = cv_fail(CV_ECORRUPT, "some index objects cannot be read (run check; prune "
                                   "removes nothing while they are unreadable)");
    if (!err)
        err = cv_reader_new(repo, 8, &pr.rd);
    if (!err)
        err = prune(&pr);
    st->seconds = cv_seconds_since(t0);
    cv_reader_free(pr.rd);
    cv_idset_free(&pr.live);
    cv_names_free(&pr.seen);
    cv_names_free(&pr.index0);
    cv_free(pr.canon);
    cv_free(pr.all);
    cv_free(pr.unused);
    cv_free(pr.index0_locked);
    cv_free(pr.by_name);
    cv_free(pr.orphans);
    return err;
}
