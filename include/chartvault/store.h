/*
 * chartvault/store.h: the vault: encrypted, deduplicated, compressed, append-only snapshots
 * of a folder tree (an SS-MIX2 export) and of the SQLite reference index beside it. The format
 * is described in docs/FORMAT.md. Every function returns 0 or an enum cv_err with a message
 * (cv_errmsg); output pointers are zeroed on failure; nothing here prints or exits.
 */
#ifndef CHARTVAULT_STORE_H
#define CHARTVAULT_STORE_H

#include <chartvault/common.h>

#define CV_SNAPSHOT_NAME_LEN 64 /* hex digits; the short ID is the first 8 */

struct cv_repo;
struct cv_backend_opts;
struct cv_copy_opts;
struct cv_copy_stats;

/* ---- repositories ------------------------------------------------------------------------ */
enum cv_kdf_cost { CV_KDF_DEFAULT, CV_KDF_STRONG, CV_KDF_FAST };

struct cv_repo_init_opts {
    enum cv_kdf_cost kdf;
    uint32_t pack_size; /* bytes; 0 = default (8 MiB) */
    unsigned format;    /* 0 = the current one (2); 1 = a full tree per snapshot, as before */
    /* format 2: runs of one level merged into one of the next (0 = 16), levels before the
     * full tree is rewritten (0 = 3); small values are for tests */
    unsigned merge_fan_in, merge_levels;
    uint32_t chunk_size; /* bytes of a file chunk, 4 KiB to 1 MiB; 0 = 64 KiB. For tests */
};

/* Create a repository at `location` (a new or empty folder), its master key wrapped by
 * `passphrase`. [out] id: the repository ID in hex. */
enum cv_err cv_repo_init(const char *location, const char *passphrase,
                         const struct cv_repo_init_opts *opts, char id[65]);
/* The same with the storage's options (S3 credentials, retention, --no-lock); NULL = defaults. */
enum cv_err cv_repo_init_with(const char *location, const char *passphrase,
                              const struct cv_repo_init_opts *opts,
                              const struct cv_backend_opts *bopts, char id[65]);

/* Open a repository: unwrap the key (CV_EAUTH "wrong passphrase for 'DIR'"), check the config,
 * load the index (from the local cache when it is current). Caller closes. */
enum cv_err cv_repo_open(const char *location, const char *passphrase, struct cv_repo **out);
/* The same with the storage's options (S3 credentials, CA file, retention); NULL = defaults. */
enum cv_err cv_repo_open_with(const char *location, const char *passphrase,
                              const struct cv_backend_opts *opts, struct cv_repo **out);
/* The storage under an open repository (for copy and lock upkeep). Valid until closed. */
struct cv_backend *cv_repo_backend(struct cv_repo *repo);
void cv_repo_close(struct cv_repo *repo);
const char *cv_repo_id(const struct cv_repo *repo);
/* The repository's format (1 or 2, docs/FORMAT.md). */
unsigned cv_repo_format(const struct cv_repo *repo);
/* Warnings met while opening (damaged index objects skipped), or 0. */
uint64_t cv_repo_warnings(const struct cv_repo *repo);

/* ---- snapshots --------------------------------------------------------------------------- */
struct cv_backup_stats {
    uint64_t files, dirs, bytes; /* what the snapshot holds */
    uint64_t files_new, files_changed, files_unchanged, errors;
    uint64_t bytes_read;                     /* read from the source */
    uint64_t added_data_raw, added_tree_raw; /* new unique blob bytes before compression */
    uint64_t added_stored;                   /* bytes written to the repository */
    uint64_t blobs_new;
    double seconds;
};

#define CV_RUNS_MAX 64 /* runs one snapshot may stack on its full tree */

/* A run: the changes of one backup, or of several merged (docs/FORMAT.md "Runs"). */
struct cv_snapshot_run {
    uint8_t root[32]; /* its root listing (a tree blob) */
    uint8_t level;    /* 0: one backup's; n: the merge of CV_MERGE_FAN_IN runs of level n - 1 */
};

