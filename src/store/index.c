/*
 * index.c: the in-memory index (blob ID -> block -> pack) and the index objects that store
 * it. What is loaded stays as it was read: each index object's records are sorted by ID and
 * fixed in size, so its decrypted body is searched in place (through a small directory by the
 * ID's first bits) and opening a repository costs a decrypt and one checking pass, not a hash
 * table of millions. Blobs this process adds go into a hash table of their own (IDs are keyed
 * MACs: their first bytes are already a good hash). One mutex guards it all, because a backup's
 * reader thread looks up the parent's trees while its writer thread adds blobs.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#define IX_VERSION   2
#define IX_BAD(what) cv_fail(CV_ECORRUPT, "index: %s", what)

enum cv_err cv_pack_index_init(struct cv_pack_index *ix)
{
    memset(ix, 0, sizeof(*ix));
    pthread_mutex_init(&ix->lock, NULL);
    return CV_OK;
}

static void run_free(struct cv_ix_run *r)
{
    cv_buf_free(&r->body);
    cv_free(r->dir);
}

void cv_pack_index_free(struct cv_pack_index *ix)
{
    for (size_t i = 0; i < ix->nruns; i++)
        run_free(&ix->runs[i]);
    cv_free(ix->runs);
    cv_free(ix->packs);
    cv_free(ix->blocks);
    cv_free(ix->entries);
    cv_free(ix->slots);
    pthread_mutex_destroy(&ix->lock);
    memset(ix, 0, sizeof(*ix));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The first 32 bits of an ID, as a number (records sort by them first). */
static uint32_t id_top(const uint8_t *id)
{
    return (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3];
}

/* Make room for `more` elements in an array of `size`-byte elements; it grows by a quarter at
 * a time (large reallocs remap pages rather than copy), or exactly as asked. */
static enum cv_err reserve(void **arr, size_t n, size_t more, size_t *cap, size_t size)
{
    size_t ncap;
    void *p;

    if (n + more <= *cap)
        return CV_OK;
    if (n + more >= UINT32_MAX - 1)
        return cv_fail(CV_ETOOBIG, "the index is full (%zu elements)", n);
    ncap = *cap ? *cap + *cap / 4 : 256;
    if (ncap < n + more)
        ncap = n + more;
    p = cv_reallocarray(*arr, ncap, size);
    if (!p)
        return cv_fail(CV_ENOMEM, "out of memory for the index (%zu elements)", n);
    *arr = p;
    *cap = ncap;
    return CV_OK;
}

/* ---- this process's blobs: a hash table ---------------------------------------------------------
 */
static size_t id_slot(const uint8_t *id, size_t nslots)
{
    uint64_t h;

    memcpy(&h, id, sizeof(h));
    return (size_t)(h & (nslots - 1));
}

static size_t find_slot(const struct cv_pack_index *ix, const uint8_t *id)
{
    size_t i = id_slot(id, ix->nslots);

    while (ix->slots[i] && memcmp(ix->entries[ix->slots[i] - 1].id, id, CV_ID_LEN) != 0)
        i = (i + 1) & (ix->nslots - 1);
    return i;
}

static enum cv_err grow_slots(struct cv_pack_index *ix)
{
    size_t n = ix->nslots ? ix->nslots * 2 : 1024;
    uint32_t *old = ix->slots;
    size_t nold = ix->nslots;

    ix->slots = cv_calloc(n, sizeof(*ix->slots));
    if (!ix->slots) {
        ix->slots = old;
        return cv_fail(CV_ENOMEM, "out of memory for the index (%zu entries)", ix->nentries);
    }
    ix->nslots = n;
    for (size_t i = 0; i < nold; i++)
        if (old[i])
            ix->slots[find_slot(ix, ix->entries[old[i] - 1].id)] = old[i];
    cv_free(old);
    return CV_OK;
}

/* ---- loaded runs
 * ------------------------------------------------------------------------------------ */
