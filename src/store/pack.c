/*
 * pack.c: blobs in, blobs out. The writer gathers blobs into a data block and a tree block,
 * compresses each full block with zstd and seals it into the current pack; a full pack is
 * handed to the backend, and every few packs (and at the end) the writer makes them durable
 * and writes an index object naming them. The reader finds a blob through the index, opens its
 * block once (a small cache keeps recent blocks), and checks the blob against its ID.
 */
#include "store_int.h"

#include <sodium.h>
#include <string.h>
#include <zstd.h>

#define PACKS_PER_INDEX   8u
#define SMALL_BLOCK       (64u << 10)
#define SMALL_BLOCK_LEVEL 19

struct block_builder {
    bool open;
    uint32_t no; /* block number in the index */
    uint8_t kind;
    uint64_t count;
    struct cv_buf lens; /* varint length of each blob */
    struct cv_buf data; /* the blobs, back to back */
};

struct pack_builder {
    struct cv_buf buf;
    bool open;
    uint8_t name[32];
    uint32_t no;
};

struct cv_writer {
    struct cv_repo *repo;
    ZSTD_CCtx *cctx;
    struct block_builder blocks[3]; /* by enum cv_blob_kind */
    /* one pack at a time per blob kind: a pack holds data, trees or second copies only, so
     * that the trees of forgotten snapshots fill packs that prune can remove whole */
    struct pack_builder packs[3];
    unsigned packs_unindexed;
    size_t p0, b0, e0; /* first pack, block, entry not yet in an index object */
    struct cv_buf raw, comp;
    uint64_t stored;
    /* the packs (older than this writer) that some blob added found already stored */
    size_t p_start;
    uint8_t *deduped; /* bitmap over [0, p_start) */
};

enum cv_err cv_writer_new(struct cv_repo *repo, struct cv_writer **out)
{
    struct cv_writer *w = cv_calloc(1, sizeof(*w));
    size_t block_max = (size_t)repo->cfg.block_size + CV_CHUNK_MAX + 64;

    *out = NULL;
    if (!w || !(w->cctx = ZSTD_createCCtx())) {
        cv_free(w);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, repo->cfg.level);
    w->repo = repo;
    for (unsigned i = 0; i < CV_ARRAY_LEN(w->blocks); i++) {
        w->blocks[i].kind = (uint8_t)i;
        cv_buf_init(&w->blocks[i].lens, block_max);
        cv_buf_init(&w->blocks[i].data, block_max);
    }
    for (unsigned i = 0; i < CV_ARRAY_LEN(w->packs); i++)
        cv_buf_init(&w->packs[i].buf, (size_t)repo->cfg.pack_size + CV_BLOCK_STORED_MAX);
    cv_buf_init(&w->raw, CV_BLOCK_RAW_MAX);
    cv_buf_init(&w->comp, CV_BLOCK_STORED_MAX);
    w->p0 = repo->ix.npacks;
    w->b0 = repo->ix.nblocks;
    w->e0 = repo->ix.nentries;
    w->p_start = repo->ix.npacks;
    w->deduped = cv_calloc(w->p_start / 8 + 1, 1);
    if (!w->deduped) {
        cv_writer_free(w);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    *out = w;
    return CV_OK;
}

static enum cv_err dedup_note(struct cv_writer *w, uint32_t pack)
{
    w->deduped[pack / 8] |= (uint8_t)(1u << (pack % 8));
    return CV_OK;
}

bool cv_writer_deduped(const struct cv_writer *w, uint32_t pack)
{
    return pack < w->p_start && (w->deduped[pack / 8] & (1u << (pack % 8)));
}

void cv_writer_free(struct cv_writer *w)
{
    if (!w)
        return;
    ZSTD_freeCCtx(w->cctx);
    for (unsigned i = 0; i < CV_ARRAY_LEN(w->blocks); i++) {
        cv_buf_free(&w->blocks[i].lens);
        cv_buf_free(&w->blocks[i].data);
    }
    for (unsigned i = 0; i < CV_ARRAY_LEN(w->packs); i++)
        cv_buf_free(&w->packs[i].buf);
    cv_buf_free(&w->raw);
    cv_buf_free(&w->comp);
    cv_free(w->deduped);
    cv_free(w);
}

uint64_t cv_writer_stored_bytes(const struct cv_writer *w)
{
    return w->stored;
}

static enum cv_err open_pack(struct cv_writer *w, struct pack_builder *pb)
{
    enum cv_err err;

