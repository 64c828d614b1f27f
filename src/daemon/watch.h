/*
 * watch.h: inotify over a whole SS-MIX2 tree. Every folder gets a watch (new folders too, as
 * they appear), up to a budget; events are merged per file into a batch that says what happened
 * to each path since the last batch: created, written, moved in or out (with the other end of a
 * rename inside the tree), deleted, its mode or times set. Overflow of the kernel queue or of the
 * batch is reported so the caller can fall back to a full scan.
 */
#ifndef CHARTVAULT_DAEMON_WATCH_H
#define CHARTVAULT_DAEMON_WATCH_H

#include <chartvault/common.h>

enum {
    CV_WATCH_CREATED = 1 << 0,   /* a new directory entry (the name did not exist) */
    CV_WATCH_WRITTEN = 1 << 1,   /* closed after writing */
    CV_WATCH_MOVED_IN = 1 << 2,  /* renamed to this name */
    CV_WATCH_MOVED_OUT = 1 << 3, /* renamed away from this name */
    CV_WATCH_DELETED = 1 << 4,
    CV_WATCH_ATTRIB = 1 << 5, /* mode, times or owner set (the content is as it was) */
};

struct cv_watch_entry {
    char *path;       /* relative to the root */
    unsigned flags;   /* CV_WATCH_* seen since the last batch */
    char *moved_from; /* MOVED_IN from this path inside the tree, else NULL */
    char *moved_to;   /* MOVED_OUT to this path inside the tree, else NULL */
};

struct cv_watch_batch {
    struct cv_watch_entry *entries;
    size_t n, cap;
    bool overflow; /* events were lost: do a full scan */
    size_t *slots; /* internal: hash of paths to entries */
    size_t nslots;
};

struct cv_watch;

/* Watch `root` and every folder below it, at most `max_watches` folders. */
enum cv_err cv_watch_open(struct cv_watch **out, const char *root, size_t max_watches);
void cv_watch_free(struct cv_watch *w);
int cv_watch_fd(const struct cv_watch *w);
/* Folders watched, and folders left out because the budget ran out. */
void cv_watch_counts(const struct cv_watch *w, size_t *watched, size_t *left_out);
/* Read every pending event (non-blocking) into `b`. */
enum cv_err cv_watch_read(struct cv_watch *w, struct cv_watch_batch *b);
void cv_watch_batch_clear(struct cv_watch_batch *b);

#endif
