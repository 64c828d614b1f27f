/*
 * daemon_parts.h: how the daemon's pieces talk to each other. The run loop (run.c) owns the
 * schedule; the indexer (indexer.c) watches the trees on its own thread, keeps the index
 * current and decides freezes; the MLLP store (mllp_store.c) turns received messages into
 * SS-MIX2 files; protect.c takes snapshots and runs drills through the vault.
 */
#ifndef CHARTVAULT_DAEMON_PARTS_H
#define CHARTVAULT_DAEMON_PARTS_H

#include <chartvault/backend.h>
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
/* Note every change inotify reports in the source tree in `j` (before cv_indexer_start); when
 * events are lost or folders go unwatched, the journal is told it lost them. */
struct cv_journal;
void cv_indexer_set_journal(struct cv_indexer *ix, struct cv_journal *j);
/* Is every inotify event so far in the journal (none waiting to be read)? A snapshot that
 * starts while some wait (the indexer's thread is busy with a full scan) walks the tree. */
bool cv_indexer_journal_current(struct cv_indexer *ix);
/* Write a consistent copy of the index database to `dest` (for a snapshot). */
enum cv_err cv_indexer_copy_db(struct cv_indexer *ix, const char *dest);
void cv_indexer_free(struct cv_indexer *ix);

/* ---- MLLP storage ---------------------------------------------------------------------- */
struct cv_mllp_store;

/* `ix` may be NULL (then stored files wait for the next scan; used by the fuzz target). */
enum cv_err cv_mllp_store_open(struct cv_mllp_store **out, const struct cv_config *cfg,
                               struct cv_indexer *ix);
/* The cv_mllp_handler for the listener; `arg` is the store. */
void cv_mllp_store_handle(enum cv_mllp_frame_status status, const char *msg, size_t len,
                          size_t full_len, const char *peer, struct cv_ack_request *req,
                          struct cv_ack_reply *reply, void *arg);
void cv_mllp_store_free(struct cv_mllp_store *st);
/* Note every file the store writes or renames in `j`. */
void cv_mllp_store_set_journal(struct cv_mllp_store *st, struct cv_journal *j);
/* Storage failures so far; `failing` while none has been stored since the last failure. */
void cv_mllp_store_health(struct cv_mllp_store *st, unsigned long *failures, bool *failing,
                          char *last, size_t n);

/* ---- snapshots and drills (through the vault) ----------------------------------------- */
struct cv_snap_info {
    char id[80];     /* short IDs, "1a2b3c4d" or "1a2b3c4d+5e6f7a8b" (source + MLLP storage) */
    long long time;  /* of the older of the two: the round is only as fresh as its oldest part */
    long long bytes; /* repository size */
    long long files;
    bool suspect;
    char names[2][65]; /* full names of the round's snapshots (source, MLLP), "" when absent */
};

/* One configured repository, opened on first use and kept open (its key is unwrapped once);
 * after a failure it is closed and opened again next time, so a repository that vanished and
 * came back (a USB disk) is picked up without a restart. */
struct cv_protector;

enum cv_err cv_protector_new(struct cv_protector **out, const struct cv_config *cfg,
                             const struct cv_config_repo *r);
void cv_protector_free(struct cv_protector *p);
/* Long work (backup, restore, check) asks `fn` now and then whether to go on; false stops it
 * with CV_ECANCELED (the daemon is stopping). */
void cv_protector_set_cancel(struct cv_protector *p, cv_progress_fn fn, void *arg);
/* The newest complete round of snapshots made by the daemon; CV_ENOENT when there is none. */
enum cv_err cv_protector_newest(struct cv_protector *p, struct cv_snap_info *out);
/* What changed in one tree since this protector's last snapshot of it, from the change journal:
 * `paths` (relative to the tree); with `walk`, it is not known and the whole tree is read. */
struct cv_snap_changes {
    bool walk;
    const char *const *paths;
    size_t n;
};
/* Snapshot the source tree and the MLLP storage, each with the index copy at `index_copy`.
 * `changes` (one per tree: source, MLLP storage; NULL = walk both) lets a snapshot read only
 * what changed; it is used only on top of the snapshot this protector made last of that tree
 * (any other parent, or none, and the tree is walked). [out] walked: which trees were walked. */