    randombytes_buf(pb->name, sizeof(pb->name));
    err = cv_pack_index_add_pack(&w->repo->ix, pb->name, &pb->no);
    if (err)
        return err;
    cv_buf_reset(&pb->buf);
    err = cv_buf_append(&pb->buf, CV_PACK_MAGIC, CV_PACK_HEADER);
    pb->open = !err;
    return err;
}

static enum cv_err put_pack(struct cv_writer *w, struct pack_builder *pb)
{
    struct cv_backend *be = w->repo->be;
    char name[65];
    enum cv_err err;

    cv_hex_encode(pb->name, sizeof(pb->name), name);
    err = be->ops->put(be, CV_OBJ_PACK, name, pb->buf.data, pb->buf.len);
    if (err)
        return err;
    cv_pack_index_set_pack_size(&w->repo->ix, pb->no, pb->buf.len);
    w->stored += pb->buf.len;
    pb->open = false;
    w->packs_unindexed++;
    return CV_OK;
}

/* raw = kind | varint count | lengths | blobs */
static enum cv_err assemble_raw(struct cv_writer *w, const struct block_builder *b)
{
    enum cv_err err;

    cv_buf_reset(&w->raw);
    err = cv_buf_append(&w->raw, &b->kind, 1);
    if (!err)
        err = cv_put_varint(&w->raw, b->count);
    if (!err)
        err = cv_buf_append(&w->raw, b->lens.data, b->lens.len);
    if (!err)
        err = cv_buf_append(&w->raw, b->data.data, b->data.len);
    return err;
}

/* Compress and seal a block into the current pack; hand the pack over when it is full. */
static enum cv_err finish_block(struct cv_writer *w, struct block_builder *b)
{
    struct pack_builder *pb = &w->packs[b->kind];
    uint8_t ad[40], lenbytes[4];
    uint64_t offset;
    uint32_t len;
    size_t clen;
    enum cv_err err = assemble_raw(w, b);

    if (!err && !pb->open)
        err = open_pack(w, pb);
    if (!err)
        err = cv_buf_reserve(&w->comp, ZSTD_compressBound(w->raw.len));
    if (err)
        return err;
    /* a small block (the last of a backup that changed little: every 15 minutes in the daemon)
     * is compressed harder; at this size that costs milliseconds */
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel,
                           w->raw.len < SMALL_BLOCK ? SMALL_BLOCK_LEVEL : w->repo->cfg.level);
    clen = ZSTD_compress2(w->cctx, w->comp.data, w->comp.cap, w->raw.data, w->raw.len);
    if (ZSTD_isError(clen))
        return cv_fail(CV_EIO, "cannot compress a block: %s", ZSTD_getErrorName(clen));
    offset = pb->buf.len;
    memcpy(ad, pb->name, 32);
    for (unsigned i = 0; i < 8; i++)
        ad[32 + i] = (uint8_t)(offset >> (8 * i));
    len = (uint32_t)(clen + CV_SEAL_OVERHEAD);
    for (unsigned i = 0; i < 4; i++)
        lenbytes[i] = (uint8_t)(len >> (8 * i));
    err = cv_buf_append(&pb->buf, lenbytes, 4);
    if (!err)
        err = cv_seal(w->repo->keys, ad, sizeof(ad), w->comp.data, clen, &pb->buf);
    if (err)
        return err;
    cv_pack_index_set_block(&w->repo->ix, b->no, pb->no, (uint32_t)offset, len + 4,
                            (uint32_t)w->raw.len);
    b->open = false;
    b->count = 0;
    cv_buf_reset(&b->lens);
    cv_buf_reset(&b->data);
    if (pb->buf.len >= w->repo->cfg.pack_size)
        err = put_pack(w, pb);
    return err;
}

enum cv_err cv_writer_add(struct cv_writer *w, enum cv_blob_kind kind, const uint8_t id[32],
                          const void *p, size_t n, bool *stored)
{
    struct block_builder *b = &w->blocks[kind];
    uint8_t key[CV_ID_LEN];
    uint32_t pack;
    enum cv_err err = CV_OK;

    *stored = false;
    if (n > CV_CHUNK_MAX)
        return cv_fail(CV_EINVAL, "a blob of %zu bytes is larger than %u", n, CV_CHUNK_MAX);
    if (kind == CV_BLOB_DITTO) {
        cv_ditto_key(w->repo->keys, id, key);
        id = key;
    }
    if (cv_pack_index_usable(&w->repo->ix, id, &pack)) {
        if (pack != CV_IX_UNASSIGNED && pack < w->p_start)
            err = dedup_note(w, pack); /* relies on an older pack (see cv_prune_check) */
        return err;
    }
    if (!b->open) {
        err = cv_pack_index_add_block(&w->repo->ix, b->kind, &b->no);
        if (err)
            return err;
        b->open = true;
    }
    err = cv_pack_index_add_entry(&w->repo->ix, id, b->no, (uint32_t)b->data.len, (uint32_t)n,
                                  stored);
    if (!err && *stored) {
        err = cv_buf_append(&b->data, p, n);
        if (!err)
            err = cv_put_varint(&b->lens, n);
        b->count++;
    }
    if (!err && b->data.len >= w->repo->cfg.block_size)
        err = finish_block(w, b);
    if (!err && w->packs_unindexed >= PACKS_PER_INDEX)
        err = cv_writer_flush(w);
    return err;
}

