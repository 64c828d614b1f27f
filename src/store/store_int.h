/*
 * store_int.h: the pieces of the vault that its files share but nobody else needs: byte
 * codecs, keys and sealing, the config and key files, the in-memory index, trees, the block
 * and pack writer and reader. docs/FORMAT.md describes the bytes; this describes the code.
 */
#ifndef CHARTVAULT_STORE_INT_H
#define CHARTVAULT_STORE_INT_H

#include <chartvault/backend.h>
#include <chartvault/store.h>

#include <pthread.h>

#define CV_ID_LEN        32
#define CV_NONCE_LEN     24
#define CV_TAG_LEN       16
#define CV_SEAL_OVERHEAD (CV_NONCE_LEN + CV_TAG_LEN)

/* Limits every reader enforces on repository input. */
#define CV_CONFIG_MAX       4096u
#define CV_KEYFILE_MAX      4096u
#define CV_SNAPSHOT_MAX     (1u << 20)   /* plaintext */
#define CV_INDEX_MAX        (256u << 20) /* plaintext of one index object */
#define CV_CACHE_MAX        (4096ull << 20)
#define CV_BLOCK_RAW_MAX    (4u << 20)
#define CV_BLOCK_STORED_MAX (CV_BLOCK_RAW_MAX + (CV_BLOCK_RAW_MAX >> 7) + 4096)
#define CV_CHUNK_MAX        (1u << 20)
#define CV_NAME_MAX         255u
#define CV_INLINE_MAX       4096u /* a folder listing this small is inlined in its parent */
#define CV_TREE_DEPTH_MAX   128u
#define CV_LISTING_MAX      (256u << 20) /* one folder's listing */
#define CV_TREE_PART        (512u << 10) /* a larger listing is stored in parts of this size */
#define CV_TREE_PARTS       2            /* version byte of a listing stored in parts */
#define CV_PACK_MAGIC       "CVPACK01"
#define CV_PACK_HEADER      8u

/* Blocks hold one kind of blob. A ditto block holds second copies of the tree blobs that name
 * other tree blobs (the root and the folders above each patient), in a pack of its own, so that
 * no single damaged pack can cut a snapshot off from the files below. A ditto copy is indexed
 * under cv_ditto_key(ID) and checked against ID itself. */
enum cv_blob_kind { CV_BLOB_DATA = 0, CV_BLOB_TREE = 1, CV_BLOB_DITTO = 2 };

/* ---- idset.c: a set of blob IDs ---------------------------------------------------------------
 */
struct cv_idset {
    uint8_t (*v)[32];
    bool *used;
    size_t n, cap;
};
bool cv_idset_has(const struct cv_idset *s, const uint8_t *id);
enum cv_err cv_idset_add(struct cv_idset *s, const uint8_t *id);
void cv_idset_free(struct cv_idset *s);

/* ---- codec.c: varints and a bounded reader ------------------------------------------------ */
struct cv_rd {
    const uint8_t *p, *end;
};
static inline void cv_rd_init(struct cv_rd *r, const void *p, size_t n)
{
    r->p = p;
    r->end = r->p + n;
}
static inline size_t cv_rd_left(const struct cv_rd *r)
{
    return (size_t)(r->end - r->p);
}
bool cv_rd_u8(struct cv_rd *r, uint8_t *v);
bool cv_rd_varint(struct cv_rd *r, uint64_t *v);
bool cv_rd_varint_max(struct cv_rd *r, uint64_t max, uint64_t *v);
bool cv_rd_svarint(struct cv_rd *r, int64_t *v);
bool cv_rd_bytes(struct cv_rd *r, size_t n, const uint8_t **p);
enum cv_err cv_put_varint(struct cv_buf *b, uint64_t v);
enum cv_err cv_put_svarint(struct cv_buf *b, int64_t v);
size_t cv_varint_encode(uint8_t *out, uint64_t v); /* out needs 10 bytes */

