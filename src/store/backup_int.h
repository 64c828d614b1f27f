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
    REC_SYMLINK, /* name, stat, data = target */
    REC_PROBLEM, /* name = relative path, data = reason */
};

struct rec {
    uint8_t kind;
    bool more, failed, is_new;
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
    struct cv_reader *rd;       /* reads the parent snapshot's trees (the upper walk only) */
    const uint8_t *parent_root; /* NULL: no parent */
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
};

/* The upper walk's thread body: start the helpers, walk `root_fd` (which it closes), wait for
 * the helpers, merge their errors into its own and close the queue. */
void *cv_backup_walk(void *arg);
struct walk_start {
    struct walker *wk;
    int root_fd;
};

#endif
