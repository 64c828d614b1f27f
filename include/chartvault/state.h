/*
 * chartvault/state.h: what the protection daemon remembers between runs and tells `chartvault
 * status`: per repository the last snapshot, check and drill; the source's last change and scan;
 * MLLP counters; anomalies; the freeze. Kept in a small SQLite file (<state_dir>/state.sqlite, WAL)
 * so that the daemon writes while `status` and `resume` read, with no patient data in it.
 */
#ifndef CHARTVAULT_STATE_H
#define CHARTVAULT_STATE_H

#include <chartvault/config.h>

struct cv_state;

/* Open (creating the folder and tables as needed). `readonly` for status. */
enum cv_err cv_state_open(struct cv_state **out, const char *state_dir, bool readonly);
void cv_state_close(struct cv_state *s);

/* Group many writes into one transaction (the heartbeat). */
enum cv_err cv_state_begin(struct cv_state *s);
enum cv_err cv_state_commit(struct cv_state *s);

/* Small named values: heartbeat, pid, counters, times. Missing keys read as `def` / NULL. */
enum cv_err cv_state_set_int(struct cv_state *s, const char *key, long long v);
enum cv_err cv_state_set_text(struct cv_state *s, const char *key, const char *v);
long long cv_state_get_int(struct cv_state *s, const char *key, long long def);
/* Caller frees. NULL when missing. */
char *cv_state_get_text(struct cv_state *s, const char *key);
enum cv_err cv_state_delete(struct cv_state *s, const char *key);

/* One repository's record. Times are seconds since the epoch, 0 = never. */
struct cv_state_repo {
    char name[64];
    long long snap_time;    /* newest snapshot the daemon made (its time) */
    char snap_id[80];       /* its ID */
    long long snap_bytes;   /* repository size after it */
    long long snap_files;   /* files in it */
    bool snap_suspect;      /* tagged suspect (taken while frozen) */
    long long attempt_time; /* last attempt, successful or not */
    char last_error[256];   /* "" when the last attempt worked */
    long long failures;     /* attempts failed in a row */
    long long check_time;   /* last `check` */
    bool check_ok;
    char check_detail[256];
    long long drill_time; /* last restore drill */
    bool drill_ok;
    long long drill_files;  /* files restored and compared */
    long long drill_errors; /* mismatches, unreadable files, failures */
    char drill_detail[256];
};

enum cv_err cv_state_repo_get(struct cv_state *s, const char *name, struct cv_state_repo *out);
enum cv_err cv_state_repo_put(struct cv_state *s, const struct cv_state_repo *r);

/* One restore drill, kept as history for `chartvault report` (the last 1,000 are kept). */
struct cv_state_drill {
    long long time;   /* when it started, seconds since the epoch */
    char repo[64];    /* the repository's name in the config */
    char kind[8];     /* "sample" (hourly, a sample of files) or "full" (every file, the index) */
    char snap_id[80]; /* the snapshot restored; "" when the drill could not start */
    bool ok;
    long long files;  /* files restored and compared */
    long long bytes;  /* bytes restored */
    long long errors; /* mismatches, unreadable files, failures */
    double seconds;   /* wall time of the restore and its verification */
    long long rto;    /* the recovery time objective in force, seconds (0 = none) */
    char detail[256]; /* why it failed, or a summary; never patient data */
};
enum cv_err cv_state_drill_add(struct cv_state *s, const struct cv_state_drill *d);
/* Drills since `since` (0 = all), newest first, at most `max`; `repo` NULL for every
 * repository, `kind` NULL for both kinds. */
enum cv_err cv_state_drill_list(struct cv_state *s, long long since, const char *repo,
                                const char *kind, struct cv_state_drill *out, size_t max,
                                size_t *n);

/* One anomaly seen between two scans of a root. */
struct cv_state_anomaly {
    long long time;
    char root[16]; /* "source" or "mllp" */
    long long existing, changed, unparseable, high_entropy, renamed_unknown, vanished;
    bool froze;
};
enum cv_err cv_state_anomaly_add(struct cv_state *s, const struct cv_state_anomaly *a);
/* The newest `max` anomalies, newest first; *n is how many were filled. */
enum cv_err cv_state_anomaly_recent(struct cv_state *s, struct cv_state_anomaly *out, size_t max,
                                    size_t *n);

#endif
