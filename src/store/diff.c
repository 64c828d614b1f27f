/*
 * diff.c: what changed between two snapshots. The trees are walked side by side in name
 * order; a folder whose tree ID (or inline bytes) is the same in both is skipped unread, which
 * is most of an SS-MIX2 tree. A file that disappeared under one name and appeared with the
 * same content under another — the `_1` -> `_2` rename — is reported once, as renamed.
 */
#include "store_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct change {
    enum cv_change kind;
    enum cv_node_kind node;
    char *path, *new_path;
    uint8_t content[16]; /* files: hash of size and chunk IDs */
    bool consumed;
};

struct differ {
    struct cv_reader *rd;
    struct change *v;
    size_t n, cap;
    char path[4096];
};

static enum cv_node_kind node_kind(const struct cv_tree_entry *e)
{
    return e->kind == CV_TE_FILE      ? CV_NODE_FILE
           : e->kind == CV_TE_SYMLINK ? CV_NODE_SYMLINK
                                      : CV_NODE_DIR;
}

static void content_hash(const struct cv_tree_entry *e, uint8_t out[16])
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, 16);
    crypto_generichash_update(&st, (const uint8_t *)&e->size, sizeof(e->size));
    crypto_generichash_update(&st, e->chunks, e->nchunks * CV_ID_LEN);
    crypto_generichash_final(&st, out, 16);
}

static enum cv_err add_change(struct differ *d, enum cv_change kind, const struct cv_tree_entry *e)
{
    struct change *c;

    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        struct change *v = cv_reallocarray(d->v, cap, sizeof(*v));

        if (!v)
            return cv_fail(CV_ENOMEM, "out of memory");
        d->v = v;
        d->cap = cap;
    }
    c = &d->v[d->n];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->node = node_kind(e);
    if (e->kind == CV_TE_FILE)
        content_hash(e, c->content);
    if (!(c->path = cv_strdup(d->path)))
        return cv_fail(CV_ENOMEM, "out of memory");
    d->n++;
    return CV_OK;
}

static bool bytes_eq(const void *a, const void *b, size_t n)
{
    return n == 0 || memcmp(a, b, n) == 0;
}

static bool is_dir(const struct cv_tree_entry *e)
{
    return e && cv_te_is_dir(e);
}

static enum cv_err diff_listings(struct differ *d, const struct cv_listing *a,
                                 const struct cv_listing *b, unsigned depth);

/* Both sides' folders (either may be NULL: all added or all removed). */
static enum cv_err diff_dirs(struct differ *d, const struct cv_tree_entry *ea,
                             const struct cv_tree_entry *eb, unsigned depth)
{
    struct cv_listing la = CV_LISTING_INIT, lb = CV_LISTING_INIT;
    enum cv_err err = CV_OK;

    if (ea && eb && ea->kind == eb->kind &&
        ((ea->kind == CV_TE_DIR && memcmp(ea->tree_id, eb->tree_id, CV_ID_LEN) == 0) ||
         (ea->kind != CV_TE_DIR && ea->sub_len == eb->sub_len &&
          bytes_eq(ea->sub, eb->sub, ea->sub_len))))
        return CV_OK; /* the same tree (or the same layers): nothing below it changed */
    if (ea)
        err = cv_listing_load(d->rd, ea, &la);
    if (!err && eb)
        err = cv_listing_load(d->rd, eb, &lb);
    if (!err)
        err = diff_listings(d, ea ? &la : NULL, eb ? &lb : NULL, depth + 1);
    cv_listing_free(&la);
    cv_listing_free(&lb);
    return err;
}

/* One name present in a, b or both. */
static enum cv_err diff_entry(struct differ *d, const struct cv_tree_entry *ea,
                              const struct cv_tree_entry *eb, unsigned depth)
{
    enum cv_err err = CV_OK;

    if (ea && eb && is_dir(ea) && is_dir(eb))
        return diff_dirs(d, ea, eb, depth);
    if (ea && eb && ea->kind == eb->kind) {
        bool same = ea->size == eb->size && ea->nchunks == eb->nchunks &&
                    bytes_eq(ea->chunks, eb->chunks, ea->nchunks * CV_ID_LEN) &&
                    ea->sub_len == eb->sub_len && bytes_eq(ea->sub, eb->sub, ea->sub_len);

        if (!same)
            return add_change(d, CV_CHANGE_MODIFIED, eb);
        if (ea->mode != eb->mode || ea->mtime_sec != eb->mtime_sec ||
            ea->mtime_nsec != eb->mtime_nsec)
            return add_change(d, CV_CHANGE_META, eb);
        return CV_OK;
    }
    if (ea) {
        err = add_change(d, CV_CHANGE_REMOVED, ea);
        if (!err && is_dir(ea))
            err = diff_dirs(d, ea, NULL, depth);
    }
    if (!err && eb) {
        err = add_change(d, CV_CHANGE_ADDED, eb);
        if (!err && is_dir(eb))
            err = diff_dirs(d, NULL, eb, depth);
    }
    return err;
}