/* ---- crypto.c: keys, sealing, IDs, the small-object envelope ------------------------------ */
struct cv_keys {
    uint8_t aead[32]; /* seals blocks and objects */
    uint8_t id[32];   /* keys blob IDs */
    uint8_t mac[32];  /* MACs the config */
};

/* Keys in locked, guarded memory; free with cv_keys_free (wipes). */
enum cv_err cv_keys_from_master(const uint8_t master[32], struct cv_keys **out);
void cv_keys_free(struct cv_keys *k);
void cv_blob_id(const struct cv_keys *k, const void *p, size_t n, uint8_t id[CV_ID_LEN]);
/* The index key of the ditto copy of blob `id`. */
void cv_ditto_key(const struct cv_keys *k, const uint8_t id[CV_ID_LEN], uint8_t key[CV_ID_LEN]);
/* Append nonce | ciphertext | tag of p[n] to `out`. */
enum cv_err cv_seal(const struct cv_keys *k, const uint8_t *ad, size_t adlen, const void *p,
                    size_t n, struct cv_buf *out);
/* Open in[n] (nonce | ciphertext | tag) into out[n - CV_SEAL_OVERHEAD]. CV_EAUTH on a bad tag. */
enum cv_err cv_unseal(const struct cv_keys *k, const uint8_t *ad, size_t adlen, const uint8_t *in,
                      size_t n, uint8_t *out);
/* Objects (snapshots, index objects, the cache): header "CV" kind 1 zstd? 000 | seal(body or
 * zstd(body)), AD = header || name. Index bodies are stored uncompressed (their IDs do not
 * compress), so that they can be opened and used where they lie. */
enum cv_err cv_object_seal(const struct cv_keys *k, char kind, const char *name, const void *body,
                           size_t n, bool compress, struct cv_buf *out);
/* Open an object into `body` (appended), at most `max` bytes. */
enum cv_err cv_object_open(const struct cv_keys *k, char kind, const char *name, const uint8_t *in,
                           size_t n, size_t max, struct cv_buf *body);
/* Open the object held in `buf` in place: the body is then buf->data[*off .. buf->len). */
enum cv_err cv_object_open_inplace(const struct cv_keys *k, char kind, const char *name,
                                   struct cv_buf *buf, size_t max, size_t *off);
/* Decompress a whole zstd frame of at most `max` bytes (its declared size), appending it to
 * `out`; `dctx` may be NULL. */
struct ZSTD_DCtx_s;
enum cv_err cv_zstd_decompress_bounded(struct ZSTD_DCtx_s *dctx, const void *in, size_t n,
                                       size_t max, struct cv_buf *out);

/* ---- config.c: the config and key files (text) --------------------------------------------- */
/* Format 1 stores a full tree with every snapshot; format 2 stores runs (docs/FORMAT.md). A
 * repository keeps the format it was made with: each is written as it is. */
#define CV_FORMAT_VERSION 2

struct cv_repo_config {
    unsigned version; /* format, 1 or 2 */
    uint8_t id[32];
    char id_hex[65];
    uint32_t chunk_size, block_size, pack_size;
    int level;
    unsigned merge_fan_in, merge_levels; /* format 2: when runs are merged (merge.c) */
    uint8_t mac[32];                     /* as read */
    size_t maced_len;                    /* bytes the MAC covers */
};
enum cv_err cv_repo_config_parse(const char *text, size_t n, struct cv_repo_config *c);
enum cv_err cv_repo_config_format(const struct cv_repo_config *c, const struct cv_keys *k,
                                  struct cv_buf *out);
enum cv_err cv_repo_config_verify(const struct cv_repo_config *c, const struct cv_keys *k,
                                  const char *text, const char *where);