struct cv_snapshot {
    char name[CV_SNAPSHOT_NAME_LEN + 1];
    int64_t time;       /* seconds since the epoch */
    uint32_t time_nsec; /* and nanoseconds: backups a second apart still sort in order */
    char *hostname;
    char *source;
    char **tags;
    size_t ntags;
    uint8_t tree[32];             /* the full tree at the bottom of the snapshot */
    struct cv_snapshot_run *runs; /* the changes on top of it, oldest first */
    size_t nruns;
    bool has_parent;
    char parent[CV_SNAPSHOT_NAME_LEN + 1];
    bool has_db;
    char *db_name; /* file name of the stored reference index */
    uint64_t db_size;
    struct cv_backup_stats stats; /* as recorded by the backup that made it */
    /* private: the reference index's tree entry, in the snapshot (db_entry_) or, in format 2,
     * a tree blob of its own listing that one entry (db_tree_), so that the snapshot object
     * stays small however many chunks the index has */
    uint8_t *db_entry_;
    size_t db_entry_len_;
    bool db_out_of_line_;
    uint8_t db_tree_[32];
};

/* Every snapshot, oldest first. Caller frees with cv_snapshots_free(). */
enum cv_err cv_snapshots_list(struct cv_repo *repo, struct cv_snapshot **out, size_t *n);
void cv_snapshots_free(struct cv_snapshot *s, size_t n);
/* The snapshot named by `spec`: "latest", a full name or a unique prefix of at least 4 hex
 * digits. Caller frees with cv_snapshot_clear(). */
enum cv_err cv_snapshot_find(struct cv_repo *repo, const char *spec, struct cv_snapshot *out);
void cv_snapshot_clear(struct cv_snapshot *s);

/* Every blob a snapshot needs (its full tree, its runs, its files, its reference index) that
 * the index knows, each once, with the name of the pack that holds it: what a copy of that
 * snapshot must carry. */
typedef enum cv_err (*cv_blob_fn)(void *arg, const uint8_t id[32], const char *pack);
enum cv_err cv_snapshot_blobs(struct cv_repo *repo, const struct cv_snapshot *s, cv_blob_fn fn,
                              void *arg);

/* ---- backup -------------------------------------------------------------------------------- */
/* Called for each file or folder that could not be read (the backup goes on without it). */
typedef void (*cv_problem_fn)(void *arg, const char *path, const char *reason);

struct cv_backup_opts {
    const char *source;      /* folder to back up */
    const char *db;          /* SQLite reference index to store with it, or NULL */
    const char *const *tags; /* NULL-terminated, or NULL */
    const char *parent;      /* snapshot spec to compare against; NULL = latest of source */
    bool read_all;           /* read every file, even those the parent shows unchanged */
    /* A change journal: the paths (relative to `source`, '/'-separated) that may have changed
     * since the parent snapshot; nothing else is looked at (a folder named is read whole).
     * Used in a format-2 repository with a parent; otherwise the whole source is walked. */
    const char *const *changes;
    size_t nchanges;
    cv_progress_fn progress;
    void *progress_arg;
    cv_problem_fn problem;
    void *problem_arg;
};

/* Back up `opts->source` (and `opts->db`) into a new snapshot. Files that could not be read
 * are reported through `problem` and counted in stats->errors; the snapshot is still written.
 * [out] name: the new snapshot's name. */
enum cv_err cv_backup(struct cv_repo *repo, const struct cv_backup_opts *opts,
                      char name[CV_SNAPSHOT_NAME_LEN + 1], struct cv_backup_stats *stats);

/* ---- reading snapshots --------------------------------------------------------------------- */
enum cv_node_kind { CV_NODE_FILE, CV_NODE_DIR, CV_NODE_SYMLINK };

struct cv_node {
    enum cv_node_kind kind;
    const char *path; /* relative to the snapshot root, '/'-separated */
    uint32_t mode;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint64_t size;
    const char *target; /* symlinks */
};

typedef enum cv_err (*cv_node_fn)(void *arg, const struct cv_node *node);

/* Every node at or under `path` ("" or NULL = everything), depth first, names sorted. */
enum cv_err cv_snapshot_walk(struct cv_repo *repo, const struct cv_snapshot *snap, const char *path,
                             cv_node_fn fn, void *arg);

enum cv_change {
    CV_CHANGE_ADDED,
    CV_CHANGE_REMOVED,
    CV_CHANGE_MODIFIED,
    CV_CHANGE_RENAMED,
    CV_CHANGE_META
};
typedef enum cv_err (*cv_change_fn)(void *arg, enum cv_change change, const char *path,
                                    const char *new_path, enum cv_node_kind kind);
struct cv_diff_stats {
    uint64_t added, removed, modified, renamed, meta;
};
/* What changed from `a` to `b`. A file that vanished under one name and appeared with the same
 * content under another (SS-MIX2's `_1` -> `_2`) is reported once, as renamed. */
