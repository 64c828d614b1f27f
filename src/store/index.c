/*
 * index.c: the in-memory index (blob ID -> block -> pack) and the index objects that store
 * it. IDs are keyed MACs, so their first eight bytes are already a good hash: the table is
 * open addressing over entry numbers. One mutex guards it, because a backup's reader thread
 * looks up the parent's trees while its writer thread adds blobs. Index objects are decoded
 * in two passes (check everything, then add), so a damaged one adds nothing.
 */
#include "store_int.h"

#include <string.h>

#define IX_VERSION 1

enum cv_err cv_index_init(struct cv_index *ix)
{
    memset(ix, 0, sizeof(*ix));
    pthread_mutex_init(&ix->lock, NULL);
    return CV_OK;
}

void cv_index_free(struct cv_index *ix)
{
    cv_free(ix->packs);
    cv_free(ix->blocks);
    cv_free(ix->entries);
    cv_free(ix->slots);
    pthread_mutex_destroy(&ix->lock);
    memset(ix, 0, sizeof(*ix));
}

static size_t id_slot(const uint8_t *id, size_t nslots)
{
    uint64_t h;

    memcpy(&h, id, sizeof(h));
    return (size_t)(h & (nslots - 1));
}

/* The slot holding `id`, or the empty slot where it would go. Call with the lock held. */
static size_t find_slot(const struct cv_index *ix, const uint8_t *id)
{
    size_t i = id_slot(id, ix->nslots);

    while (ix->slots[i] && memcmp(ix->entries[ix->slots[i] - 1].id, id, CV_ID_LEN) != 0)
        i = (i + 1) & (ix->nslots - 1);
    return i;
}

static enum cv_err grow_slots(struct cv_index *ix)
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

/* Make room for one more element in an array of `size`-byte elements. */
static enum cv_err grow(void **arr, size_t n, size_t *cap, size_t size)
{
    size_t ncap;
    void *p;

    if (n < *cap)
        return CV_OK;
    if (n >= UINT32_MAX - 1)
        return cv_fail(CV_ETOOBIG, "the index is full (%zu elements)", n);
    ncap = *cap ? *cap + *cap / 2 : 256;
    p = cv_reallocarray(*arr, ncap, size);
    if (!p)
        return cv_fail(CV_ENOMEM, "out of memory for the index (%zu elements)", n);
    *arr = p;
    *cap = ncap;
    return CV_OK;
}

bool cv_index_has(struct cv_index *ix, const uint8_t id[CV_ID_LEN])
{
    bool found;

    pthread_mutex_lock(&ix->lock);
    found = ix->nslots && ix->slots[find_slot(ix, id)] != 0;
    pthread_mutex_unlock(&ix->lock);
    return found;
}

bool cv_index_locate(struct cv_index *ix, const uint8_t id[CV_ID_LEN], struct cv_blob_loc *loc)
{
    const struct cv_ix_entry *e;
    const struct cv_ix_block *b;
    uint32_t slot = 0;

    pthread_mutex_lock(&ix->lock);
    if (ix->nslots)
        slot = ix->slots[find_slot(ix, id)];
    if (slot) {
        e = &ix->entries[slot - 1];
        b = &ix->blocks[e->block];
        loc->block = e->block;
        loc->pack_no = b->pack;
        if (b->pack != CV_IX_UNASSIGNED)
            memcpy(loc->pack, ix->packs[b->pack].name, 32);
        loc->offset = b->offset;
        loc->stored = b->stored;
        loc->raw = b->raw;
        loc->kind = b->kind;
        loc->off = e->off;
        loc->len = e->len;
    }
    pthread_mutex_unlock(&ix->lock);
    return slot != 0 && loc->pack_no != CV_IX_UNASSIGNED;
}

enum cv_err cv_index_add_pack(struct cv_index *ix, const uint8_t name[32], uint32_t *no)
{
    enum cv_err err;

    pthread_mutex_lock(&ix->lock);
    err = grow((void **)&ix->packs, ix->npacks, &ix->cap_packs, sizeof(*ix->packs));
    if (!err) {
        memcpy(ix->packs[ix->npacks].name, name, 32);
        ix->packs[ix->npacks].size = 0;
        *no = (uint32_t)ix->npacks++;
    }
    pthread_mutex_unlock(&ix->lock);
    return err;
}