static int name_order(const struct cv_tree_entry *a, const struct cv_tree_entry *b)
{
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->name, b->name, n);

    return c ? c : (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

static enum cv_err diff_listings(struct differ *d, const struct cv_listing *a,
                                 const struct cv_listing *b, unsigned depth)
{
    struct cv_tree_rd ta, tb;
    struct cv_tree_entry ea, eb;
    bool ma = false, mb = false;
    size_t len = strlen(d->path);
    enum cv_err err = CV_OK;

    if (depth > CV_TREE_DEPTH_MAX)
        return cv_fail(CV_ECORRUPT, "tree: folders nested deeper than %u", CV_TREE_DEPTH_MAX);
    if (a) {
        cv_listing_iter(a, &ta);
        err = cv_tree_next(&ta, &ea, &ma);
    }
    if (!err && b) {
        cv_listing_iter(b, &tb);
        err = cv_tree_next(&tb, &eb, &mb);
    }
    while (!err && (ma || mb)) {
        int c = !ma ? 1 : !mb ? -1 : name_order(&ea, &eb);
        const struct cv_tree_entry *e = c <= 0 ? &ea : &eb;

        if (len + 1 + e->name_len >= sizeof(d->path))
            return cv_fail(CV_ECORRUPT, "tree: a path longer than %zu bytes", sizeof(d->path));
        snprintf(d->path + len, sizeof(d->path) - len, "%s%.*s", len ? "/" : "", (int)e->name_len,
                 e->name);
        err = diff_entry(d, c <= 0 ? &ea : NULL, c >= 0 ? &eb : NULL, depth);
        d->path[len] = '\0';
        if (!err && c <= 0)
            err = cv_tree_next(&ta, &ea, &ma);
        if (!err && c >= 0)
            err = cv_tree_next(&tb, &eb, &mb);
    }
    return err;
}

/* ---- renames and the report
 * ----------------------------------------------------------------------- */
static int by_content(const void *a, const void *b)
{
    const struct change *x = *(struct change *const *)a, *y = *(struct change *const *)b;

    return memcmp(x->content, y->content, sizeof(x->content));
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct change *)a)->path, ((const struct change *)b)->path);
}

/* Pair each added file with a removed file of the same content: a rename. */
static enum cv_err match_renames(struct differ *d)
{
    struct change **removed = cv_calloc(d->n ? d->n : 1, sizeof(*removed));
    size_t nr = 0;

    if (!removed)
        return cv_fail(CV_ENOMEM, "out of memory");
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].kind == CV_CHANGE_REMOVED && d->v[i].node == CV_NODE_FILE)
            removed[nr++] = &d->v[i];
    qsort(removed, nr, sizeof(*removed), by_content);
    for (size_t i = 0; i < d->n && nr; i++) {
        struct change *c = &d->v[i], key, *kp = &key, **hit;

        if (c->kind != CV_CHANGE_ADDED || c->node != CV_NODE_FILE)
            continue;
        memcpy(key.content, c->content, sizeof(key.content));
        hit = bsearch(&kp, removed, nr, sizeof(*removed), by_content);
        while (hit && hit > removed && by_content(hit - 1, &kp) == 0)
            hit--; /* the first of equal contents, then the first not yet paired */
        while (hit && hit < removed + nr && by_content(hit, &kp) == 0 && (*hit)->consumed)
            hit++;
        if (!hit || hit == removed + nr || by_content(hit, &kp) != 0)
            continue;
        (*hit)->consumed = true;
        c->kind = CV_CHANGE_RENAMED;
        c->new_path = c->path;
        c->path = (*hit)->path;
        (*hit)->path = NULL;
    }
    cv_free(removed);
    return CV_OK;
}

enum cv_err cv_snapshot_diff(struct cv_repo *repo, const struct cv_snapshot *a,
                             const struct cv_snapshot *b, cv_change_fn fn, void *arg,
                             struct cv_diff_stats *stats)
{
    struct cv_listing la = CV_LISTING_INIT, lb = CV_LISTING_INIT;
    struct differ d;
    enum cv_err err;

    memset(&d, 0, sizeof(d));
    memset(stats, 0, sizeof(*stats));
    err = cv_reader_new(repo, 16, &d.rd);
    if (!err && !(a->nruns == 0 && b->nruns == 0 && memcmp(a->tree, b->tree, CV_ID_LEN) == 0)) {
        err = cv_snapshot_root(d.rd, a, &la);
        if (!err)
            err = cv_snapshot_root(d.rd, b, &lb);
        if (!err)
            err = diff_listings(&d, &la, &lb, 1);
    }
    cv_listing_free(&la);
    cv_listing_free(&lb);
    if (!err)
        err = match_renames(&d);
    if (!err) { /* drop the removals that became renames */
        size_t kept = 0;

        for (size_t i = 0; i < d.n; i++) {
            if (d.v[i].consumed)
                cv_free(d.v[i].path);
            else
                d.v[kept++] = d.v[i];
        }
        d.n = kept;
    }
    if (!err && d.n)
        qsort(d.v, d.n, sizeof(*d.v), by_path);
    for (size_t i = 0; i < d.n && !err; i++) {
        struct change *c = &d.v[i];
        uint64_t *count[] = {&stats->added, &stats->removed, &stats->modified, &stats->renamed,
                             &stats->meta};

        (*count[c->kind])++;
        if (fn)
            err = fn(arg, c->kind, c->path, c->new_path, c->node);
    }
    for (size_t i = 0; i < d.n; i++) {
        cv_free(d.v[i].path);
        cv_free(d.v[i].new_path);
    }
    cv_free(d.v);
    cv_reader_free(d.rd);
    return err;
}
