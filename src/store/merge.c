/*
 * merge.c: keeping a snapshot's stack of runs short (docs/FORMAT.md "Runs"). Each backup adds
 * one run of level 0 (what changed since its parent); when the newest FAN-IN runs all have one
 * level they are merged into one run of the next level, and when that would make a level of
 * LEVELS, the full tree and every run are merged into a new full tree (FAN-IN and LEVELS are
 * the config's "merge" line, 16 and 3 by default). So a snapshot stacks at most FAN-IN - 1
 * runs per level, and a change is written once per level it climbs. A merge shares what it can: a
 * folder that only one layer holds is referred to as that layer stored it (its tree blob, or its
 * inline bytes), so its cost follows the folders the merged layers have in common, not their size.
 */
#include "store_int.h"

#include <string.h>

#define MERGE_LAYERS_MAX (CV_RUNS_MAX + 1)

struct merger {
    struct cv_repo *repo;
    struct cv_writer *w;
    struct cv_reader *rd;
    struct cv_backup_stats *st;
    bool rebase; /* the result is a full tree: no removals, no replacing folders */
    struct cv_buf scratch;
};

/* Does an inline listing (and what is inline in it) name a tree blob? (Its parent then needs a
 * second copy, as a full backup would have made it.) */
static bool inline_has_ref(const uint8_t *p, size_t n, unsigned flags, unsigned depth)
{
    struct cv_tree_rd t;
    struct cv_tree_entry e;
    bool more;

    if (depth > CV_TREE_DEPTH_MAX)
        return true;
    cv_tree_rd_inline(&t, p, n);
    t.flags = flags;
    while (cv_tree_next(&t, &e, &more) == CV_OK && more) {
        if (e.kind == CV_TE_DIR || e.kind == CV_TE_NEW_DIR)
            return true;
        if ((e.kind == CV_TE_INLINE || e.kind == CV_TE_NEW_INLINE) &&
            inline_has_ref(e.sub, e.sub_len, flags, depth + 1))
            return true;
    }
    return false;
}

static enum cv_err merge_dir(struct merger *m, const struct cv_tree_entry *dirs, size_t n,
                             bool below, unsigned depth, struct cv_buf *out, bool *has_ref);

/* Emit the folder that the picked entries make (newest first). `whole`: it replaces what the
 * layers under the merge hold there. */
static enum cv_err emit_dir(struct merger *m, const struct cv_tree_entry *pick, size_t npick,
                            bool whole, bool below, unsigned depth, struct cv_buf *out,
                            bool *has_ref)
{
    struct cv_tree_entry e = pick[0];
    struct cv_buf sub = CV_BUF_INIT(CV_LISTING_MAX);
    bool sub_ref = false, inline_kind;
    uint8_t id[CV_ID_LEN];
    enum cv_err err;

    /* one layer holds it and nothing in it needs rewriting: refer to it as it is */
    if (npick == 1 && !(m->rebase && (e.flags & CV_TREE_RUN))) {
        inline_kind = e.kind == CV_TE_INLINE || e.kind == CV_TE_NEW_INLINE;
        if (inline_kind)
            *has_ref |= inline_has_ref(e.sub, e.sub_len, e.flags, 0);
        else
            *has_ref = true;
        if (!m->rebase && whole)
            e.kind = inline_kind ? CV_TE_NEW_INLINE : CV_TE_NEW_DIR;
        else if (!whole || m->rebase)
            e.kind = inline_kind ? CV_TE_INLINE : CV_TE_DIR;
        return cv_tree_put(out, &e);
    }
    err = merge_dir(m, pick, npick, below && !whole, depth + 1, &sub, &sub_ref);
    if (!err && sub.len <= CV_INLINE_MAX) {
        e.kind = whole && !m->rebase ? CV_TE_NEW_INLINE : CV_TE_INLINE;
        e.sub = (const uint8_t *)sub.data;
        e.sub_len = sub.len;
        *has_ref |= sub_ref;
        err = cv_tree_put(out, &e);
    } else if (!err) {
        err = cv_tree_store(m->w, &sub, sub_ref, &m->scratch, id, &m->st->added_tree_raw,
                            &m->st->blobs_new);
        e.kind = whole && !m->rebase ? CV_TE_NEW_DIR : CV_TE_DIR;
        e.tree_id = id;
        *has_ref = true;
        if (!err)
            err = cv_tree_put(out, &e);
    }
    cv_buf_free(&sub);
    return err;
}