enum cv_err cv_snapshot_diff(struct cv_repo *repo, const struct cv_snapshot *a,
                             const struct cv_snapshot *b, cv_change_fn fn, void *arg,
                             struct cv_diff_stats *stats);

/* ---- restore ------------------------------------------------------------------------------- */
struct cv_restore_opts {
    const char *target;
    const char *patient;        /* SS-MIX2 patient ID: restore that folder only */
    const char *const *include; /* NULL-terminated globs over relative paths, or NULL */
    bool force; /* allow a non-empty target, replace files (never through a link: a file
                   with other hard links, a symbolic link or a folder that is a link is
                   refused, named through `problem` and counted in stats->refused) */
    cv_progress_fn progress;
    void *progress_arg;
    cv_problem_fn problem; /* each file that could not be restored (called by one thread at
                              a time, but not always the caller's) */
    void *problem_arg;
};

struct cv_restore_stats {
    uint64_t files, dirs, bytes; /* written */
    uint64_t failed;             /* damaged in the repository: not written */
    double seconds;
    uint64_t refused; /* a link or something else stood where they go: not written */
};

/* Restore a snapshot (or the chosen part) into opts->target. Files whose data is damaged are
 * reported through `problem`, counted in stats->failed, and not written; anything already in
 * the target that would make a write go elsewhere (a symbolic link, a file with other hard
 * links, a link where a folder goes) is reported, counted in stats->refused and left alone
 * with what was to go there; the rest goes on. Returns CV_ECORRUPT when any file failed,
 * else CV_EEXIST when any was refused. */
enum cv_err cv_restore(struct cv_repo *repo, const struct cv_snapshot *snap,
                       const struct cv_restore_opts *opts, struct cv_restore_stats *stats);

/* Write the reference index stored in `snap` to `out_path` (mode 0600, atomically); refuses an
 * existing file unless `force`. [out] size. */
enum cv_err cv_dump_index(struct cv_repo *repo, const struct cv_snapshot *snap,
                          const char *out_path, bool force, uint64_t *size);

/* ---- copying chosen snapshots ---------------------------------------------------------------- */
/* What copying chosen snapshots takes: the snapshots and the packs holding a blob they need
 * (their trees with the ditto copies, file data, the reference index), found by opening their
 * trees with the key. Made before the target is touched, so that a mistyped or damaged snapshot
 * leaves no target behind. */
struct cv_copy_plan;
/* Plan the copy of `specs[n]` ("latest", names or unique prefixes) of `repo`. CV_ENOENT or
 * CV_EINVAL for a spec that names no snapshot; CV_ECORRUPT (naming what is missing) when a
 * snapshot is damaged in `repo`. `repo` must stay open while the plan is used. Caller frees. */
enum cv_err cv_copy_plan_new(struct cv_repo *repo, const char *const *specs, size_t n,
                             struct cv_copy_plan **out);
/* Copy the planned snapshots into `to`, which becomes a replica of the plan's repository (or
 * must be one already: the same config; its key files, config first, as cv_copy). The packs
 * `to` lacks are copied as they are, then new index objects describe every such pack that no
 * index object of `to` describes yet, then the snapshot objects: `to` is a valid repository at
 * every moment and each of these snapshots restores from it. What `to` holds is skipped (an
 * interrupted copy resumes). Afterwards the locks of `to` are extended when due (S3). */
enum cv_err cv_copy_plan_run(const struct cv_copy_plan *plan, struct cv_backend *to,
                             const struct cv_copy_opts *o, struct cv_copy_stats *st);
void cv_copy_plan_free(struct cv_copy_plan *plan);

/* ---- check --------------------------------------------------------------------------------- */
struct cv_check_opts {
    bool read_data;        /* read and verify every pack */
    double subset_percent; /* with read_data: this share of the packs (100 = all) */
    cv_progress_fn progress;
    void *progress_arg;
    /* Each problem: `object` is "pack <name>", "index <name>", "snapshot <name>" ...; */
    void (*problem)(void *arg, const char *object, const char *reason);
    /* Each file of a snapshot that a problem makes unrestorable. */
    void (*affected)(void *arg, const char *snapshot, const char *path);
    void *arg;
};

struct cv_check_stats {
    uint64_t snapshots, indexes, packs, blobs, trees, files;
    uint64_t packs_read, bytes_read;
    uint64_t problems, affected_files;
    uint64_t unindexed_packs, temporaries;
};

/* Verify the repository; returns CV_ECORRUPT when it found any problem. */
enum cv_err cv_check(struct cv_repo *repo, const struct cv_check_opts *opts,
                     struct cv_check_stats *stats);

#endif
