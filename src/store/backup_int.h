/*
 * backup_int.h: the two halves of a backup and what passes between them. The reading threads
 * (backup_walk.c) read the source folder depth first beside the parent snapshot's trees and
 * turn it into records: folder begins and ends, files with their bytes, files known unchanged
 * with their chunk IDs, problems. The writer (backup.c) hashes, deduplicates, compresses and
 * stores, and builds the trees. Records travel in batches through a small bounded queue, so
 * reading and compressing overlap, several folders are read at once (a walk of millions of
 * folders waits on the kernel, not on us) and memory stays a few tens of MiB.
 */
#ifndef CHARTVAULT_BACKUP_INT_H
#define CHARTVAULT_BACKUP_INT_H

#include "store_int.h"

#include <stdatomic.h>

enum rec_kind {
    REC_DIR_BEGIN, /* name, stat */
    REC_DIR_END,
    REC_FILE,    /* name, stat, data = the file or its first chunk; `more` when chunks follow */
    REC_CHUNK,   /* data = next chunk; `more` when more follow; `failed` abandons the file */
    REC_KNOWN,   /* name, stat, data = chunk IDs copied from the parent snapshot */
    REC_SYMLINK, /* name, stat, data = target; `same` when the parent's link is identical */
    REC_PROBLEM, /* name = relative path, data = reason */
    REC_GONE,    /* name: the parent snapshot held it, the source no longer does (runs) */
};

struct rec {
    uint8_t kind;
    bool more, failed, is_new, same;
    /* REC_DIR_BEGIN: did the parent snapshot hold a folder under this name, and how was it */
    bool pdir;
    uint32_t pmode, pmtime_nsec;
    int64_t pmtime_sec;
    uint32_t name_off, name_len;
    uint32_t data_off, data_len;
    uint32_t mode;
    uint32_t mtime_nsec, ctime_nsec;
    int64_t mtime_sec, ctime_sec;
    uint64_t size, inode;
};

#define BATCH_RECS          4096u
#define BATCH_ARENA         (2u << 20)
#define QUEUE_DEPTH         4u /* batches per producer */
#define QUEUE_PRODUCERS_MAX 8u
#define QUEUE_SLOTS         256u /* sequences between the writer and the newest one */

struct batch {
    struct rec *recs;
    size_t nrecs;
    uint8_t *arena;
    size_t used;
    unsigned owner; /* the producer whose batch it is */
    uint64_t seq;   /* the sequence it belongs to */
    struct batch *next;
};

struct queue_slot {
    struct batch *head, *tail; /* full batches of one sequence, in order */
    bool done;                 /* its producer has finished it */
};

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    unsigned producers;
    struct batch *free[QUEUE_PRODUCERS_MAX];
    struct queue_slot slots[QUEUE_SLOTS];
    uint64_t read_seq; /* the sequence the writer is consuming */
    uint64_t next_seq; /* the next one to hand out */
    bool closed;       /* every producer is done (or stopped) */
    atomic_bool stop;  /* the writer failed: the producers must stop */
};

enum cv_err cv_queue_init(struct queue *q, unsigned producers);
void cv_queue_destroy(struct queue *q);
/* Producer side: an empty batch of its own for sequence `seq` (NULL once stopped); handing a
 * full one over; finishing a sequence; and reserving `n` consecutive new sequences ([out]
 * first; false once stopped). Sequence 0 exists from the start. */
struct batch *cv_queue_get_free(struct queue *q, unsigned owner, uint64_t seq);
void cv_queue_put_full(struct queue *q, struct batch *b);
void cv_queue_seq_done(struct queue *q, uint64_t seq);
bool cv_queue_new_seqs(struct queue *q, unsigned n, uint64_t *first);
/* When every producer has finished. */
void cv_queue_close(struct queue *q);
/* Writer side, on failure: make the producers stop at their next record. */
void cv_queue_stop(struct queue *q);
/* Writer side: the next full batch in sequence order (NULL at the end), and giving it back. */
struct batch *cv_queue_get_full(struct queue *q);
void cv_queue_put_free(struct queue *q, struct batch *b);

/* The folder depth at which the reading threads share the work: each folder there (a patient's
 * folder in SS-MIX2, <root>/<id[0:3]>/<id[3:6]>/<patient>) is read whole by one of them. */
