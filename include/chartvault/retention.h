/*
 * chartvault/retention.h: removing what a repository no longer needs, as an act of its own:
 * `forget` removes snapshots a keep policy does not keep, `prune` removes the data no snapshot
 * left needs (docs/FORMAT.md "Prune"). Both work through a removal handle
 * (chartvault/backend_remove.h) that the backup path and the daemon never open. Every function
 * returns 0 or an enum cv_err with a message; nothing here prints or exits.
 */
#ifndef CHARTVAULT_RETENTION_H
#define CHARTVAULT_RETENTION_H

#include <chartvault/backend_remove.h>
#include <chartvault/store.h>

/* ---- forget ---------------------------------------------------------------------------------- */
/* Snapshots are judged in groups of one host and source, newest first; within a group the
 * newest is always kept (a running backup builds on it). A rule at 0 is off. */
struct cv_keep_policy {
    int64_t within; /* seconds: every snapshot this close to the group's newest */
    unsigned last;  /* the newest N */
    /* the newest snapshot of each of the last N hours, days, ISO weeks, months, years (local
     * time) that have one */
    unsigned hourly, daily, weekly, monthly, yearly;
    const char *tag; /* only snapshots with this tag are judged (others are kept); NULL: all */
};

#define CV_KEEP_WHY_MAX 96

/* For `n` snapshots (oldest first, as cv_snapshots_list gives them): keep[i], and in why[i]
 * the rules that keep it ("within 30d, daily") or "" for one to forget. */
void cv_forget_plan(const struct cv_snapshot *s, size_t n, const struct cv_keep_policy *p,
                    bool *keep, char (*why)[CV_KEEP_WHY_MAX]);

struct cv_forget_stats {
    uint64_t kept, forgotten, locked; /* locked: the storage refused to remove it yet */
};
/* Each snapshot judged: kept (with why) or forgotten (res: what the storage said; with
 * dry_run, CV_REMOVE_ABSENT: nothing was asked). */
typedef void (*cv_forget_fn)(void *arg, const struct cv_snapshot *s, bool keep, const char *why,
                             enum cv_remove_result res);

/* Remove every snapshot object `p` does not keep (none with `dry_run`). The data they held
 * stays until `prune`. CV_EINVAL when every rule is off. */
enum cv_err cv_forget(struct cv_repo *repo, struct cv_remover *rm, const struct cv_keep_policy *p,
                      bool dry_run, cv_forget_fn fn, void *arg, struct cv_forget_stats *st);

/* ---- prune ---------------------------------------------------------------------------------- */
struct cv_prune_opts {
    bool dry_run;
    /* seconds between saying what will go (a record backups read) and removing it; a backup
     * that finishes within it is taken into account. Default (0 given): 60. Use
     * CV_PRUNE_NO_GRACE only when no backup can be running. */
    int64_t grace;
    cv_progress_fn progress; /* also asked during the grace: false stops (CV_ECANCELED) */
    void *progress_arg;
    /* Packs no index names (a killed backup's) go once written this many seconds ago.
     * Default (0 given): 24 hours, longer than any backup takes between two index objects;
     * negative: never. */
    int64_t unindexed_age;
    /* Each object that goes (or, with dry_run, would): what ("pack", "unindexed pack",
     * "index"), its name, its size, what the storage said, and for CV_REMOVE_LOCKED the date
     * its lock runs out (seconds since the epoch; 0 when the storage did not say). With
     * dry_run, CV_REMOVE_ABSENT means "would go". */
    void (*item)(void *arg, const char *what, const char *name, uint64_t bytes,
                 enum cv_remove_result res, int64_t until);
    void *arg;
};
#define CV_PRUNE_NO_GRACE (-1)

struct cv_prune_stats {
    uint64_t snapshots;                  /* snapshots whose data is kept */
    uint64_t packs, packs_bytes;         /* packs indexed before */
    uint64_t packs_unused, unused_bytes; /* packs no snapshot needs: removed */
    uint64_t packs_partly, partly_bytes; /* packs partly needed: kept whole */
    uint64_t dead_in_partly;             /* of which bytes (raw) no snapshot needs */
    uint64_t removed, freed_bytes;       /* what went: packs, and their bytes */
    uint64_t locked, locked_bytes;       /* objects the storage keeps yet (its lock) */
    uint64_t unindexed, unindexed_bytes; /* stored packs no index names, old enough to go */
    uint64_t unindexed_young;            /* and those too new to judge (kept) */
    uint64_t index_before, index_after;  /* index objects */
    uint64_t records_removed;            /* records of earlier prunes cleared */
    double seconds;
};

/* Remove every pack no snapshot needs, and rewrite the index without them. Refuses to run when
 * any snapshot, tree or index object cannot be read (run check): what they name would look
 * unneeded. Safe to stop at any moment, and beside backups (docs/FORMAT.md "Prune"). */
enum cv_err cv_prune(struct cv_repo *repo, struct cv_remover *rm, const struct cv_prune_opts *o,
                     struct cv_prune_stats *st);

#endif