/* One name as the layers hold it, newest first (e[at[0..nat)]). */
static enum cv_err merge_name(struct merger *m, const struct cv_tree_entry *e, const size_t *at,
                              size_t nat, bool below, unsigned depth, struct cv_buf *out,
                              bool *has_ref)
{
    struct cv_tree_entry pick[MERGE_LAYERS_MAX];
    const struct cv_tree_entry *first = &e[at[0]];
    size_t npick = 0;
    bool whole = false;

    if (first->kind == CV_TE_GONE) /* kept only while a layer under the merge may hold it */
        return below && !m->rebase ? cv_tree_put(out, first) : CV_OK;
    if (!cv_te_is_dir(first))
        return cv_tree_put(out, first);
    for (size_t i = 0; i < nat; i++) { /* the folders that make it: see walk.c */
        if (!cv_te_is_dir(&e[at[i]])) {
            whole = true; /* something else was there: the folder replaces it */
            break;
        }
        pick[npick++] = e[at[i]];
        if (cv_te_is_new_dir(&e[at[i]])) {
            whole = true;
            break;
        }
    }
    return emit_dir(m, pick, npick, whole, below, depth, out, has_ref);
}

/* Merge the listings of the folder entries `dirs` (newest first) into `out`. `below`: layers
 * under the merge may hold names in it (removals must then be kept). */
static enum cv_err merge_dir(struct merger *m, const struct cv_tree_entry *dirs, size_t n,
                             bool below, unsigned depth, struct cv_buf *out, bool *has_ref)
{
    struct cv_listing ls[MERGE_LAYERS_MAX];
    struct cv_tree_rd t[MERGE_LAYERS_MAX];
    struct cv_tree_entry e[MERGE_LAYERS_MAX];
    bool more[MERGE_LAYERS_MAX];
    size_t at[MERGE_LAYERS_MAX], loaded = 0;
    enum cv_err err = CV_OK;

    if (depth > CV_TREE_DEPTH_MAX)
        return cv_fail(CV_ECORRUPT, "tree: folders nested deeper than %u", CV_TREE_DEPTH_MAX);
    for (; loaded < n && !err; loaded++) {
        ls[loaded] = (struct cv_listing)CV_LISTING_INIT;
        err = cv_listing_load(m->rd, &dirs[loaded], &ls[loaded]);
        if (!err) {
            cv_listing_iter(&ls[loaded], &t[loaded]);
            err = cv_tree_next(&t[loaded], &e[loaded], &more[loaded]);
        }
    }
    while (!err) {
        const struct cv_tree_entry *min = NULL;
        size_t nat = 0;

        for (size_t i = 0; i < n; i++)
            if (more[i] &&
                (!min || cv_tree_name_cmp(e[i].name, e[i].name_len, min->name, min->name_len) < 0))
                min = &e[i];
        if (!min)
            break;
        for (size_t i = 0; i < n; i++)
            if (more[i] &&
                cv_tree_name_cmp(e[i].name, e[i].name_len, min->name, min->name_len) == 0)
                at[nat++] = i;
        err = merge_name(m, e, at, nat, below, depth, out, has_ref);
        for (size_t k = 0; k < nat && !err; k++)
            err = cv_tree_next(&t[at[k]], &e[at[k]], &more[at[k]]);
    }
    for (size_t i = 0; i < loaded; i++)
        cv_listing_free(&ls[i]);
    return err;
}

/* Merge the layers `roots` (newest first, each a root tree blob with its flags) into one root
 * tree blob. */