struct cv_keyfile {
    uint32_t ops;
    uint64_t mem;
    uint8_t salt[16];
    uint8_t nonce[CV_NONCE_LEN];
    uint8_t wrapped[32 + CV_TAG_LEN];
};
enum cv_err cv_keyfile_parse(const char *text, size_t n, struct cv_keyfile *kf);
enum cv_err cv_keyfile_format(const struct cv_keyfile *kf, struct cv_buf *out);
enum cv_err cv_keyfile_wrap(struct cv_keyfile *kf, const uint8_t repo_id[32], const char *pass,
                            const uint8_t master[32]);
/* CV_EAUTH when the passphrase does not open it. */
enum cv_err cv_keyfile_unwrap(const struct cv_keyfile *kf, const uint8_t repo_id[32],
                              const char *pass, uint8_t master[32]);

/* ---- index.c: where blobs are --------------------------------------------------------------- */
#define CV_IX_UNASSIGNED UINT32_MAX

struct cv_ix_pack {
    uint8_t name[32];
    uint64_t size;
    bool condemned; /* a running prune is about to remove it: never deduplicate against it */
};
struct cv_ix_block {
    uint32_t pack; /* CV_IX_UNASSIGNED while being filled */
    uint32_t offset, stored, raw;
    uint8_t kind;
};
struct cv_ix_entry {
    uint8_t id[CV_ID_LEN];
    uint32_t block, off, len;
};

/* Where one blob is, copied out of the index (safe to use while others add to it). */
struct cv_blob_loc {
    uint8_t pack[32];
    uint32_t block, pack_no;
    uint32_t offset, stored, raw; /* of the block */
    uint8_t kind;
    uint32_t off, len; /* of the blob in the block's payload */
};

/* A sorted, read-only run of blob records: the body of one index object (or of the cache),
 * used where it lies. Records are CV_IX_REC bytes: ID | u32le block | u32le off | u32le len,
 * IDs strictly increasing; block numbers are relative to block_base. A directory by the
 * first bits of the ID narrows each search to a handful of records. */
#define CV_IX_REC (CV_ID_LEN + 12)
struct cv_ix_run {
    struct cv_buf body;
    const uint8_t *recs;
    size_t n;
    uint32_t block_base;
    uint32_t *dir; /* 2^bits + 1 record numbers, or NULL */
    unsigned bits;
};

struct cv_pack_index {
    pthread_mutex_t lock;
    struct cv_ix_pack *packs;
    struct cv_ix_block *blocks;
    size_t npacks, nblocks;
    size_t cap_packs, cap_blocks;
    struct cv_ix_run *runs; /* what was loaded */
    size_t nruns, cap_runs, nrun_entries;
    struct cv_ix_entry *entries; /* what this process added, found through slots */
    size_t nentries, cap_entries;
    uint32_t *slots; /* entry number + 1; 0 = empty */
    size_t nslots;   /* power of two */
};

enum cv_err cv_pack_index_init(struct cv_pack_index *ix);
void cv_pack_index_free(struct cv_pack_index *ix);
bool cv_pack_index_has(struct cv_pack_index *ix, const uint8_t id[CV_ID_LEN]);
/* Is `id` stored where a new snapshot may use it (not in a condemned pack)? [out] pack: its
 * pack's number, or CV_IX_UNASSIGNED for a blob this process has not written out yet. */
bool cv_pack_index_usable(struct cv_pack_index *ix, const uint8_t id[CV_ID_LEN], uint32_t *pack);
/* Mark the pack named `name` condemned (if the index has it). */
void cv_pack_index_condemn(struct cv_pack_index *ix, const uint8_t name[32]);
bool cv_pack_index_locate(struct cv_pack_index *ix, const uint8_t id[CV_ID_LEN],
                          struct cv_blob_loc *loc);
/* Every blob the index knows: loaded runs first, then this process's, numbered from 0. */
size_t cv_pack_index_count(struct cv_pack_index *ix);
void cv_pack_index_entry(struct cv_pack_index *ix, size_t i, struct cv_ix_entry *out);
/* All of them, copied, in that numbering. Caller frees. */
enum cv_err cv_pack_index_all_entries(struct cv_pack_index *ix, struct cv_ix_entry **out,
                                      size_t *n);
