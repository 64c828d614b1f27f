/*
 * local_int.h: what the local-folder backend (local.c) and its removal half (remove_local.c)
 * share: where an object lives in the folder.
 */
#ifndef CHARTVAULT_BACKEND_LOCAL_INT_H
#define CHARTVAULT_BACKEND_LOCAL_INT_H

#include <chartvault/backend_remove.h>

/* The path of an object relative to the repository folder ("packs/ab/ab...", "config"). */
enum cv_err cv_backend_local_path(enum cv_obj_kind kind, const char *name, char *path, size_t n);
/* The removal handle of a local folder. */
enum cv_err cv_remover_local_open(const char *dir, struct cv_remover **out);
/* The removal handle of an S3 repository (remove_s3.c). */
enum cv_err cv_remover_s3_open(const char *location, const struct cv_backend_opts *opts,
                               struct cv_remover **out);

#endif
