/*
 * snapshot_index.h: the reference index stored in a snapshot, as a private read-only file a
 * command can open (`serve --repo`, `print --repo`): no separate dump step for the user.
 * Kept apart from vault_cli.h, because chartvault/store.h and chartvault/index.h cannot be
 * included together.
 */
#ifndef CHARTVAULT_SNAPSHOT_INDEX_H
#define CHARTVAULT_SNAPSHOT_INDEX_H

#include "cli.h"

struct cv_repo;

struct cli_snapshot_index {
    char *path;     /* DIR/index.db, mode 0400 */
    char *dir;      /* the private temporary folder holding it (0700) */
    char name[80];  /* the snapshot's full name */
    long long time; /* the snapshot's time (seconds since 1970) */
};

/* Open the repository at `repo` (asking for its passphrase like every vault command), find
 * `spec` ("latest", a name or a prefix) and write its index into a new private folder under
 * $TMPDIR. Returns 0, or 1 after printing why (a snapshot without an index says so). */
int cli_snapshot_index_get(const char *cmd, const char *repo, const char *password_file,
                           const char *spec, struct cli_snapshot_index *out);
/* The same from a repository already open (the snapshot helper of serve keeps it open). */
int cli_snapshot_index_from(const char *cmd, struct cv_repo *r, const char *repo, const char *spec,
                            struct cli_snapshot_index *out);
/* Open a repository asking for its passphrase (returns 0, or 1 after printing why), close. */
int cli_repo_open(const char *cmd, const char *repo, const char *password_file,
                  struct cv_repo **out);
void cli_repo_close(struct cv_repo *r);
/* Remove the temporary copy and folder. */
void cli_snapshot_index_drop(struct cli_snapshot_index *s);

struct cli_snapshot_entry {
    char name[80];
    long long time;
    bool has_db;
    bool suspect; /* tagged "suspect" (taken while the source was frozen) */
};
/* Every snapshot of the repository, oldest first. Returns 0, or 1 after printing why.
 * [out] *v: caller frees with cv_free(). */
int cli_snapshot_list(const char *cmd, struct cv_repo *r, struct cli_snapshot_entry **v, size_t *n);

#endif