enum cv_err cv_index_add_block(struct cv_index *ix, uint8_t kind, uint32_t *no)
{
    enum cv_err err;

    pthread_mutex_lock(&ix->lock);
    err = grow((void **)&ix->blocks, ix->nblocks, &ix->cap_blocks, sizeof(*ix->blocks));
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

void cv_index_set_block(struct cv_index *ix, uint32_t block, uint32_t pack, uint32_t offset,
                        uint32_t stored, uint32_t raw)
{
    pthread_mutex_lock(&ix->lock);
    ix->blocks[block].pack = pack;
    ix->blocks[block].offset = offset;
    ix->blocks[block].stored = stored;
    ix->blocks[block].raw = raw;
    pthread_mutex_unlock(&ix->lock);
}

void cv_index_set_pack_size(struct cv_index *ix, uint32_t pack, uint64_t size)
{
    pthread_mutex_lock(&ix->lock);
    ix->packs[pack].size = size;
    pthread_mutex_unlock(&ix->lock);
}

/* Add an entry unless known; call with the lock held. */
static enum cv_err add_entry_locked(struct cv_index *ix, const uint8_t *id, uint32_t block,
                                    uint32_t off, uint32_t len, bool *added)
{
    struct cv_ix_entry *e;
    enum cv_err err;
    size_t slot;

    *added = false;
    if ((ix->nentries + 1) * 2 > ix->nslots && (err = grow_slots(ix)) != CV_OK)
        return err;
    slot = find_slot(ix, id);
    if (ix->slots[slot])
        return CV_OK;
    err = grow((void **)&ix->entries, ix->nentries, &ix->cap_entries, sizeof(*ix->entries));
    if (err)
        return err;
    e = &ix->entries[ix->nentries];
    memcpy(e->id, id, CV_ID_LEN);
    e->block = block;
    e->off = off;
    e->len = len;
    ix->slots[slot] = (uint32_t)++ix->nentries;
    *added = true;
    return CV_OK;
}

enum cv_err cv_index_add_entry(struct cv_index *ix, const uint8_t id[CV_ID_LEN], uint32_t block,
                               uint32_t off, uint32_t len, bool *added)
{
    enum cv_err err;

    pthread_mutex_lock(&ix->lock);
    err = add_entry_locked(ix, id, block, off, len, added);
    pthread_mutex_unlock(&ix->lock);
    return err;
}

/* ---- index objects ----------------------------------------------------------------------------
 */
struct ix_counts {
    uint64_t packs, blocks, entries;
};

#define IX_BAD(what) cv_fail(CV_ECORRUPT, "index: %s", what)

/* One pass over an index body; with ix == NULL it only checks, else it adds. */
static enum cv_err index_pass(struct cv_index *ix, const uint8_t *p, size_t n, struct ix_counts *c)
{
    struct cv_rd r;
    uint8_t version;
    uint64_t *sizes = NULL, *raws = NULL;
    size_t base_pack = ix ? ix->npacks : 0, base_block = ix ? ix->nblocks : 0;
    enum cv_err err = CV_OK;

