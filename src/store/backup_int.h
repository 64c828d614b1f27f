/*
 * backup_int.h: the two halves of a backup and what passes between them. The walker thread
 * (backup_walk.c) reads the source folder depth first beside the parent snapshot's trees and
 * turns it into records: folder begins and ends, files with their bytes, files known unchanged
 * with their chunk IDs, problems. The writer (backup.c) hashes, deduplicates, compresses and
 * stores, and builds the trees. Records travel in batches through a small bounded queue, so
 * reading and compressing overlap on two cores and memory stays a few MiB.
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

#define BATCH_RECS  4096u
#define BATCH_ARENA (2u << 20)
#define QUEUE_DEPTH 4u

struct batch {
    struct rec *recs;
    size_t nrecs;
    uint8_t *arena;
    size_t used;
    struct batch *next;
};

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct batch *full_head, *full_tail, *free;
    bool closed;      /* the walker is done (or stopped) */
    atomic_bool stop; /* the writer failed: the walker must stop */
};

enum cv_err cv_queue_init(struct queue *q);
void cv_queue_destroy(struct queue *q);
/* Walker side: an empty batch (NULL once stopped), and handing a full one over. */
struct batch *cv_queue_get_free(struct queue *q);
void cv_queue_put_full(struct queue *q, struct batch *b);
void cv_queue_close(struct queue *q);
/* Writer side, on failure: make the walker stop at its next record. */
void cv_queue_stop(struct queue *q);
/* Writer side: the next full batch (NULL at the end), and giving it back. */
struct batch *cv_queue_get_full(struct queue *q);
void cv_queue_put_free(struct queue *q, struct batch *b);

struct walker {
    struct cv_repo *repo;
    struct queue *q;
    struct cv_reader *rd;       /* reads the parent snapshot's trees */
    const uint8_t *parent_root; /* NULL: no parent */
    uint32_t chunk_size;
    struct batch *cur;
    char path[4096]; /* relative path of the folder being read, for problems */
    size_t path_len;
    bool noatime;    /* O_NOATIME still worth trying */
    enum cv_err err; /* why the walk stopped, if it did */
    char errmsg[512];
};

/* The walker thread's body: walk `root_fd` (which it closes) and close the queue. */
void *cv_backup_walk(void *arg);
struct walk_start {
    struct walker *wk;
    int root_fd;
};

#endif
