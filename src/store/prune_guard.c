/*
 * prune_guard.c: how a backup stays safe beside a prune (docs/FORMAT.md "Prune"). A prune
 * first writes a record ("prune/<name>": when, the snapshots it saw, the packs it will remove),
 * waits a grace period, looks at the snapshots again and only then removes. A backup, when it
 * starts, reloads the index if a prune rewrote it, and never builds on a blob in a pack some
 * record names. When it ends, before it writes its snapshot, it looks again: a record that
 * appeared meanwhile, or index objects that vanished, mean a prune ran beside it; the backup
 * then saves its snapshot only if the prune kept everything it relies on (its parent snapshot,
 * and every older pack it found a blob in). Records are small objects sealed like the others.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#define RECORD_VERSION 1
#define RECORD_MAX     (256u << 20)

/* ---- records --------------------------------------------------------------------------------- */
enum cv_err cv_prune_record_encode(const struct cv_prune_record *r, struct cv_buf *out)
{
    uint8_t version = RECORD_VERSION;
    enum cv_err err = cv_buf_append(out, &version, 1);

    if (!err)
        err = cv_put_svarint(out, r->time);
    if (!err)
        err = cv_put_varint(out, (uint64_t)r->grace);
    if (!err)
        err = cv_put_varint(out, r->nsnaps);
    if (!err && r->nsnaps)
        err = cv_buf_append(out, r->snaps, r->nsnaps * 32);
    if (!err)
        err = cv_put_varint(out, r->npacks);
    if (!err && r->npacks)
        err = cv_buf_append(out, r->packs, r->npacks * 32);
    return err;
}

void cv_prune_record_clear(struct cv_prune_record *r)
{
    cv_free(r->snaps);
    cv_free(r->packs);
    memset(r, 0, sizeof(*r));
}

static enum cv_err copy_ids(struct cv_rd *rd, uint8_t (**out)[32], size_t *n)
{
    const uint8_t *p;
    uint64_t count;

    if (!cv_rd_varint_max(rd, cv_rd_left(rd) / 32, &count) || !cv_rd_bytes(rd, count * 32, &p))
        return cv_fail(CV_ECORRUPT, "prune record: bad list");
    *out = cv_calloc(count ? count : 1, 32);
    if (!*out)
        return cv_fail(CV_ENOMEM, "out of memory");
    memcpy(*out, p, count * 32);
    *n = (size_t)count;
    return CV_OK;
}

enum cv_err cv_prune_record_decode(const uint8_t *p, size_t n, struct cv_prune_record *r)
{
    struct cv_rd rd;
    uint8_t version;
    uint64_t grace;
    enum cv_err err;

    memset(r, 0, sizeof(*r));
    cv_rd_init(&rd, p, n);
    if (!cv_rd_u8(&rd, &version) || version != RECORD_VERSION || !cv_rd_svarint(&rd, &r->time) ||
        !cv_rd_varint_max(&rd, 1ull << 40, &grace))
        return cv_fail(CV_ECORRUPT, "prune record: bad header");
    r->grace = (int64_t)grace;
    err = copy_ids(&rd, &r->snaps, &r->nsnaps);
    if (!err)
        err = copy_ids(&rd, &r->packs, &r->npacks);
    if (!err && cv_rd_left(&rd))
        err = cv_fail(CV_ECORRUPT, "prune record: bytes after its end");
    if (err)
        cv_prune_record_clear(r);
    return err;
}

enum cv_err cv_prune_record_read(struct cv_repo *repo, const char *name, struct cv_prune_record *r)
{
    struct cv_buf obj = CV_BUF_INIT(RECORD_MAX + 4096), body = CV_BUF_INIT(RECORD_MAX);
    enum cv_err err = cv_backend_get_all(repo->be, CV_OBJ_PRUNE, name, RECORD_MAX + 4096, &obj);