static enum cv_err merge_roots(struct merger *m, const uint8_t (*roots)[CV_ID_LEN],
                               const unsigned *flags, size_t n, uint8_t id[CV_ID_LEN])
{
    struct cv_tree_entry dirs[MERGE_LAYERS_MAX];
    struct cv_buf out = CV_BUF_INIT(CV_LISTING_MAX);
    bool has_ref = false;
    enum cv_err err = cv_reader_new(m->repo, 8, &m->rd);

    for (size_t i = 0; i < n; i++) {
        memset(&dirs[i], 0, sizeof(dirs[i]));
        dirs[i].kind = CV_TE_DIR;
        dirs[i].flags = flags[i];
        dirs[i].tree_id = roots[i];
    }
    if (!err)
        err = merge_dir(m, dirs, n, !m->rebase, 0, &out, &has_ref);
    /* a full tree's root always has its second copy, a run's when it names blobs */
    if (!err)
        err = cv_tree_store(m->w, &out, has_ref || m->rebase, &m->scratch, id,
                            &m->st->added_tree_raw, &m->st->blobs_new);
    cv_reader_free(m->rd);
    m->rd = NULL;
    cv_buf_free(&out);
    return err;
}

/* Replace runs [from, nruns) of `s` by their merge, of level `level`. */
static enum cv_err merge_runs(struct merger *m, struct cv_snapshot *s, size_t from, uint8_t level)
{
    uint8_t roots[MERGE_LAYERS_MAX][CV_ID_LEN], id[CV_ID_LEN];
    unsigned flags[MERGE_LAYERS_MAX];
    size_t n = 0;
    enum cv_err err = cv_writer_flush(m->w); /* the newest run must be readable */

    if (err)
        return err;
    for (size_t i = s->nruns; i-- > from;) {
        memcpy(roots[n], s->runs[i].root, CV_ID_LEN);
        flags[n++] = CV_TREE_RUN;
    }
    if (m->rebase) {
        memcpy(roots[n], s->tree, CV_ID_LEN);
        flags[n++] = 0;
    }
    err = merge_roots(m, (const uint8_t(*)[CV_ID_LEN])roots, flags, n, id);
    if (err)
        return err;
    if (m->rebase) {
        memcpy(s->tree, id, CV_ID_LEN);
        s->nruns = 0;
        return CV_OK;
    }
    memcpy(s->runs[from].root, id, CV_ID_LEN);
    s->runs[from].level = level;
    s->nruns = from + 1;
    return CV_OK;
}

static enum cv_err settle(struct cv_repo *repo, struct cv_writer *w, struct cv_snapshot *s,
                          struct cv_backup_stats *st, bool rebase_now)
{
    struct merger m = {repo, w, NULL, st, false, CV_BUF_INIT(CV_LISTING_MAX)};
    size_t fan_in = repo->cfg.merge_fan_in;
    enum cv_err err = CV_OK;

    while (!err && s->nruns) {
        size_t from = s->nruns - 1;
        uint8_t level = s->runs[from].level;

        while (from > 0 && s->runs[from - 1].level == level && s->nruns - from < fan_in)
            from--;
        if (rebase_now || s->nruns >= CV_RUNS_MAX ||
            (s->nruns - from == fan_in && level + 1u >= repo->cfg.merge_levels)) {
            m.rebase = true;
            err = merge_runs(&m, s, 0, 0);
        } else if (s->nruns - from == fan_in) {
            err = merge_runs(&m, s, from, (uint8_t)(level + 1));
        } else {
            break;
        }
    }
    cv_buf_free(&m.scratch);
    return err;
}

enum cv_err cv_runs_settle(struct cv_repo *repo, struct cv_writer *w, struct cv_snapshot *s,
                           struct cv_backup_stats *st)
{
    return settle(repo, w, s, st, false);
}

enum cv_err cv_runs_rebase(struct cv_repo *repo, struct cv_writer *w, struct cv_snapshot *s,
                           struct cv_backup_stats *st)
{
    return s->nruns ? settle(repo, w, s, st, true) : CV_OK;
}
