/*
 * restore_int.h: the two halves of a restore. restore.c reads the snapshot and sends records
 * (the same records and queue a backup uses, backup_int.h) to restore_write.c, which writes.
 */
#ifndef CHARTVAULT_RESTORE_INT_H
#define CHARTVAULT_RESTORE_INT_H

#include "backup_int.h"

struct pending_dir {
    char name[CV_NAME_MAX + 1];
    size_t name_len;
    uint32_t mode;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    bool emitted;
};

struct restorer {
    struct cv_repo *repo;
    const struct cv_restore_opts *o;
    struct cv_restore_stats *st;
    struct cv_reader *rd;  /* trees */
    struct cv_reader *drd; /* file data: its own cache, so trees do not evict it */
    struct queue *q;
    struct batch *cur;
    struct pending_dir dirs[CV_TREE_DEPTH_MAX + 1];
    size_t ndirs;
    uint64_t total, entries;
    uint64_t sent_files, sent_bytes; /* for progress; the writer counts what it wrote */
    pthread_mutex_t *report_mu;
    const char *snap_name;
    char path[4096];
};

struct restore_writer {
    struct queue *q;
    int target_fd;
    bool force;
    unsigned umask_bits;
    const struct cv_restore_opts *o;
    struct cv_restore_stats *st; /* files, dirs, bytes, refused: counted by the writer */
    pthread_mutex_t *report_mu;  /* one problem report at a time (the reader reports too) */
    enum cv_err err;
    char errmsg[512];
};

/* The writing thread's body. */
void *cv_restore_write(void *arg);

#endif
