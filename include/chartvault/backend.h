/*
 * chartvault/backend.h: where a repository's files live. A backend is a struct of function
 * pointers over named, immutable objects: create-once `put`, a durability barrier `sync`, ranged
 * `get`, `size` and `list`. There is deliberately no delete and no overwrite, so the same
 * interface fits a local folder, an append-only repository server (later) and an S3 bucket with
 * Object Lock (s3.c): the protection host can add to a copy but never destroy it.
 */
#ifndef CHARTVAULT_BACKEND_H
#define CHARTVAULT_BACKEND_H

#include <chartvault/common.h>

/* The kinds of object a repository holds. Names of keys, snapshots, indexes and packs are 64
 * lower-case hex digits; the config object has no name. CV_OBJ_PRUNE objects ("prune/") say
 * what a running prune is about to remove (docs/FORMAT.md "Prune"); they come and go with it
 * and are never copied to another repository. */
enum cv_obj_kind {
    CV_OBJ_CONFIG,
    CV_OBJ_KEY,
    CV_OBJ_SNAPSHOT,
    CV_OBJ_INDEX,
    CV_OBJ_PACK,
    CV_OBJ_PRUNE
};

#define CV_OBJ_NAME_LEN 64 /* hex digits in an object name */

struct cv_backend;

/* How a backend is opened. Zero means "the default" for every field. */
struct cv_backend_opts {
    bool create; /* make a new repository's storage (a new or empty folder or bucket prefix) */
    bool resume; /* with create: a folder or prefix that a killed `copy` left is fine */
    /* S3: a file (mode 0600) with the access key; NULL = $AWS_ACCESS_KEY_ID and
     * $AWS_SECRET_ACCESS_KEY. Never the command line. */
    const char *credentials_file;
    const char *ca_file; /* S3 over https: trust this CA bundle instead of the system's */
    /* S3: seconds every object stays locked (COMPLIANCE) from its write or its last
     * extension; 0 = what the repository was made with (its s3-lock object), or 30 days. */
    long retention;
    bool no_lock; /* S3 create: accept a bucket without Object Lock and versioning */
};

/* What reading an object's lock back found (S3 only). */
struct cv_lock_info {
    bool locked;    /* mode COMPLIANCE with a retain-until date in the future */
    char mode[16];  /* "COMPLIANCE", "GOVERNANCE" or "" */
    int64_t until;  /* retain-until, seconds since the epoch; 0 when none */
    long retention; /* the repository's retention setting, seconds (0: no lock) */
};

/* Called by list() with each valid object name; return non-zero to stop (it is returned). */
typedef enum cv_err (*cv_backend_list_fn)(const char *name, void *arg);

struct cv_backend_ops {
    const char *scheme; /* "local" */
    /* Create `name` with `n` bytes. Fails with CV_EEXIST if it exists. The object is visible and
     * durable once sync() has returned; a crash before that leaves at most an ignored leftover. */
    enum cv_err (*put)(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                       const void *p, size_t n);
    /* Make every earlier put durable and visible, in the order they were made. */
    enum cv_err (*sync)(struct cv_backend *be);
    /* Read `n` bytes at `off` into `out`; *got says how many there were (short at the end). */
    enum cv_err (*get)(struct cv_backend *be, enum cv_obj_kind kind, const char *name, uint64_t off,
                       size_t n, void *out, size_t *got);
    enum cv_err (*size)(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                        uint64_t *size);
    /* Call fn for every object of `kind` (not CV_OBJ_CONFIG); names that are not object names
     * (temporary leftovers, strangers) are skipped and counted in *skipped when it is given. */
    enum cv_err (*list)(struct cv_backend *be, enum cv_obj_kind kind, cv_backend_list_fn fn,
                        void *arg, uint64_t *skipped);
    void (*close)(struct cv_backend *be);
    /* Optional (NULL where there is no lock, as for local folders). Read back the lock of the
     * object that `kind`/`name` names (CV_OBJ_CONFIG: the config). */
    enum cv_err (*lock_read)(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                             struct cv_lock_info *out);
    /* Optional. When due (a tenth of the retention after the last complete extension), push
     * the lock of every object of the repository to now + retention (a lock can only ever be
     * lengthened); *extended counts the objects (0 when it was not due). */
    enum cv_err (*lock_extend)(struct cv_backend *be, uint64_t *extended);
};