static enum cv_err store_tree_blob(struct cv_writer *w, const void *p, size_t n, bool ditto,
                                   uint8_t id[32], uint64_t *raw, uint64_t *blobs)
{
    bool stored;
    enum cv_err err;

    cv_blob_id(w->repo->keys, p, n, id);
    err = cv_writer_add(w, CV_BLOB_TREE, id, p, n, &stored);
    if (!err && stored) {
        *raw += n;
        (*blobs)++;
    }
    if (!err && ditto)
        err = cv_writer_add(w, CV_BLOB_DITTO, id, p, n, &stored);
    if (!err && ditto && stored)
        *raw += n;
    return err;
}

enum cv_err cv_tree_store(struct cv_writer *w, const struct cv_buf *l, bool ditto,
                          struct cv_buf *scratch, uint8_t id[CV_ID_LEN], uint64_t *raw,
                          uint64_t *blobs)
{
    uint8_t version = CV_TREE_VERSION, parts = CV_TREE_PARTS;
    enum cv_err err;

    cv_buf_reset(scratch);
    if (l->len < CV_TREE_PART) {
        err = cv_buf_append(scratch, &version, 1);
        if (!err)
            err = cv_buf_append(scratch, l->data, l->len);
        return err ? err : store_tree_blob(w, scratch->data, scratch->len, ditto, id, raw, blobs);
    }
    err = cv_buf_append(scratch, &parts, 1);
    for (size_t off = 0; off < l->len && !err; off += CV_TREE_PART) {
        size_t n = l->len - off < CV_TREE_PART ? l->len - off : CV_TREE_PART;
        uint8_t part[CV_ID_LEN];

        err = store_tree_blob(w, l->data + off, n, ditto, part, raw, blobs);
        if (!err)
            err = cv_buf_append(scratch, part, CV_ID_LEN);
    }
    return err ? err : store_tree_blob(w, scratch->data, scratch->len, ditto, id, raw, blobs);
}

static enum cv_err write_index(struct cv_writer *w)
{
    struct cv_backend *be = w->repo->be;
    struct cv_buf body = CV_BUF_INIT(CV_INDEX_MAX), obj = CV_BUF_INIT(CV_INDEX_MAX + 4096);
    char name[65];
    enum cv_err err;

    cv_obj_name_random(name);
    err = cv_pack_index_encode(&w->repo->ix, w->p0, w->b0, w->e0, &body);
    if (!err)
        err = cv_object_seal(w->repo->keys, 'I', name, body.data, body.len, false, &obj);
    if (!err)
        err = be->ops->put(be, CV_OBJ_INDEX, name, obj.data, obj.len);
    if (!err)
        err = be->ops->sync(be);
    if (!err)
        err = cv_repo_note_index(w->repo, name);
    if (!err)
        w->stored += obj.len;
    cv_buf_free(&body);
    cv_buf_free(&obj);
    return err;
}

enum cv_err cv_writer_flush(struct cv_writer *w)
{
    struct cv_backend *be = w->repo->be;
    enum cv_err err = CV_OK;

    for (unsigned i = 0; i < CV_ARRAY_LEN(w->blocks) && !err; i++)
        if (w->blocks[i].open)
            err = finish_block(w, &w->blocks[i]);
    for (unsigned i = 0; i < CV_ARRAY_LEN(w->packs) && !err; i++)
        if (w->packs[i].open)
            err = put_pack(w, &w->packs[i]);
    if (err || w->repo->ix.npacks == w->p0)
        return err;
    err = be->ops->sync(be); /* packs durable before the index that names them */
    if (!err)
        err = write_index(w);
    if (err)
        return err;
    w->p0 = w->repo->ix.npacks;
    w->b0 = w->repo->ix.nblocks;
    w->e0 = w->repo->ix.nentries;
    w->packs_unindexed = 0;
    return CV_OK;
}

