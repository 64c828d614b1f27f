/*
 * chartvault/backend.h: where a repository's files live. A backend is a struct of function
 * pointers over named, immutable objects: create-once `put`, a durability barrier `sync`, ranged
 * `get`, `size` and `list`. There is deliberately no delete and no overwrite, so the same
 * interface fits a local folder (today), an append-only repository server and an S3 bucket with
 * Object Lock (later): the protection host can add to a copy but never destroy it.
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
};

struct cv_backend {
    const struct cv_backend_ops *ops;
    char *location; /* as the user gave it, for messages */
};

/* Open the repository storage at `location` (a folder path today). With `create`, make it
 * (the folder must not exist or be empty) and its layout; otherwise it must hold a config.
 * Caller closes with cv_backend_close(). *out is NULL on failure. */
enum cv_err cv_backend_open(const char *location, bool create, struct cv_backend **out);
void cv_backend_close(struct cv_backend *be);

/* Read a whole object of at most `max` bytes into `b` (appending). CV_ETOOBIG past max. */
enum cv_err cv_backend_get_all(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                               size_t max, struct cv_buf *b);

/* true when `name` is exactly 64 lower-case hex digits. */
bool cv_obj_name_valid(const char *name);
/* A fresh random object name (64 hex digits + NUL). */
void cv_obj_name_random(char name[CV_OBJ_NAME_LEN + 1]);

/* The local-folder backend; exposed for tests. */
enum cv_err cv_backend_local_open(const char *dir, bool create, struct cv_backend **out);

#endif