struct cv_backend {
    const struct cv_backend_ops *ops;
    char *location; /* as the user gave it, for messages */
};

/* Open the repository storage at `location`: a folder path, or
 * `s3:http[s]://host[:port]/bucket[/prefix][?region=R&style=virtual]`. With opts->create,
 * make it (the folder must not exist or be empty; the bucket must exist, with Object Lock
 * and versioning unless opts->no_lock, and hold nothing under the prefix); otherwise it must
 * hold a config. `opts` may be NULL. Caller closes with cv_backend_close(). *out is NULL on
 * failure. */
enum cv_err cv_backend_open(const char *location, const struct cv_backend_opts *opts,
                            struct cv_backend **out);
/* true when `location` names an S3 repository ("s3:..."). */
bool cv_backend_is_s3(const char *location);
void cv_backend_close(struct cv_backend *be);

/* Read a whole object of at most `max` bytes into `b` (appending). CV_ETOOBIG past max. */
enum cv_err cv_backend_get_all(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                               size_t max, struct cv_buf *b);

/* ---- copy.c: replicating a repository without its key --------------------------------------- */
struct cv_copy_opts {
    cv_progress_fn progress; /* units are objects */
    void *progress_arg;
    bool no_extend; /* leave the target's locks as they are */
};

struct cv_copy_stats {
    uint64_t copied[CV_OBJ_PACK + 1];  /* objects written, by kind */
    uint64_t skipped[CV_OBJ_PACK + 1]; /* already in the target */
    uint64_t bytes;                    /* bytes written */
    uint64_t done, total;              /* objects looked at, objects in the source */
    uint64_t locks_extended;           /* objects whose lock was pushed out */
};

/* Make `to` a replica of `from`, object by object, still encrypted (no key is needed): key
 * files, config, packs, index objects, snapshots, in that order, skipping what `to` already
 * holds, so an interrupted copy resumes. `to` must be new (opened with create and resume) or
 * already hold the same config. Afterwards the target's locks are extended when due (S3). */
enum cv_err cv_copy(struct cv_backend *from, struct cv_backend *to, const struct cv_copy_opts *o,
                    struct cv_copy_stats *st);

/* The pieces of a copy, for copying chosen snapshots (store.h, cv_copy_snapshots). */
#define CV_COPY_OBJECT_MAX ((size_t)(1u << 30) + (64u << 20)) /* a pack of the largest size */
/* The first step of every copy: make `to` a (still empty) replica of `from` (its key files,
 * then its config), or check that it is one already. Adds to *st. */
enum cv_err cv_copy_begin(struct cv_backend *from, struct cv_backend *to,
                          const struct cv_copy_opts *o, struct cv_copy_stats *st);
/* Copy one object as it is (`buf`, of max CV_COPY_OBJECT_MAX, is working space); counts it in
 * *st. The put is durable after to's next sync. */
enum cv_err cv_copy_object(struct cv_backend *from, struct cv_backend *to, enum cv_obj_kind kind,
                           const char *name, struct cv_buf *buf, struct cv_copy_stats *st);

/* A sorted set of object names: what a copy compares between its two ends. Zero-initialise;
 * free with cv_name_set_free. */
struct cv_name_set {
    char (*names)[CV_OBJ_NAME_LEN + 1];
    size_t n, cap;
};
/* Every object of `kind` in `be`, added and sorted. */
enum cv_err cv_name_set_list(struct cv_backend *be, enum cv_obj_kind kind, struct cv_name_set *s);
/* Add a name (then cv_name_set_sort before asking). */
enum cv_err cv_name_set_add(struct cv_name_set *s, const char *name);
void cv_name_set_sort(struct cv_name_set *s);
bool cv_name_set_has(const struct cv_name_set *s, const char *name);
void cv_name_set_free(struct cv_name_set *s);

/* true when `name` is exactly 64 lower-case hex digits. */
bool cv_obj_name_valid(const char *name);
/* A fresh random object name (64 hex digits + NUL). */
void cv_obj_name_random(char name[CV_OBJ_NAME_LEN + 1]);

/* The local-folder backend; exposed for tests. */
enum cv_err cv_backend_local_open(const char *dir, const struct cv_backend_opts *opts,
                                  struct cv_backend **out);
/* The S3 backend (s3.c). */
enum cv_err cv_backend_s3_open(const char *location, const struct cv_backend_opts *opts,
                               struct cv_backend **out);

#endif