/* Adders for a writer; they return the new element's number. */
enum cv_err cv_pack_index_add_pack(struct cv_pack_index *ix, const uint8_t name[32], uint32_t *no);
enum cv_err cv_pack_index_add_block(struct cv_pack_index *ix, uint8_t kind, uint32_t *no);
void cv_pack_index_set_block(struct cv_pack_index *ix, uint32_t block, uint32_t pack,
                             uint32_t offset, uint32_t stored, uint32_t raw);
void cv_pack_index_set_pack_size(struct cv_pack_index *ix, uint32_t pack, uint64_t size);
/* Add a blob unless its ID is known (outside a condemned pack); *added says which. */
enum cv_err cv_pack_index_add_entry(struct cv_pack_index *ix, const uint8_t id[CV_ID_LEN],
                                    uint32_t block, uint32_t off, uint32_t len, bool *added);
/* Check an index object body and add what it holds, all or nothing: decode copies the bytes,
 * adopt takes the buffer (which is then empty), whose body starts at `offset`. */
enum cv_err cv_pack_index_decode(struct cv_pack_index *ix, const uint8_t *p, size_t n);
enum cv_err cv_pack_index_adopt(struct cv_pack_index *ix, struct cv_buf *buf, size_t offset);
/* Encode packs [p0, npacks), blocks [b0, nblocks) and this process's entries [e0, nentries)
 * as an index body. */
enum cv_err cv_pack_index_encode(struct cv_pack_index *ix, size_t p0, size_t b0, size_t e0,
                                 struct cv_buf *out);
/* Encode everything as one body (for the cache), runs merged. */
enum cv_err cv_pack_index_encode_all(struct cv_pack_index *ix, struct cv_buf *out);

/* ---- tree.c: folder listings ------------------------------------------------------------------
 */
enum {
    CV_TE_FILE = 'f',
    CV_TE_DIR = 'd',    /* a folder whose listing is a tree blob */
    CV_TE_INLINE = 'i', /* a folder whose listing is inline */
    CV_TE_SYMLINK = 'l',
    /* runs only (docs/FORMAT.md "Runs"): a name that is gone, and folders that replace what the
     * layers below hold under their name instead of adding to it */
    CV_TE_GONE = 'x',
    CV_TE_NEW_DIR = 'D',
    CV_TE_NEW_INLINE = 'I',
    /* in memory only, never stored: a folder of a merged view, made of the listings of several
     * layers (payload: see walk.c) */
    CV_TE_MERGED = 'm',
};

/* What a listing may hold besides files, folders and symlinks. */
#define CV_TREE_RUN    1u /* a run's listing: CV_TE_GONE, CV_TE_NEW_DIR, CV_TE_NEW_INLINE */
#define CV_TREE_MERGED 2u /* a merged view made in memory: CV_TE_MERGED */

struct cv_tree_entry {
    uint8_t kind;
    unsigned flags;   /* CV_TREE_RUN when it was read from a run's listing */
    const char *name; /* not NUL-terminated */
    size_t name_len;
    uint32_t mode;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    /* files */
    uint64_t size;
    int64_t ctime_sec;
    uint32_t ctime_nsec;
    uint64_t inode;
    size_t nchunks;
    const uint8_t *chunks; /* nchunks * CV_ID_LEN */
    /* folders: tree_id for 'd'/'D', sub/sub_len for 'i'/'I'/'m'; symlinks: sub is the target */
    const uint8_t *tree_id;
    const uint8_t *sub;
    size_t sub_len;
};

struct cv_tree_rd {
    struct cv_rd r;
    const char *prev;
    size_t prev_len;
    unsigned flags; /* CV_TREE_RUN, CV_TREE_MERGED: the kinds it accepts */
};

