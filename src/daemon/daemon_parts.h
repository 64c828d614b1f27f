/*
 * daemon_parts.h: how the daemon's pieces talk to each other. The run loop (run.c) owns the
 * schedule; the indexer (indexer.c) watches the trees on its own thread, keeps the index
 * current and decides freezes; the MLLP store (mllp_store.c) turns received messages into
 * SS-MIX2 files; protect.c takes snapshots and runs drills through the vault.
 */
#ifndef CHARTVAULT_DAEMON_PARTS_H
#define CHARTVAULT_DAEMON_PARTS_H

#include <chartvault/config.h>

#include "daemon/alert.h"
#include "daemon/mllp.h"

/* ---- indexer ------------------------------------------------------------------------- */
struct cv_indexer;

struct cv_indexer_stats {
    long long last_change;    /* newest change seen in the trees (mtime, s) */
    long long files;          /* message files under watch */
    long long last_scan;      /* end of the last scan of any kind */
    long long last_full_scan; /* end of the last full rescan */
    long long applied;        /* changes applied to the index since start */
    long long generation;     /* grows with every change applied (snapshots compare it) */
    bool frozen;
    long long frozen_since;
    char frozen_reason[256];
};

enum cv_err cv_indexer_open(struct cv_indexer **out, const struct cv_config *cfg,
                            struct cv_alerter *alerts);
/* Scan once now (the start-up scan, with the anomaly check), then watch on a thread. */
enum cv_err cv_indexer_start(struct cv_indexer *ix);
void cv_indexer_request_rescan(struct cv_indexer *ix);
/* Lift the freeze: the next scan takes the trees as they are as the new baseline. */
void cv_indexer_request_resume(struct cv_indexer *ix);
void cv_indexer_stats(struct cv_indexer *ix, struct cv_indexer_stats *out);
/* Index files the MLLP store just wrote or renamed (relative to the MLLP storage root);
 * thread-safe. Gives up with CV_EBUSY rather than wait long (a first full build may hold the
 * index for minutes): the files are durable and the next scan indexes them. */
enum cv_err cv_indexer_add_mllp_files(struct cv_indexer *ix, const char *const *relpaths, size_t n);
/* Write a consistent copy of the index database to `dest` (for a snapshot). */
enum cv_err cv_indexer_copy_db(struct cv_indexer *ix, const char *dest);
void cv_indexer_free(struct cv_indexer *ix);

/* ---- MLLP storage ---------------------------------------------------------------------- */
struct cv_mllp_store;

enum cv_err cv_mllp_store_open(struct cv_mllp_store **out, const struct cv_config *cfg,
                               struct cv_indexer *ix);
/* The cv_mllp_handler for the listener; `arg` is the store. */
void cv_mllp_store_handle(enum cv_mllp_frame_status status, const char *msg, size_t len,
                          size_t full_len, const char *peer, struct cv_ack_request *req,
                          struct cv_ack_reply *reply, void *arg);
void cv_mllp_store_free(struct cv_mllp_store *st);

/* ---- snapshots and drills (through the vault) ----------------------------------------- */
struct cv_snap_info {
    char id[80];
    long long time;
    long long bytes; /* repository size */
    long long files;
    bool suspect;
};

/* The newest snapshot in the repository; CV_ENOENT when there is none. */
enum cv_err cv_protect_newest(const struct cv_config_repo *r, struct cv_snap_info *out);
/* Snapshot the source tree, the MLLP storage and the index copy at `index_copy`. */
enum cv_err cv_protect_snapshot(const struct cv_config *cfg, const struct cv_config_repo *r,
                                const char *index_copy, bool suspect, struct cv_snap_info *out);

struct cv_drill_result {
    long long files;  /* restored and compared */
    long long errors; /* hash mismatches, unreadable objects, files that do not parse */
    char detail[256]; /* the first problem, or a summary */
};
/* Restore `sample` random files and the index of the newest snapshot into `scratch`, compare
 * with the recorded hashes, parse as HL7. CV_OK with errors > 0 is a failed drill that ran;
 * an error return means the drill could not run at all (also a failure). */
enum cv_err cv_protect_drill(const struct cv_config_repo *r, const char *scratch, long sample,
                             struct cv_drill_result *out);
/* Where a repository lives, for the 3-2-1-1-0 line. */
void cv_protect_repo_kind(const struct cv_config_repo *r, bool *offsite, bool *immutable);

/* "45 s", "12 min", "3.5 h", "2.0 d": an age or a limit as a person reads it. */
void cv_format_duration(long long seconds, char *buf, size_t n);

#endif