    cv_rd_init(&r, p, n);
    if (!cv_rd_u8(&r, &version) || version != IX_VERSION)
        return cv_fail(CV_EUNSUPPORTED, "index: unknown version");
    if (!cv_rd_varint_max(&r, cv_rd_left(&r) / 33, &c->packs))
        return IX_BAD("bad pack count");
    sizes = cv_calloc(c->packs ? c->packs : 1, sizeof(*sizes));
    if (!sizes)
        return cv_fail(CV_ENOMEM, "out of memory");
    for (uint64_t i = 0; i < c->packs && !err; i++) {
        const uint8_t *name;
        uint32_t no;

        if (!cv_rd_bytes(&r, 32, &name) || !cv_rd_varint_max(&r, 1ull << 32, &sizes[i]))
            err = IX_BAD("truncated pack table");
        else if (ix && (err = cv_index_add_pack(ix, name, &no)) == CV_OK)
            ix->packs[no].size = sizes[i];
    }
    if (!err && !cv_rd_varint_max(&r, cv_rd_left(&r) / 5, &c->blocks))
        err = IX_BAD("bad block count");
    if (!err && !(raws = cv_calloc(c->blocks ? c->blocks : 1, sizeof(*raws))))
        err = cv_fail(CV_ENOMEM, "out of memory");
    for (uint64_t i = 0; i < c->blocks && !err; i++) {
        uint64_t pack, off, stored, raw;
        uint8_t kind;
        uint32_t no;

        if (!c->packs || !cv_rd_varint_max(&r, c->packs - 1, &pack) ||
            !cv_rd_varint_max(&r, UINT32_MAX, &off) ||
            !cv_rd_varint_max(&r, CV_BLOCK_STORED_MAX, &stored) ||
            !cv_rd_varint_max(&r, CV_BLOCK_RAW_MAX, &raw) || !cv_rd_u8(&r, &kind) ||
            kind > CV_BLOB_DITTO) {
            err = IX_BAD("bad block table");
            break;
        }
        if (off < CV_PACK_HEADER || off + stored > sizes[pack]) {
            err = IX_BAD("a block lies outside its pack");
            break;
        }
        raws[i] = raw;
        if (ix && (err = cv_index_add_block(ix, kind, &no)) == CV_OK)
            cv_index_set_block(ix, no, (uint32_t)(base_pack + pack), (uint32_t)off,
                               (uint32_t)stored, (uint32_t)raw);
    }
    if (!err && !cv_rd_varint_max(&r, cv_rd_left(&r) / 35, &c->entries))
        err = IX_BAD("bad blob count");
    for (uint64_t i = 0; i < c->entries && !err; i++) {
        const uint8_t *id;
        uint64_t block, off, len;
        bool added;

        if (!cv_rd_bytes(&r, CV_ID_LEN, &id) || !c->blocks ||
            !cv_rd_varint_max(&r, c->blocks - 1, &block) ||
            !cv_rd_varint_max(&r, CV_BLOCK_RAW_MAX, &off) ||
            !cv_rd_varint_max(&r, CV_BLOCK_RAW_MAX - off, &len))
            err = IX_BAD("bad blob table");
        else if (off + len > raws[block])
            err = IX_BAD("a blob lies outside its block");
        else if (ix)
            err = cv_index_add_entry(ix, id, (uint32_t)(base_block + block), (uint32_t)off,
                                     (uint32_t)len, &added);
    }
    if (!err && cv_rd_left(&r) != 0)
        err = IX_BAD("trailing bytes");
    cv_free(sizes);
    cv_free(raws);
    return err;
}

enum cv_err cv_index_decode(struct cv_index *ix, const uint8_t *p, size_t n)
{
    struct ix_counts c;
    enum cv_err err = index_pass(NULL, p, n, &c);

    return err ? err : index_pass(ix, p, n, &c);
}

enum cv_err cv_index_encode(struct cv_index *ix, size_t p0, size_t b0, size_t e0,
                            struct cv_buf *out)
{
    enum cv_err err = CV_OK;
    uint8_t version = IX_VERSION;

    pthread_mutex_lock(&ix->lock);
    err = cv_buf_append(out, &version, 1);
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

        if (b->pack == CV_IX_UNASSIGNED || b->pack < p0) {
            err = cv_fail(CV_EINVAL, "index: block %zu is not in a written pack", i);
            break;
        }
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
    if (!err)
        err = cv_put_varint(out, ix->nentries - e0);
    for (size_t i = e0; i < ix->nentries && !err; i++) {
        const struct cv_ix_entry *e = &ix->entries[i];

        if (e->block < b0) {
            err = cv_fail(CV_EINVAL, "index: blob %zu is in an older block", i);
            break;
        }
        err = cv_buf_append(out, e->id, CV_ID_LEN);
        if (!err)
            err = cv_put_varint(out, e->block - b0);
        if (!err)
            err = cv_put_varint(out, e->off);
        if (!err)
            err = cv_put_varint(out, e->len);
    }
    pthread_mutex_unlock(&ix->lock);
    return err;
}