#define CV_TREE_VERSION 1
/* A reader over a tree blob (with its version byte) or an inline listing (without); flags 0. */
enum cv_err cv_tree_rd_blob(struct cv_tree_rd *t, const uint8_t *p, size_t n);
void cv_tree_rd_inline(struct cv_tree_rd *t, const uint8_t *p, size_t n);
/* The next entry; *more false at the end. Every field and the order are checked. */
enum cv_err cv_tree_next(struct cv_tree_rd *t, struct cv_tree_entry *e, bool *more);
/* Append one entry's encoding to `out`. */
enum cv_err cv_tree_put(struct cv_buf *out, const struct cv_tree_entry *e);
/* true when a name may appear in a tree (and so in a restored path). */
bool cv_tree_name_ok(const char *name, size_t n);
static inline bool cv_te_is_dir(const struct cv_tree_entry *e)
{
    return e->kind == CV_TE_DIR || e->kind == CV_TE_INLINE || e->kind == CV_TE_NEW_DIR ||
           e->kind == CV_TE_NEW_INLINE || e->kind == CV_TE_MERGED;
}
/* A folder entry that replaces rather than adds to the layers below (only in runs). */
static inline bool cv_te_is_new_dir(const struct cv_tree_entry *e)
{
    return e->kind == CV_TE_NEW_DIR || e->kind == CV_TE_NEW_INLINE;
}
/* Name order: bytewise, a prefix first. */
int cv_tree_name_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* ---- pack.c: writing blobs into blocks and packs; reading them back ----------------------- */
struct cv_repo;
struct cv_writer;
enum cv_err cv_writer_new(struct cv_repo *repo, struct cv_writer **out);
/* Store a blob unless the repository has it; *stored says whether it was new. With
 * CV_BLOB_DITTO, store a second copy of tree blob `id` (unless one exists). */
enum cv_err cv_writer_add(struct cv_writer *w, enum cv_blob_kind kind, const uint8_t id[32],
                          const void *p, size_t n, bool *stored);
/* Store a folder listing (entries, no version byte) as a tree blob, or when large as parts and
 * a blob listing them; with `ditto`, each twice. `scratch` is working space. [out] id; adds
 * the new bytes and blobs to *raw and *blobs. */
enum cv_err cv_tree_store(struct cv_writer *w, const struct cv_buf *listing, bool ditto,
                          struct cv_buf *scratch, uint8_t id[CV_ID_LEN], uint64_t *raw,
                          uint64_t *blobs);
/* Make everything added so far durable and indexed (packs, then an index object). */
enum cv_err cv_writer_flush(struct cv_writer *w);
uint64_t cv_writer_stored_bytes(const struct cv_writer *w);
/* Did a blob added find itself already stored in pack number `pack` (one loaded before the
 * writer began)? The new snapshot then relies on that pack. */
bool cv_writer_deduped(const struct cv_writer *w, uint32_t pack);
void cv_writer_free(struct cv_writer *w);

struct cv_reader;
enum cv_err cv_reader_new(struct cv_repo *repo, unsigned cache_blocks, struct cv_reader **out);
void cv_reader_free(struct cv_reader *rd);
/* A view of a blob's bytes, valid until the next call on this reader. The blob's MAC is
 * checked; a damaged tree blob is read from its ditto copy when it has one. CV_ENOENT when
 * the index lacks it, CV_ECORRUPT/CV_EAUTH when its block is damaged. */
enum cv_err cv_reader_blob(struct cv_reader *rd, const uint8_t id[32], const uint8_t **p,
                           size_t *n);
/* The location of the last blob that failed (for reports). */
const struct cv_blob_loc *cv_reader_last_loc(const struct cv_reader *rd);

/* A decoded raw block: kind, blob lengths, payload. */
struct cv_block_view {
    uint8_t kind;
    uint64_t count;
    const uint8_t *lens; /* varints */
    size_t lens_len;
    const uint8_t *payload;
    size_t payload_len;
};
enum cv_err cv_block_parse(const uint8_t *raw, size_t n, struct cv_block_view *v);
/* Open one stored block (length field included) of pack `pack` at `offset`: its raw bytes
 * replace the contents of `raw`. `scratch` and `dctx` (may be NULL) are working space. */
