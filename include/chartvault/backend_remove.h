/*
 * chartvault/backend_remove.h: removing objects from a repository's storage, for retention
 * (`chartvault forget` and `chartvault prune`) and nothing else. It is kept apart from
 * backend.h on purpose: a struct cv_backend cannot remove anything, the backup path and the
 * daemon never include this header, and only the handle opened here can.
 *
 * What every implementation must do (local folders: remove_local.c; an S3 one follows this):
 *  - remove() answers, for one object, CV_REMOVED (it is gone), CV_REMOVE_ABSENT (it was not
 *    there: an earlier, stopped prune removed it) or CV_REMOVE_LOCKED (the storage keeps it),
 *    each with CV_OK. Any other failure is an error (CV_EIO ...): the caller stops, and what it
 *    removed before stays removed (prune's order makes every such stop safe).
 *  - CV_REMOVE_LOCKED is an answer, not an error, and leaves the object exactly as it was for
 *    every reader. For S3 with Object Lock: an object version whose retain-until date has not
 *    passed, or under a legal hold, is LOCKED. The bucket is versioned, so a DELETE without a
 *    version ID would only add a delete marker: the data stays, billed, and readers no longer
 *    see an object prune still counts on. Remove the version itself (DeleteObject with its
 *    VersionId, which the lock refuses: map that refusal to LOCKED), or look at its retention
 *    first (HeadObject); never leave a delete marker over a locked version.
 *  - sync() returns once every removal answered CV_REMOVED so far is durable and seen by every
 *    reader (a folder fsync; nothing more for S3, whose reads follow writes). Prune syncs
 *    between steps (the index rewritten before packs go) and relies on that order.
 *  - config and keys are never removed.
 *  - Opening needs credentials that allow removing, which the backup's do not (for a local
 *    folder the right to change it; for S3 a key allowed s3:DeleteObjectVersion, which the
 *    daemon's key is not: docs/CONFIG.md "Retention on S3").
 *  - S3 (remove_s3.c) reads the retention of every version first and answers LOCKED without
 *    touching anything while one binds; otherwise it deletes every version, markers too.
 * What forget and prune do with LOCKED (tests/unit/test_retention.c, test_locked_objects): a
 * snapshot stays listed and is counted as locked; a pack stays indexed (prune writes an index
 * object naming it) and the next prune tries again; an index object keeps every pack it names.
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

/* Called by list() with each stored object's name, the time it was last written (seconds since
 * the epoch; 0 when the storage cannot say: take it as new) and its size. */
typedef enum cv_err (*cv_remover_list_fn)(void *arg, const char *name, int64_t modified,
                                          uint64_t size);

/* What a kind of storage does to remove (one table per backend kind: local folders in
 * remove_local.c, S3 buckets in remove_s3.c). */
struct cv_remover_ops {
    enum cv_err (*remove)(struct cv_remover *rm, enum cv_obj_kind kind, const char *name,
                          enum cv_remove_result *res);
    /* Make every earlier removal durable, in order, before anything that follows. */
    enum cv_err (*sync)(struct cv_remover *rm);
    void (*close)(struct cv_remover *rm);
    /* Optional (NULL: every object can go). What remove() would answer, without removing:
     * CV_REMOVED (it would go), CV_REMOVE_LOCKED or CV_REMOVE_ABSENT. For dry runs, and so
     * that prune rewrites nothing when the storage would keep everything. */
    enum cv_err (*probe)(struct cv_remover *rm, enum cv_obj_kind kind, const char *name,
                         enum cv_remove_result *res);
    /* Optional. Every stored object of `kind` with the time it was written, including those
     * no index names (the packs of a killed backup), which prune removes once old enough. */
    enum cv_err (*list)(struct cv_remover *rm, enum cv_obj_kind kind, cv_remover_list_fn fn,
                        void *arg);
};

struct cv_remover {
    const struct cv_remover_ops *ops;
    char *location;
    /* after remove() or probe() answered CV_REMOVE_LOCKED: the date the lock runs out
     * (seconds since the epoch), when the storage said; else 0 */
    int64_t until;
};

/* Open the repository storage at `location` for removals; it must hold a config. The
 * credentials that allow removing are the caller's: for a local folder the right to change
 * it; for S3 the access key in opts->credentials_file or the AWS_* variables (opts->ca_file
 * too), which must be allowed s3:DeleteObjectVersion. `opts` may be NULL. Caller closes with
 * cv_remover_close(). */
enum cv_err cv_remover_open_with(const char *location, const struct cv_backend_opts *opts,
                                 struct cv_remover **out);
/* cv_remover_open_with(location, NULL, out). */
enum cv_err cv_remover_open(const char *location, struct cv_remover **out);
void cv_remover_close(struct cv_remover *rm);

#endif