    memset(r, 0, sizeof(*r));
    if (!err)
        err = cv_object_open(repo->keys, 'P', name, (const uint8_t *)obj.data, obj.len, RECORD_MAX,
                             &body);
    if (!err)
        err = cv_prune_record_decode((const uint8_t *)body.data, body.len, r);
    if (!err)
        cv_strlcpy(r->name, name, sizeof(r->name));
    cv_buf_free(&obj);
    cv_buf_free(&body);
    return err;
}

enum cv_err cv_prune_record_write(struct cv_repo *repo, struct cv_prune_record *r)
{
    struct cv_buf body = CV_BUF_INIT(RECORD_MAX), obj = CV_BUF_INIT(RECORD_MAX + 4096);
    enum cv_err err;

    cv_obj_name_random(r->name);
    err = cv_prune_record_encode(r, &body);
    if (!err)
        err = cv_object_seal(repo->keys, 'P', r->name, body.data, body.len, true, &obj);
    if (!err)
        err = repo->be->ops->put(repo->be, CV_OBJ_PRUNE, r->name, obj.data, obj.len);
    if (!err)
        err = repo->be->ops->sync(repo->be);
    cv_buf_free(&body);
    cv_buf_free(&obj);
    return err;
}

/* ---- names ------------------------------------------------------------------------------------
 */
static enum cv_err collect(const char *name, void *arg)
{
    struct cv_names *l = arg;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char(*v)[CV_OBJ_NAME_LEN + 1] = cv_reallocarray(l->v, cap, sizeof(*v));