enum cv_err cv_block_open(const struct cv_keys *k, const uint8_t pack[32], uint64_t offset,
                          const uint8_t *stored, size_t n, struct cv_buf *scratch,
                          struct ZSTD_DCtx_s *dctx, struct cv_buf *raw);

/* ---- prune_guard.c: prune records, and what a backup does about them ----------------------------
 */
/* A sorted list of object names. */
struct cv_names {
    char (*v)[CV_OBJ_NAME_LEN + 1];
    size_t n, cap;
};
struct cv_repo;
enum cv_err cv_names_list(struct cv_repo *repo, enum cv_obj_kind kind, struct cv_names *l);
bool cv_names_has(const struct cv_names *l, const char *name);
void cv_names_free(struct cv_names *l);

/* What a prune is about to remove ("prune/<name>", object kind 'P'). */
struct cv_prune_record {
    char name[CV_OBJ_NAME_LEN + 1];
    int64_t time;         /* when it was written */
    int64_t grace;        /* seconds the prune waits before removing */
    uint8_t (*snaps)[32]; /* the snapshots it saw */
    size_t nsnaps;
    uint8_t (*packs)[32]; /* the packs it removes */
    size_t npacks;
};
enum cv_err cv_prune_record_encode(const struct cv_prune_record *r, struct cv_buf *out);
enum cv_err cv_prune_record_decode(const uint8_t *p, size_t n, struct cv_prune_record *r);
enum cv_err cv_prune_record_read(struct cv_repo *repo, const char *name, struct cv_prune_record *r);
/* Seal and write `r` under a fresh name (set in r->name), durably. */
enum cv_err cv_prune_record_write(struct cv_repo *repo, struct cv_prune_record *r);
void cv_prune_record_clear(struct cv_prune_record *r);
/* Before a backup: load the index afresh if a prune rewrote it, and condemn the packs every
 * prune record names (remembered as known). */
enum cv_err cv_repo_refresh(struct cv_repo *repo);
/* After a backup, before its snapshot: CV_EBUSY when a prune that ran beside it may remove
 * something it relies on (its parent, a pack the writer `w` found blobs in). */
enum cv_err cv_prune_check(struct cv_repo *repo, const struct cv_writer *w, const char *parent);

/* ---- repo.c ------------------------------------------------------------------------------------
 */
struct cv_repo {
    struct cv_backend *be;
    struct cv_repo_config cfg;
    struct cv_keys *keys;
    struct cv_pack_index ix;
    uint64_t warnings;
    char **index_names; /* index objects loaded, sorted */
    size_t nindex_names;
    struct cv_names prune_known; /* prune records seen by the last cv_repo_refresh */
};
/* Load the index: the local cache, then every index object it does not cover. */
enum cv_err cv_repo_load_index(struct cv_repo *repo);
/* Read and decode one index object into `ix` (check uses a scratch index). */
enum cv_err cv_repo_read_index_object(struct cv_repo *repo, const char *name,
                                      struct cv_pack_index *ix);
/* Add a freshly written index object's name to the loaded set (so the cache covers it). */
enum cv_err cv_repo_note_index(struct cv_repo *repo, const char *name);

/* ---- snapshot.c ---------------------------------------------------------------------------- */
enum cv_err cv_snapshot_encode(const struct cv_snapshot *s, struct cv_buf *out);
enum cv_err cv_snapshot_decode(const uint8_t *p, size_t n, struct cv_snapshot *s);
enum cv_err cv_snapshot_write(struct cv_repo *repo, struct cv_snapshot *s);
/* Read, open and decode the snapshot object `name`. */
enum cv_err cv_snapshot_read(struct cv_repo *repo, const char *name, struct cv_snapshot *s);