#define WALK_SPLIT_DEPTH 3u
#define WALK_HELPERS     3u /* reading threads besides the one that walks the upper levels */

struct walk_shared; /* the helpers and the folders waiting for them (backup_walk.c) */

/* One reading thread. */
struct walker {
    struct walk_shared *sh;
    struct cv_repo *repo;
    struct queue *q;
    struct cv_reader *rd;             /* reads the parent snapshot's trees */
    const struct cv_snapshot *parent; /* NULL: no parent */
    bool run;                         /* writing a run: report what the parent had and is gone */
    uint32_t chunk_size;
    unsigned owner; /* its producer number */
    uint64_t seq;   /* the sequence it is producing */
    bool splits;    /* the upper walk: hands folders at WALK_SPLIT_DEPTH to helpers */
    struct batch *cur;
    char path[4096]; /* relative path of the folder being read, for problems */
    size_t path_len;
    bool noatime;    /* O_NOATIME still worth trying */
    enum cv_err err; /* why the walk stopped, if it did */
    char errmsg[512];
    /* the journal walk: what the parent snapshot held where it looked (to keep the counts) */
    uint64_t seen_files, seen_dirs, seen_bytes;
};

/* The upper walk's thread body: start the helpers, walk `root_fd` (which it closes), wait for
 * the helpers, merge their errors into its own and close the queue. */
void *cv_backup_walk(void *arg);
/* The journal walk's thread body (backup_journal.c): visit only the paths of `changes`. */
void *cv_backup_journal_walk(void *arg);
struct walk_start {
    struct walker *wk;
    int root_fd;
    const char *const *changes; /* the journal walk's paths, and how many */
    size_t nchanges;
};

/* ---- what the walks share (backup_walk.c) ------------------------------------------------------
 */
/* Per-depth working space, reused from folder to folder. */
struct walk_level {
    struct cv_buf names; /* NUL-separated */
    struct cv_buf offs;  /* size_t offsets into names, then sorted pointers */
    struct cv_listing parent;
};

struct walk_ctx {
    struct walker *wk;
    struct walk_level levels[CV_TREE_DEPTH_MAX + 1];
};

/* The parent snapshot's listing of the folder being read, consumed in name order. */
struct parent_iter {
    struct cv_tree_rd t;
    struct cv_tree_entry e;
    bool have;
    bool matched; /* e was handed out for a name of the source: not gone */
};

struct walk_ctx *cv_walk_ctx_new(struct walker *wk);
void cv_walk_ctx_free(struct walk_ctx *c);
/* A new record in the current batch (NULL once the writer stopped). */
struct rec *cv_walk_rec(struct walker *wk, uint8_t kind, const char *name, size_t name_len,
                        size_t data);
struct stat;
void cv_walk_fill_stat(struct rec *r, const struct stat *st);
/* Report `name` in the current folder as not backed up, and why. */
bool cv_walk_problem(struct walker *wk, const char *name, const char *what, int errnum);
/* (runs) The parent held `pe` and the source does not. */
bool cv_walk_gone(struct walker *wk, const struct cv_tree_entry *pe);
void cv_walk_parent_info(struct rec *r, const struct cv_tree_entry *pe);
void cv_walk_path_push(struct walker *wk, const char *name, size_t *saved);
void cv_parent_iter_init(struct parent_iter *pi, const struct cv_listing *l);
void cv_parent_advance(struct parent_iter *pi);
/* The parent's entry for `name` (or NULL in *pe), names in order; with `gone`, the parent's
 * names skipped on the way are reported gone. False when the walk must stop. */
bool cv_parent_match(struct walker *wk, struct parent_iter *pi, const char *name,
                     const struct cv_tree_entry **pe, bool gone);
/* One entry `name` of the open folder `dirfd` at `depth`, beside the parent's entry `pe`: a
 * file read or known unchanged, a folder walked whole, a symlink. name[-1] is its d_type
 * (DT_UNKNOWN when not known). */
bool cv_walk_entry(struct walk_ctx *c, int dirfd, size_t depth, const char *name,
                   const struct cv_tree_entry *pe);
/* Give the current batch back and finish the walker's sequence. */
void cv_walk_end_seq(struct walker *wk);

#endif