enum cv_err cv_protector_snapshot(struct cv_protector *p, const char *index_copy, bool suspect,
                                  const struct cv_snap_changes changes[2], bool walked[2],
                                  struct cv_snap_info *out);

struct cv_drill_result {
    long long files;  /* restored and compared */
    long long bytes;  /* restored */
    long long errors; /* damaged objects, mismatches, files that no longer parse */
    double seconds;   /* wall time, from opening the repository to the index opened */
    char snap_id[80]; /* the round restored ("1a2b3c4d+5e6f7a8b") */
    char detail[256]; /* the first problem, or a summary */
};
/* Restore a random sample of files and the index of the newest snapshots into `scratch`,
 * let the vault verify every object, compare with the live files that did not change since,
 * parse as HL7, open the index. CV_OK with errors > 0 is a failed drill that ran; an error
 * return means the drill could not run at all (also a failure). */
enum cv_err cv_protector_drill(struct cv_protector *p, const char *scratch, long sample,
                               struct cv_drill_result *out);
/* A full drill: restore the newest round completely into `scratch` (which must have room for
 * it: checked first), verify every file as the sample drill does (size, the live file's bytes
 * when unchanged, HL7), restore and open the index, and time it all: the measured recovery
 * time of the data. Same returns as cv_protector_drill. */
enum cv_err cv_protector_drill_full(struct cv_protector *p, const char *scratch,
                                    struct cv_drill_result *out);
struct cv_state;
struct cv_state_drill;
/* Fill `h` for a drill of `repo` started at `started` (a failure to run at all: `err`, with
 * `why`) and add it to the state's drill history (when `s`). */
void cv_drill_record(struct cv_state *s, const char *repo, bool full, long long started, long rto,
                     const struct cv_drill_result *res, enum cv_err err, const char *why,
                     struct cv_state_drill *h);
/* Open an index file read-only and read its summary: does a restored index work? (Kept apart
 * from protect.c: chartvault/index.h and chartvault/store.h cannot be included together.) */
enum cv_err cv_index_probe(const char *path, long long *files);
/* Check the repository's structure (every index, snapshot and tree; packs are read by drills).
 * *ok false with `detail` when it found damage; an error return when it could not run. */
enum cv_err cv_protector_check(struct cv_protector *p, bool *ok, char *detail, size_t n);
/* Where a repository lives, for the 3-2-1-1-0 line: off-site, and able to lock (S3). */
void cv_protect_repo_kind(const struct cv_config_repo *r, bool *offsite, bool *immutable);
/* The storage options of a [repo] section (S3 credentials, CA file, retention). */
void cv_protect_backend_opts(const struct cv_config_repo *r, struct cv_backend_opts *o);
/* Read back the locks of the config and of the round's snapshots; *out is the weakest. */
enum cv_err cv_protector_lock(struct cv_protector *p, const struct cv_snap_info *info,
                              struct cv_lock_info *out);
/* Push every object's lock out to now + retention (S3; nothing elsewhere). */
enum cv_err cv_protector_extend_locks(struct cv_protector *p, uint64_t *extended);
/* Make this repository a replica of `src` (cv_copy: no key needed), creating it if new. */
enum cv_err cv_protector_copy_from(struct cv_protector *p, const struct cv_config_repo *src,
                                   struct cv_copy_stats *st);

/* ---- downtime packs ([print], packs.c) ------------------------------------------------ */
struct cv_packer;

enum cv_err cv_packer_new(struct cv_packer **out, const struct cv_config *cfg,
                          struct cv_alerter *alerts);
/* Refresh the packs when due, or now (after a freeze); a failure is alerted, not fatal. */
void cv_packer_tend(struct cv_packer *p, time_t now, bool now_please);
void cv_packer_free(struct cv_packer *p);

/* "45 s", "12 min", "3.5 h", "2.0 d": an age or a limit as a person reads it. */
void cv_format_duration(long long seconds, char *buf, size_t n);

#endif