/* ---- walk.c: reading a snapshot's tree ------------------------------------------------------ */
/* One level of a walk: the listing of a folder, owned (a blob, a merged view) or a view into
 * its parent's bytes. `flags` says which entry kinds it may hold (CV_TREE_RUN, CV_TREE_MERGED). */
struct cv_listing {
    struct cv_buf own;
    const uint8_t *p;
    size_t n;
    bool is_blob;
    unsigned flags;
};
#define CV_LISTING_INIT                                                                            \
    {                                                                                              \
        CV_BUF_INIT(CV_LISTING_MAX), NULL, 0, false, 0                                             \
    }
/* Load the listing of a folder entry: inline, a tree blob, or the merge of a merged entry's
 * layers (the entry must stay valid while the listing is used: an inline one is a view). */
enum cv_err cv_listing_load(struct cv_reader *rd, const struct cv_tree_entry *e,
                            struct cv_listing *l);
/* Load the tree blob `id` (a root) as a listing with `flags`. */
enum cv_err cv_listing_load_blob(struct cv_reader *rd, const uint8_t *id, unsigned flags,
                                 struct cv_listing *l);
/* The root listing of a snapshot: its full tree, merged with its runs when it has any. */
enum cv_err cv_snapshot_root(struct cv_reader *rd, const struct cv_snapshot *s,
                             struct cv_listing *l);
void cv_listing_free(struct cv_listing *l);
enum cv_err cv_listing_iter(const struct cv_listing *l, struct cv_tree_rd *t);
/* A key for "the same folder contents" of a folder entry: its tree ID, or a hash of its inline
 * or merged bytes (32 bytes). */
void cv_dir_key(const struct cv_tree_entry *e, uint8_t key[CV_ID_LEN]);
/* The reference index's file entry of `s` (which has one): a view into the snapshot, or into
 * `l` when it is a tree blob of its own (format 2), loaded and checked against the name and
 * size the snapshot records. */
enum cv_err cv_snapshot_db_entry(struct cv_reader *rd, const struct cv_snapshot *s,
                                 struct cv_listing *l, struct cv_tree_entry *e);

/* ---- merge.c: keeping a snapshot's runs few -------------------------------------------------- */
#define CV_MERGE_FAN_IN 16 /* default: this many runs of one level become one of the next */
#define CV_MERGE_LEVELS 3  /* default: levels 0..2; merging level-2 runs rewrites the full tree */
/* After a backup added its run to `s` (runs may be merged, or the full tree rewritten with
 * them): apply the merge rule, writing through `w`; stats get the tree bytes added. */
enum cv_err cv_runs_settle(struct cv_repo *repo, struct cv_writer *w, struct cv_snapshot *s,
                           struct cv_backup_stats *st);
/* Merge all of `s`'s runs into its full tree now (a new full tree, no runs). */
enum cv_err cv_runs_rebase(struct cv_repo *repo, struct cv_writer *w, struct cv_snapshot *s,
                           struct cv_backup_stats *st);

/* Group `n` numbers by key (each < nkeys): the members of key k are order[start[k] ..
 * start[k+1]), in their order. Both arrays are the caller's to cv_free (also on failure). */
enum cv_err cv_group_by(size_t n, size_t nkeys, const uint32_t *key, uint32_t **order,
                        size_t **start);

/* ---- reach.c ----------------------------------------------------------------------------------
 */
/* Add every blob `s` needs to `live` (tree blobs with the keys of their second copies); trees
 * already in `live` are not read again. */
enum cv_err cv_reach_snapshot(struct cv_repo *repo, struct cv_reader *rd,
                              const struct cv_snapshot *s, struct cv_idset *live);

/* ---- dbcopy.c ---------------------------------------------------------------------------------
 */
/* A consistent copy of the SQLite database `db` in a new private temporary file; [out] path
 * (caller unlinks and frees). */
enum cv_err cv_db_snapshot_copy(const char *db, char **tmp_path);

#endif