/* ---- reading ------------------------------------------------------------------------------- */
enum cv_err cv_block_parse(const uint8_t *raw, size_t n, struct cv_block_view *v)
{
    struct cv_rd r;
    uint64_t total = 0;

    memset(v, 0, sizeof(*v));
    cv_rd_init(&r, raw, n);
    if (!cv_rd_u8(&r, &v->kind) || v->kind > CV_BLOB_DITTO ||
        !cv_rd_varint_max(&r, cv_rd_left(&r), &v->count))
        return cv_fail(CV_ECORRUPT, "block: bad header");
    v->lens = r.p;
    for (uint64_t i = 0; i < v->count; i++) {
        uint64_t len;

        if (!cv_rd_varint_max(&r, CV_CHUNK_MAX, &len))
            return cv_fail(CV_ECORRUPT, "block: bad blob length");
        total += len;
    }
    v->lens_len = (size_t)(r.p - v->lens);
    if (total != cv_rd_left(&r))
        return cv_fail(CV_ECORRUPT, "block: blob lengths do not add up");
    v->payload = r.p;
    v->payload_len = cv_rd_left(&r);
    return CV_OK;
}

enum cv_err cv_block_open(const struct cv_keys *k, const uint8_t pack[32], uint64_t offset,
                          const uint8_t *stored, size_t n, struct cv_buf *scratch, ZSTD_DCtx *dctx,
                          struct cv_buf *raw)
{
    uint8_t ad[40];
    uint32_t len = 0;
    enum cv_err err;

    if (n < 4 + CV_SEAL_OVERHEAD || n > CV_BLOCK_STORED_MAX)
        return cv_fail(CV_ECORRUPT, "block: impossible size %zu", n);
    for (unsigned i = 0; i < 4; i++)
        len |= (uint32_t)stored[i] << (8 * i);
    if (len != n - 4)
        return cv_fail(CV_ECORRUPT, "block: length field says %u, index says %zu", len, n - 4);
    memcpy(ad, pack, 32);
    for (unsigned i = 0; i < 8; i++)
        ad[32 + i] = (uint8_t)(offset >> (8 * i));
    cv_buf_reset(scratch);
    err = cv_buf_reserve(scratch, n);
    if (!err)
        err = cv_unseal(k, ad, sizeof(ad), stored + 4, n - 4, (uint8_t *)scratch->data);
    if (err)
        return err;
    cv_buf_reset(raw);
    return cv_zstd_decompress_bounded(dctx, scratch->data, n - 4 - CV_SEAL_OVERHEAD,
                                      CV_BLOCK_RAW_MAX, raw);
}

struct cached_block {
    uint32_t block;  /* UINT32_MAX: empty */
    enum cv_err err; /* a damaged block stays damaged */
    uint64_t used;
    struct cv_buf raw;
    struct cv_block_view view;
};

struct cv_reader {
    struct cv_repo *repo;
    ZSTD_DCtx *dctx;
    struct cached_block *cache;
    unsigned ncache;
    uint64_t clock;
    struct cv_buf stored, scratch;
    struct cv_blob_loc last;
};

enum cv_err cv_reader_new(struct cv_repo *repo, unsigned cache_blocks, struct cv_reader **out)
{
    struct cv_reader *rd = cv_calloc(1, sizeof(*rd));

    *out = NULL;
    if (cache_blocks == 0)
        cache_blocks = 1;
    if (!rd || !(rd->cache = cv_calloc(cache_blocks, sizeof(*rd->cache))) ||
        !(rd->dctx = ZSTD_createDCtx())) {
        if (rd)
            cv_free(rd->cache);
        cv_free(rd);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    rd->repo = repo;
    rd->ncache = cache_blocks;
    for (unsigned i = 0; i < cache_blocks; i++) {
        rd->cache[i].block = UINT32_MAX;
        cv_buf_init(&rd->cache[i].raw, CV_BLOCK_RAW_MAX);
    }
    cv_buf_init(&rd->stored, CV_BLOCK_STORED_MAX);
    cv_buf_init(&rd->scratch, CV_BLOCK_STORED_MAX);
    *out = rd;
    return CV_OK;
}

void cv_reader_free(struct cv_reader *rd)
{
    if (!rd)
        return;
    for (unsigned i = 0; i < rd->ncache; i++)
        cv_buf_free(&rd->cache[i].raw);
    cv_free(rd->cache);
    cv_buf_free(&rd->stored);
    cv_buf_free(&rd->scratch);
    ZSTD_freeDCtx(rd->dctx);
    cv_free(rd);
}

const struct cv_blob_loc *cv_reader_last_loc(const struct cv_reader *rd)
{
    return &rd->last;
}

/* Read, open and parse one block into a cache slot. */
static enum cv_err load_block(struct cv_reader *rd, const struct cv_blob_loc *loc,
                              struct cached_block *c)
{
    struct cv_backend *be = rd->repo->be;
    char name[65];
    size_t got;
    enum cv_err err;

