/*
 * chartvault/backend_remove.h: removing objects from a repository's storage, for retention
 * (`chartvault forget` and `chartvault prune`) and nothing else. It is kept apart from
 * backend.h on purpose: a struct cv_backend cannot remove anything, the backup path and the
 * daemon never include this header, and only the handle opened here can. The storage may
 * refuse a removal on its own terms (an S3 object under Object Lock until its retention date
 * passes): that is an answer, not an error, and the object stays.
 */
#ifndef CHARTVAULT_BACKEND_REMOVE_H
#define CHARTVAULT_BACKEND_REMOVE_H

#include <chartvault/backend.h>

enum cv_remove_result {
    CV_REMOVED,       /* gone */
    CV_REMOVE_LOCKED, /* the storage keeps it (its lock has not expired): kept, try later */
    CV_REMOVE_ABSENT, /* it was not there (removed before, by an earlier run) */
};

struct cv_remover;

/* What a kind of storage does to remove (one table per backend kind; today: local folders). */
struct cv_remover_ops {
    enum cv_err (*remove)(struct cv_remover *rm, enum cv_obj_kind kind, const char *name,
                          enum cv_remove_result *res);
    /* Make every earlier removal durable, in order, before anything that follows. */
    enum cv_err (*sync)(struct cv_remover *rm);
    void (*close)(struct cv_remover *rm);
};

struct cv_remover {
    const struct cv_remover_ops *ops;
    char *location;
};

/* Open the repository storage at `location` for removals; it must hold a config. The
 * credentials that allow removing are the caller's (for a local folder: the right to change
 * it). Caller closes with cv_remover_close(). */
enum cv_err cv_remover_open(const char *location, struct cv_remover **out);
void cv_remover_close(struct cv_remover *rm);

#endif