        if (!v)
            return cv_fail(CV_ENOMEM, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    cv_strlcpy(l->v[l->n++], name, CV_OBJ_NAME_LEN + 1);
    return CV_OK;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

enum cv_err cv_names_list(struct cv_repo *repo, enum cv_obj_kind kind, struct cv_names *l)
{
    enum cv_err err;

    memset(l, 0, sizeof(*l));
    err = repo->be->ops->list(repo->be, kind, collect, l, NULL);
    if (!err && l->n)
        qsort(l->v, l->n, sizeof(*l->v), name_cmp);
    if (err)
        cv_names_free(l);
    return err;
}

bool cv_names_has(const struct cv_names *l, const char *name)
{
    return l->n && bsearch(name, l->v, l->n, sizeof(*l->v), name_cmp) != NULL;
}

void cv_names_free(struct cv_names *l)
{
    cv_free(l->v);
    memset(l, 0, sizeof(*l));
}

/* ---- before a backup ------------------------------------------------------------------------- */
/* Has any index object this process loaded vanished (a prune rewrote the index)? */
static enum cv_err index_vanished(struct cv_repo *repo, bool *vanished)
{
    struct cv_names now;
    enum cv_err err = cv_names_list(repo, CV_OBJ_INDEX, &now);

    *vanished = false;
    for (size_t i = 0; !err && i < repo->nindex_names && !*vanished; i++)
        *vanished = !cv_names_has(&now, repo->index_names[i]);
    cv_names_free(&now);
    return err;
}

enum cv_err cv_repo_refresh(struct cv_repo *repo)
{
    struct cv_names records;
    bool vanished;
    enum cv_err err = index_vanished(repo, &vanished);

    if (!err && vanished) { /* a prune ran since this index was loaded: load it afresh */
        cv_pack_index_free(&repo->ix);
        cv_pack_index_init(&repo->ix);
        for (size_t i = 0; i < repo->nindex_names; i++)
            cv_free(repo->index_names[i]);
        cv_free(repo->index_names);
        repo->index_names = NULL;
        repo->nindex_names = 0;
        err = cv_repo_load_index(repo);
    }
    if (!err)
        err = cv_names_list(repo, CV_OBJ_PRUNE, &records);
    if (err)
        return err;
    for (size_t i = 0; i < records.n; i++) { /* never build on what a prune will remove */
        struct cv_prune_record r;

        if (cv_prune_record_read(repo, records.v[i], &r) != CV_OK) {
            log_warn("prune record '%s' skipped: %s", records.v[i], cv_errmsg());
            continue;
        }
        for (size_t k = 0; k < r.npacks; k++)
            cv_pack_index_condemn(&repo->ix, r.packs[k]);
        cv_prune_record_clear(&r);
    }
    cv_names_free(&repo->prune_known);
    repo->prune_known = records;
    return CV_OK;
}

/* ---- after a backup, before its snapshot ----------------------------------------------------- */
static bool snap_in(const struct cv_prune_record *r, const uint8_t name[32])
{
    for (size_t i = 0; i < r->nsnaps; i++)
        if (memcmp(r->snaps[i], name, 32) == 0)
            return true;
    return false;
}

/* The number of the pack named `name` in the index, or -1. */
static long pack_no(struct cv_repo *repo, const uint8_t name[32])
{
    for (size_t i = 0; i < repo->ix.npacks; i++)
        if (memcmp(repo->ix.packs[i].name, name, 32) == 0)
            return (long)i;
    return -1;
}

static enum cv_err relies_on(struct cv_repo *repo, const struct cv_writer *w,
                             const struct cv_prune_record *r, const uint8_t *parent)
{
    if (parent && !snap_in(r, parent))
        return cv_fail(CV_EBUSY, "a prune that began during this backup may remove what its "
                                 "parent snapshot holds; the snapshot is not saved (run the "
                                 "backup again)");
    for (size_t k = 0; k < r->npacks; k++) {
        long no = pack_no(repo, r->packs[k]);

        if (no >= 0 && cv_writer_deduped(w, (uint32_t)no))
            return cv_fail(CV_EBUSY, "a prune that began during this backup removes data it "
                                     "relies on; the snapshot is not saved (run the backup "
                                     "again)");
    }
    return CV_OK;
}

/* A prune finished (its record gone) during the backup: is everything it relies on there? */
static enum cv_err still_there(struct cv_repo *repo, const struct cv_writer *w,
                               const char *parent_hex, bool packs)
{
    uint64_t size;

    if (parent_hex && repo->be->ops->size(repo->be, CV_OBJ_SNAPSHOT, parent_hex, &size) != CV_OK)
        return cv_fail(CV_EBUSY, "the parent snapshot was forgotten during this backup while a "
                                 "prune ran; the snapshot is not saved (run the backup again)");
    for (size_t i = 0; packs && i < repo->ix.npacks; i++) {
        char name[CV_OBJ_NAME_LEN + 1];

        if (!cv_writer_deduped(w, (uint32_t)i))
            continue;
        cv_hex_encode(repo->ix.packs[i].name, 32, name);
        if (repo->be->ops->size(repo->be, CV_OBJ_PACK, name, &size) != CV_OK)
            return cv_fail(CV_EBUSY, "a prune during this backup removed data it relies on; "
                                     "the snapshot is not saved (run the backup again)");
    }
    return CV_OK;
}

enum cv_err cv_prune_check(struct cv_repo *repo, const struct cv_writer *w, const char *parent)
{
    struct cv_names records;
    uint8_t parent_id[32];
    bool vanished = false;
    enum cv_err err = cv_names_list(repo, CV_OBJ_PRUNE, &records);

    if (parent && cv_hex_decode(parent, parent_id, 32) != CV_OK)
        parent = NULL;
    for (size_t i = 0; !err && i < records.n; i++) {
        struct cv_prune_record r;

        if (cv_names_has(&repo->prune_known, records.v[i]))
            continue; /* known when the backup began: nothing in it was used */
        err = cv_prune_record_read(repo, records.v[i], &r);
        if (!err)
            err = relies_on(repo, w, &r, parent ? parent_id : NULL);
        cv_prune_record_clear(&r);
    }
    if (!err)
        err = index_vanished(repo, &vanished);
    /* a prune running (it keeps what the snapshots it sees need) or done: the parent must
     * still be one of them */
    if (!err && (records.n || vanished))
        err = still_there(repo, w, parent, vanished);
    cv_names_free(&records);
    return err;
}