static const uint8_t *run_find(const struct cv_ix_run *r, const uint8_t *id)
{
    size_t lo = 0, hi = r->n;

    if (r->dir) {
        uint32_t bucket = r->bits ? id_top(id) >> (32 - r->bits) : 0;

        lo = r->dir[bucket];
        hi = r->dir[bucket + 1];
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(r->recs + mid * CV_IX_REC, id, CV_ID_LEN);

        if (c == 0)
            return r->recs + mid * CV_IX_REC;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* About four records per directory bucket. */
static enum cv_err run_index(struct cv_ix_run *r)
{
    unsigned bits = 0;
    size_t buckets, k = 0;

    while (bits < 24 && ((size_t)4 << bits) < r->n)
        bits++;
    buckets = (size_t)1 << bits;
    r->bits = bits;
    r->dir = cv_calloc(buckets + 1, sizeof(*r->dir));
    if (!r->dir)
        return cv_fail(CV_ENOMEM, "out of memory for the index");
    for (size_t b = 0; b < buckets; b++) {
        while (k < r->n && (bits ? id_top(r->recs + k * CV_IX_REC) >> (32 - bits) : 0) < b)
            k++;
        r->dir[b] = (uint32_t)k;
    }
    r->dir[buckets] = (uint32_t)r->n;
    return CV_OK;
}

/* Look `id` up anywhere; call with the lock held. Fills `e` (block made global). */
static bool find_locked(const struct cv_pack_index *ix, const uint8_t *id, struct cv_ix_entry *e)
{
    if (ix->nslots && ix->slots[find_slot(ix, id)]) {
        *e = ix->entries[ix->slots[find_slot(ix, id)] - 1];
        return true;
    }
    for (size_t i = 0; i < ix->nruns; i++) {
        const uint8_t *rec = run_find(&ix->runs[i], id);

        if (rec) {
            memcpy(e->id, rec, CV_ID_LEN);
            e->block = ix->runs[i].block_base + le32(rec + CV_ID_LEN);
            e->off = le32(rec + CV_ID_LEN + 4);
            e->len = le32(rec + CV_ID_LEN + 8);
            return true;
        }
    }
    return false;
}

bool cv_pack_index_has(struct cv_pack_index *ix, const uint8_t id[CV_ID_LEN])
{
    struct cv_ix_entry e;
    bool found;

    pthread_mutex_lock(&ix->lock);
    found = find_locked(ix, id, &e);
    pthread_mutex_unlock(&ix->lock);
    return found;
}

/* Is entry `e` (found with find_locked) in a condemned pack? Call with the lock held. */
static bool condemned_locked(const struct cv_pack_index *ix, const struct cv_ix_entry *e)
{
    const struct cv_ix_block *b = &ix->blocks[e->block];

    return b->pack != CV_IX_UNASSIGNED && ix->packs[b->pack].condemned;
}

bool cv_pack_index_usable(struct cv_pack_index *ix, const uint8_t id[CV_ID_LEN], uint32_t *pack)
{
    struct cv_ix_entry e;
    bool found;

    pthread_mutex_lock(&ix->lock);
    found = find_locked(ix, id, &e) && !condemned_locked(ix, &e);
    *pack = found ? ix->blocks[e.block].pack : CV_IX_UNASSIGNED;
    pthread_mutex_unlock(&ix->lock);
    return found;
}

void cv_pack_index_condemn(struct cv_pack_index *ix, const uint8_t name[32])
{
    pthread_mutex_lock(&ix->lock);
    for (size_t i = 0; i < ix->npacks; i++)
        if (memcmp(ix->packs[i].name, name, 32) == 0)
            ix->packs[i].condemned = true;
    pthread_mutex_unlock(&ix->lock);
}

bool cv_pack_index_locate(struct cv_pack_index *ix, const uint8_t id[CV_ID_LEN],
                          struct cv_blob_loc *loc)
{
    const struct cv_ix_block *b;
    struct cv_ix_entry e;
    bool found;

    pthread_mutex_lock(&ix->lock);
    found = find_locked(ix, id, &e);
    if (found) {
        b = &ix->blocks[e.block];
        loc->block = e.block;
        loc->pack_no = b->pack;
        if (b->pack != CV_IX_UNASSIGNED)
            memcpy(loc->pack, ix->packs[b->pack].name, 32);
        loc->offset = b->offset;
        loc->stored = b->stored;
        loc->raw = b->raw;
        loc->kind = b->kind;
        loc->off = e.off;
        loc->len = e.len;
    }
    pthread_mutex_unlock(&ix->lock);
    return found && loc->pack_no != CV_IX_UNASSIGNED;
}

size_t cv_pack_index_count(struct cv_pack_index *ix)
{
    return ix->nrun_entries + ix->nentries;
}

void cv_pack_index_entry(struct cv_pack_index *ix, size_t i, struct cv_ix_entry *out)
{
    for (size_t r = 0; r < ix->nruns; r++) {
        const uint8_t *rec;

        if (i >= ix->runs[r].n) {
            i -= ix->runs[r].n;
            continue;
        }
        rec = ix->runs[r].recs + i * CV_IX_REC;
        memcpy(out->id, rec, CV_ID_LEN);
        out->block = ix->runs[r].block_base + le32(rec + CV_ID_LEN);
        out->off = le32(rec + CV_ID_LEN + 4);
        out->len = le32(rec + CV_ID_LEN + 8);
        return;
    }
    *out = ix->entries[i];
}

enum cv_err cv_pack_index_all_entries(struct cv_pack_index *ix, struct cv_ix_entry **out, size_t *n)
{
    struct cv_ix_entry *all;
    size_t k = 0;

    pthread_mutex_lock(&ix->lock);
    *n = ix->nrun_entries + ix->nentries;
    all = cv_calloc(*n ? *n : 1, sizeof(*all));
    for (size_t r = 0; all && r < ix->nruns; r++) {
        for (size_t i = 0; i < ix->runs[r].n; i++, k++) {
            const uint8_t *rec = ix->runs[r].recs + i * CV_IX_REC;

            memcpy(all[k].id, rec, CV_ID_LEN);
            all[k].block = ix->runs[r].block_base + le32(rec + CV_ID_LEN);
            all[k].off = le32(rec + CV_ID_LEN + 4);
            all[k].len = le32(rec + CV_ID_LEN + 8);
        }
    }
    if (all && ix->nentries)
        memcpy(all + k, ix->entries, ix->nentries * sizeof(*all));
    pthread_mutex_unlock(&ix->lock);
    *out = all;
    return all ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
}

/* ---- adding
 * ------------------------------------------------------------------------------------------- */
enum cv_err cv_pack_index_add_pack(struct cv_pack_index *ix, const uint8_t name[32], uint32_t *no)
{
    enum cv_err err;

    pthread_mutex_lock(&ix->lock);
    err = reserve((void **)&ix->packs, ix->npacks, 1, &ix->cap_packs, sizeof(*ix->packs));
    if (!err) {
        memcpy(ix->packs[ix->npacks].name, name, 32);
        ix->packs[ix->npacks].size = 0;
        ix->packs[ix->npacks].condemned = false;
        *no = (uint32_t)ix->npacks++;
    }
    pthread_mutex_unlock(&ix->lock);
    return err;
}

enum cv_err cv_pack_index_add_block(struct cv_pack_index *ix, uint8_t kind, uint32_t *no)
{
    enum cv_err err;

    pthread_mutex_lock(&ix->lock);
    err = reserve((void **)&ix->blocks, ix->nblocks, 1, &ix->cap_blocks, sizeof(*ix->blocks));
    if (!err) {
        struct cv_ix_block *b = &ix->blocks[ix->nblocks];

        memset(b, 0, sizeof(*b));
        b->pack = CV_IX_UNASSIGNED;
        b->kind = kind;
        *no = (uint32_t)ix->nblocks++;
    }
    pthread_mutex_unlock(&ix->lock);
    return err;
}

void cv_pack_index_set_block(struct cv_pack_index *ix, uint32_t block, uint32_t pack,
                             uint32_t offset, uint32_t stored, uint32_t raw)
{
    pthread_mutex_lock(&ix->lock);
    ix->blocks[block].pack = pack;
    ix->blocks[block].offset = offset;
    ix->blocks[block].stored = stored;
    ix->blocks[block].raw = raw;
    pthread_mutex_unlock(&ix->lock);
}

void cv_pack_index_set_pack_size(struct cv_pack_index *ix, uint32_t pack, uint64_t size)
{
    pthread_mutex_lock(&ix->lock);
    ix->packs[pack].size = size;
    pthread_mutex_unlock(&ix->lock);
}

enum cv_err cv_pack_index_add_entry(struct cv_pack_index *ix, const uint8_t id[CV_ID_LEN],
                                    uint32_t block, uint32_t off, uint32_t len, bool *added)
{
    struct cv_ix_entry *e, found;
    enum cv_err err = CV_OK;

    *added = false;
    pthread_mutex_lock(&ix->lock);
    if (find_locked(ix, id, &found) && !condemned_locked(ix, &found))
        goto out_unlock; /* (a condemned copy is shadowed by the new one, found first) */
    if ((ix->nentries + 1) * 10 > ix->nslots * 7 && (err = grow_slots(ix)) != CV_OK)
        goto out_unlock; /* at most 70% full: a few probes per lookup, 4 bytes per slot */
    err = reserve((void **)&ix->entries, ix->nentries, 1, &ix->cap_entries, sizeof(*ix->entries));
    if (err)
        goto out_unlock;
    e = &ix->entries[ix->nentries];
    memcpy(e->id, id, CV_ID_LEN);
    e->block = block;
    e->off = off;
    e->len = len;
    ix->slots[find_slot(ix, id)] = (uint32_t)++ix->nentries;
    *added = true;
out_unlock:
    pthread_mutex_unlock(&ix->lock);
    return err;
}

/* ---- index objects
 * ------------------------------------------------------------------------------------ */
/* What an index body holds, checked: its tables, and where its records start. */
struct ix_parsed {
    uint64_t npacks, nblocks, nrecs;
    const uint8_t *packs, *blocks, *recs;
    size_t packs_len, blocks_len;
    uint32_t *raws; /* raw size of each block */
};

static enum cv_err parse_packs(struct cv_rd *r, struct ix_parsed *ip, uint64_t **sizes)
{
    const uint8_t *name;

    if (!cv_rd_varint_max(r, cv_rd_left(r) / 33, &ip->npacks))
        return IX_BAD("bad pack count");
    *sizes = cv_calloc(ip->npacks ? ip->npacks : 1, sizeof(**sizes));
    if (!*sizes)
        return cv_fail(CV_ENOMEM, "out of memory");
    ip->packs = r->p;
    for (uint64_t i = 0; i < ip->npacks; i++)
        if (!cv_rd_bytes(r, 32, &name) || !cv_rd_varint_max(r, 1ull << 32, &(*sizes)[i]))
            return IX_BAD("truncated pack table");
    ip->packs_len = (size_t)(r->p - ip->packs);
    return CV_OK;
}

static enum cv_err parse_blocks(struct cv_rd *r, struct ix_parsed *ip, const uint64_t *sizes)
{
    if (!cv_rd_varint_max(r, cv_rd_left(r) / 5, &ip->nblocks))
        return IX_BAD("bad block count");
    ip->raws = cv_calloc(ip->nblocks ? ip->nblocks : 1, sizeof(*ip->raws));
    if (!ip->raws)
        return cv_fail(CV_ENOMEM, "out of memory");
    ip->blocks = r->p;
    for (uint64_t i = 0; i < ip->nblocks; i++) {
        uint64_t pack, off, stored, raw;
        uint8_t kind;

        if (!ip->npacks || !cv_rd_varint_max(r, ip->npacks - 1, &pack) ||
            !cv_rd_varint_max(r, UINT32_MAX, &off) ||
            !cv_rd_varint_max(r, CV_BLOCK_STORED_MAX, &stored) ||
            !cv_rd_varint_max(r, CV_BLOCK_RAW_MAX, &raw) || !cv_rd_u8(r, &kind) ||
            kind > CV_BLOB_DITTO)
            return IX_BAD("bad block table");
        if (off < CV_PACK_HEADER || off + stored > sizes[pack])
            return IX_BAD("a block lies outside its pack");
        ip->raws[i] = (uint32_t)raw;
    }
    ip->blocks_len = (size_t)(r->p - ip->blocks);
    return CV_OK;
}

static enum cv_err parse_recs(struct cv_rd *r, struct ix_parsed *ip)
{
    const uint8_t *prev = NULL;

    if (!cv_rd_varint_max(r, cv_rd_left(r) / CV_IX_REC, &ip->nrecs) ||
        cv_rd_left(r) != ip->nrecs * CV_IX_REC)
        return IX_BAD("bad blob table size");
    ip->recs = r->p;
    for (uint64_t i = 0; i < ip->nrecs; i++) {
        const uint8_t *rec = ip->recs + i * CV_IX_REC;
        uint32_t block = le32(rec + CV_ID_LEN), off = le32(rec + CV_ID_LEN + 4);
        uint32_t len = le32(rec + CV_ID_LEN + 8);

        if (prev && memcmp(prev, rec, CV_ID_LEN) >= 0)
            return IX_BAD("blobs out of order or repeated");
        if (block >= ip->nblocks || (uint64_t)off + len > ip->raws[block])
            return IX_BAD("a blob lies outside its block");
        prev = rec;
    }
    return CV_OK;
}

/* Check a whole index body without adding anything. */
static enum cv_err parse_body(const uint8_t *p, size_t n, struct ix_parsed *ip)
{
    struct cv_rd r;
    uint64_t *sizes = NULL;
    uint8_t version;
    enum cv_err err;

    memset(ip, 0, sizeof(*ip));
    cv_rd_init(&r, p, n);
    if (!cv_rd_u8(&r, &version) || version != IX_VERSION)
        return cv_fail(CV_EUNSUPPORTED, "index: unknown version");
    err = parse_packs(&r, ip, &sizes);
    if (!err)
        err = parse_blocks(&r, ip, sizes);
    if (!err)
        err = parse_recs(&r, ip);
    cv_free(sizes);
    return err;
}

/* Add the checked tables of `ip`; call with the lock held. [out] the first block's number. */
static enum cv_err add_tables(struct cv_pack_index *ix, const struct ix_parsed *ip, size_t *base)
{
    size_t pack_base = ix->npacks;
    struct cv_rd r;
    enum cv_err err;

    *base = ix->nblocks;
    err = reserve((void **)&ix->packs, ix->npacks, ip->npacks, &ix->cap_packs, sizeof(*ix->packs));
    if (!err)
        err = reserve((void **)&ix->blocks, ix->nblocks, ip->nblocks, &ix->cap_blocks,
                      sizeof(*ix->blocks));
    if (err)
        return err;
    cv_rd_init(&r, ip->packs, ip->packs_len);
    for (uint64_t i = 0; i < ip->npacks; i++) {
        struct cv_ix_pack *pk = &ix->packs[ix->npacks++];
        const uint8_t *name;

        cv_rd_bytes(&r, 32, &name); /* checked by parse_body */
        memcpy(pk->name, name, 32);
        cv_rd_varint(&r, &pk->size);
        pk->condemned = false;
    }
    cv_rd_init(&r, ip->blocks, ip->blocks_len);
    for (uint64_t i = 0; i < ip->nblocks; i++) {
        struct cv_ix_block *b = &ix->blocks[ix->nblocks++];
        uint64_t v[4];

        for (unsigned k = 0; k < 4; k++)
            cv_rd_varint(&r, &v[k]);
        cv_rd_u8(&r, &b->kind);
        b->pack = (uint32_t)(pack_base + v[0]);
        b->offset = (uint32_t)v[1];
        b->stored = (uint32_t)v[2];
        b->raw = (uint32_t)v[3];
    }
    return CV_OK;
}

enum cv_err cv_pack_index_adopt(struct cv_pack_index *ix, struct cv_buf *body, size_t offset)
{
    struct ix_parsed ip;
    struct cv_ix_run run;
    size_t base;
    enum cv_err err = offset > body->len ? cv_fail(CV_EINVAL, "index: no body")
                                         : parse_body((const uint8_t *)body->data + offset,
                                                      body->len - offset, &ip);

    cv_free(ip.raws);
    if (err)
        return err;
    memset(&run, 0, sizeof(run));
    run.recs = ip.recs;
    run.n = (size_t)ip.nrecs;
    err = run_index(&run);
    pthread_mutex_lock(&ix->lock);
    if (!err)
        err = reserve((void **)&ix->runs, ix->nruns, 1, &ix->cap_runs, sizeof(*ix->runs));
    if (!err)
        err = add_tables(ix, &ip, &base);
    if (!err) {
        run.block_base = (uint32_t)base;
        run.body = *body; /* the records stay where they are */
        cv_buf_init(body, body->max);
        ix->runs[ix->nruns++] = run;
        ix->nrun_entries += run.n;
    } else {
        cv_free(run.dir);
    }
    pthread_mutex_unlock(&ix->lock);
    return err;
}

enum cv_err cv_pack_index_decode(struct cv_pack_index *ix, const uint8_t *p, size_t n)
{
    struct cv_buf copy = CV_BUF_INIT(n + 1);
    enum cv_err err = cv_buf_append(&copy, p, n);

    if (!err)
        err = cv_pack_index_adopt(ix, &copy, 0);
    cv_buf_free(&copy);
    return err;
}

/* ---- writing index bodies
 * --------------------------------------------------------------------------- */
static enum cv_err put_tables(struct cv_pack_index *ix, size_t p0, size_t b0, struct cv_buf *out)
{
    uint8_t version = IX_VERSION;
    enum cv_err err = cv_buf_append(out, &version, 1);

    if (!err)
        err = cv_put_varint(out, ix->npacks - p0);
    for (size_t i = p0; i < ix->npacks && !err; i++) {
        err = cv_buf_append(out, ix->packs[i].name, 32);
        if (!err)
            err = cv_put_varint(out, ix->packs[i].size);
    }
    if (!err)
        err = cv_put_varint(out, ix->nblocks - b0);
    for (size_t i = b0; i < ix->nblocks && !err; i++) {
        const struct cv_ix_block *b = &ix->blocks[i];

        if (b->pack == CV_IX_UNASSIGNED || b->pack < p0)
            return cv_fail(CV_EINVAL, "index: block %zu is not in a written pack", i);
        err = cv_put_varint(out, b->pack - p0);
        if (!err)
            err = cv_put_varint(out, b->offset);
        if (!err)
            err = cv_put_varint(out, b->stored);
        if (!err)
            err = cv_put_varint(out, b->raw);
        if (!err)
            err = cv_buf_append(out, &b->kind, 1);
    }
    return err;
}

static enum cv_err put_rec(struct cv_buf *out, const uint8_t *id, uint32_t block, uint32_t off,
                           uint32_t len)
{
    uint8_t rec[CV_IX_REC];

    memcpy(rec, id, CV_ID_LEN);
    put_le32(rec + CV_ID_LEN, block);
    put_le32(rec + CV_ID_LEN + 4, off);
    put_le32(rec + CV_ID_LEN + 8, len);
    return cv_buf_append(out, rec, sizeof(rec));
}

static const struct cv_pack_index
    *sort_ix; /* qsort has no context argument; callers hold ix->lock */

static int by_entry_id(const void *a, const void *b)
{
    return memcmp(sort_ix->entries[*(const uint32_t *)a].id,
                  sort_ix->entries[*(const uint32_t *)b].id, CV_ID_LEN);
}

/* This process's entries [e0, nentries), in ID order. Caller frees. */
static uint32_t *sorted_entries(const struct cv_pack_index *ix, size_t e0)
{
    size_t n = ix->nentries - e0;
    uint32_t *order = cv_calloc(n ? n : 1, sizeof(*order));

    if (!order)
        return NULL;
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)(e0 + i);
    sort_ix = ix;
    qsort(order, n, sizeof(*order), by_entry_id);
    return order;
}

enum cv_err cv_pack_index_encode(struct cv_pack_index *ix, size_t p0, size_t b0, size_t e0,
                                 struct cv_buf *out)
{
    uint32_t *order;
    enum cv_err err;

    pthread_mutex_lock(&ix->lock);
    order = sorted_entries(ix, e0);
    err = order ? put_tables(ix, p0, b0, out) : cv_fail(CV_ENOMEM, "out of memory");
    if (!err)
        err = cv_put_varint(out, ix->nentries - e0);
    for (size_t i = 0; i < ix->nentries - e0 && !err; i++) {
        const struct cv_ix_entry *e = &ix->entries[order[i]];

        if (e->block < b0)
            err = cv_fail(CV_EINVAL, "index: a new blob is in an older block");
        else
            err = put_rec(out, e->id, e->block - (uint32_t)b0, e->off, e->len);
    }
    pthread_mutex_unlock(&ix->lock);
    cv_free(order);
    return err;
}

/* One source of a merge: a run, or this process's sorted entries. */
struct merge_src {
    const uint8_t *rec; /* current record of a run */
    const uint8_t *end;
    uint32_t base;
    const uint32_t *order; /* or: current of the sorted entries */
    const uint32_t *order_end;
};

static const uint8_t *src_id(const struct cv_pack_index *ix, const struct merge_src *s)
{
    return s->order ? ix->entries[*s->order].id : s->rec;
}

static void heap_down(const struct cv_pack_index *ix, struct merge_src *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        struct merge_src t;

        if (l < n && memcmp(src_id(ix, &h[l]), src_id(ix, &h[m]), CV_ID_LEN) < 0)
            m = l;
        if (l + 1 < n && memcmp(src_id(ix, &h[l + 1]), src_id(ix, &h[m]), CV_ID_LEN) < 0)
            m = l + 1;
        if (m == i)
            return;
        t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* Append the next record of the smallest source; false when it was exhausted. */
static bool src_take(const struct cv_pack_index *ix, struct merge_src *s, const uint8_t *last,
                     struct cv_buf *out, enum cv_err *err, const uint8_t **taken)
{
    const uint8_t *id = src_id(ix, s);

    *taken = id;
    if (!last || memcmp(last, id, CV_ID_LEN) != 0) { /* a blob in two objects: keep one */
        if (s->order) {
            const struct cv_ix_entry *e = &ix->entries[*s->order];

            *err = put_rec(out, e->id, e->block, e->off, e->len);
        } else {
            *err = put_rec(out, s->rec, s->base + le32(s->rec + CV_ID_LEN),
                           le32(s->rec + CV_ID_LEN + 4), le32(s->rec + CV_ID_LEN + 8));
        }
    }
    if (s->order)
        return ++s->order < s->order_end;
    s->rec += CV_IX_REC;
    return s->rec < s->end;
}

enum cv_err cv_pack_index_encode_all(struct cv_pack_index *ix, struct cv_buf *out)
{
    struct merge_src *heap;
    uint32_t *order;
    uint8_t last[CV_ID_LEN];
    size_t n = 0, count_at;
    uint64_t written = 0;
    enum cv_err err;

    pthread_mutex_lock(&ix->lock);
    order = sorted_entries(ix, 0);
    heap = cv_calloc(ix->nruns + 1, sizeof(*heap));
    err = order && heap ? put_tables(ix, 0, 0, out) : cv_fail(CV_ENOMEM, "out of memory");
    for (size_t i = 0; i < ix->nruns && !err; i++)
        if (ix->runs[i].n)
            heap[n++] =
                (struct merge_src){ix->runs[i].recs, ix->runs[i].recs + ix->runs[i].n * CV_IX_REC,
                                   ix->runs[i].block_base, NULL, NULL};
    if (!err && ix->nentries)
        heap[n++] = (struct merge_src){NULL, NULL, 0, order, order + ix->nentries};
    count_at = out->len;
    if (!err) /* the count is patched in at the end: duplicates make it smaller */
        err = cv_buf_append(out, "\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9);
    for (size_t i = n; i-- > 0;)
        heap_down(ix, heap, n, i);
    while (!err && n) {
        const uint8_t *taken;
        bool more = src_take(ix, &heap[0], written ? last : NULL, out, &err, &taken);

        if (!written || memcmp(last, taken, CV_ID_LEN) != 0)
            written++;
        memcpy(last, taken, CV_ID_LEN);
        if (!more)
            heap[0] = heap[--n];
        heap_down(ix, heap, n, 0);
    }
    if (!err) { /* a 9-byte varint with padding bytes would not be canonical: re-spell it */
        uint8_t tmp[10];
        size_t len = cv_varint_encode(tmp, written);

        memmove(out->data + count_at + len, out->data + count_at + 9, out->len - count_at - 9);
        memcpy(out->data + count_at, tmp, len);
        out->len -= 9 - len;
    }
    pthread_mutex_unlock(&ix->lock);
    cv_free(order);
    cv_free(heap);
    return err;
}

enum cv_err cv_group_by(size_t n, size_t nkeys, const uint32_t *key, uint32_t **order,
                        size_t **start)
{
    size_t *st = cv_calloc(nkeys + 2, sizeof(*st));
    uint32_t *ord = cv_calloc(n ? n : 1, sizeof(*ord));

    *order = ord;
    *start = st;
    if (!st || !ord)
        return cv_fail(CV_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        st[key[i] + 1]++;
    for (size_t k = 0; k < nkeys; k++)
        st[k + 1] += st[k];
    for (size_t i = 0; i < n; i++)
        ord[st[key[i]]++] = (uint32_t)i;
    memmove(st + 1, st, nkeys * sizeof(*st));
    st[0] = 0;
    return CV_OK;
}
