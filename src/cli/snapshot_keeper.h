/*
 * snapshot_keeper.h: the helper process of `chartvault serve --repo` that alone holds the
 * repository key and hands the viewer snapshots' indexes as files (snapshot_keeper.c).
 */
#ifndef CHARTVAULT_SNAPSHOT_KEEPER_H
#define CHARTVAULT_SNAPSHOT_KEEPER_H

#include "snapshot_index.h"

struct cli_keeper;

/* Fork the helper; it opens the repository (asking for the passphrase on the terminal when
 * neither `password_file` nor $CHARTVAULT_PASSWORD gives it). [out] *out. */
enum cv_err cli_keeper_start(const char *repo, const char *password_file, struct cli_keeper **out);
/* Close the socket (the helper removes its copies and exits) and wait for it. */
void cli_keeper_stop(struct cli_keeper *k);
/* The path of a read-only copy of `spec`'s index ("latest", a name or prefix), its full name
 * and time. Thread-safe. */
enum cv_err cli_keeper_index(struct cli_keeper *k, const char *spec, char *path, size_t n,
                             char name[80], long long *time);
/* Every snapshot, oldest first. [out] *v: caller frees with cv_free(). Thread-safe. */
enum cv_err cli_keeper_list(struct cli_keeper *k, struct cli_snapshot_entry **v, size_t *n);

#endif