    cv_hex_encode(loc->pack, 32, name);
    cv_buf_reset(&rd->stored);
    err = cv_buf_reserve(&rd->stored, loc->stored);
    if (!err)
        err = be->ops->get(be, CV_OBJ_PACK, name, loc->offset, loc->stored, rd->stored.data, &got);
    if (!err && got != loc->stored)
        err = cv_fail(CV_ECORRUPT, "pack %s is shorter than its index says", name);
    if (!err)
        err =
            cv_block_open(rd->repo->keys, loc->pack, loc->offset, (const uint8_t *)rd->stored.data,
                          loc->stored, &rd->scratch, rd->dctx, &c->raw);
    if (!err && c->raw.len != loc->raw)
        err = cv_fail(CV_ECORRUPT, "block has %zu bytes, index says %u", c->raw.len, loc->raw);
    if (!err)
        err = cv_block_parse((const uint8_t *)c->raw.data, c->raw.len, &c->view);
    if (err)
        cv_fail_prefix(err, "pack %s, block at %u: ", name, loc->offset);
    return err;
}

static struct cached_block *cache_slot(struct cv_reader *rd, uint32_t block, bool *hit)
{
    struct cached_block *oldest = &rd->cache[0];

    for (unsigned i = 0; i < rd->ncache; i++) {
        if (rd->cache[i].block == block) {
            *hit = true;
            rd->cache[i].used = ++rd->clock;
            return &rd->cache[i];
        }
        if (rd->cache[i].used < oldest->used)
            oldest = &rd->cache[i];
    }
    *hit = false;
    oldest->block = block;
    oldest->used = ++rd->clock;
    return oldest;
}

/* The blob stored under index key `key`, checked against `id`. */
static enum cv_err read_blob_at(struct cv_reader *rd, const uint8_t key[32], const uint8_t id[32],
                                const uint8_t **p, size_t *n)
{
    struct cv_blob_loc *loc = &rd->last;
    struct cached_block *c;
    uint8_t check[CV_ID_LEN];
    char hex[65];
    bool hit;

    *p = NULL;
    *n = 0;
    cv_hex_encode(id, CV_ID_LEN, hex);
    if (!cv_pack_index_locate(&rd->repo->ix, key, loc))
        return cv_fail(CV_ENOENT, "blob %.16s is not in any index", hex);
    c = cache_slot(rd, loc->block, &hit);
    if (!hit)
        c->err = load_block(rd, loc, c);
    else if (c->err) {
        cv_hex_encode(loc->pack, 32, hex);
        return cv_fail(c->err, "pack %s, block at %u is damaged", hex, loc->offset);
    }
    if (c->err)
        return c->err;
    if ((uint64_t)loc->off + loc->len > c->view.payload_len)
        return cv_fail(CV_ECORRUPT, "blob %.16s lies outside its block", hex);
    cv_blob_id(rd->repo->keys, c->view.payload + loc->off, loc->len, check);
    if (sodium_memcmp(check, id, CV_ID_LEN) != 0)
        return cv_fail(CV_ECORRUPT, "blob %.16s does not match its ID", hex);
    *p = c->view.payload + loc->off;
    *n = loc->len;
    return CV_OK;
}

enum cv_err cv_reader_blob(struct cv_reader *rd, const uint8_t id[32], const uint8_t **p, size_t *n)
{
    struct cv_blob_loc first;
    uint8_t key[CV_ID_LEN];
    enum cv_err err = read_blob_at(rd, id, id, p, n);
    char msg[512];

    if (!err || err == CV_ENOMEM)
        return err;
    cv_strlcpy(msg, cv_errmsg(), sizeof(msg));
    first = rd->last;
    cv_ditto_key(rd->repo->keys, id, key);
    if (!cv_pack_index_has(&rd->repo->ix, key) || read_blob_at(rd, key, id, p, n) != CV_OK) {
        rd->last = first;
        return cv_fail(err, "%s", msg); /* no good second copy: the first failure tells why */
    }
    return CV_OK;
}
