/*
 * chartvault/daemon.h: the continuous-protection daemon (`chartvault run`) and what reads its
 * state (`chartvault status`, `chartvault resume`). The daemon watches the SS-MIX2 tree and
 * keeps the index current, receives HL7 over MLLP into SS-MIX2 storage, snapshots into every
 * repository on a schedule, proves restores with drills, freezes on ransomware-like change,
 * and alerts when any of it stops. See docs/DAEMON.md.
 */
#ifndef CHARTVAULT_DAEMON_H
#define CHARTVAULT_DAEMON_H

#include <chartvault/config.h>

/* Run until SIGTERM or SIGINT (blocked in every thread and taken through a signalfd, so
 * call this from the main thread before making others). SIGHUP asks for a full rescan now.
 * Fails at once when the config cannot be served (a taken port, an unreadable password
 * file, the state folder locked by another daemon); later trouble is alerted, not fatal. */
enum cv_err cv_daemon_run(const struct cv_config *cfg);

/* ---- drills ---------------------------------------------------------------------------- */
/* One restore drill of one repository, as `chartvault drill` prints it. */
struct cv_drill_report {
    char repo[64];
    bool full;     /* every file of the newest round, else a sample */
    bool ran;      /* false: it could not run at all (detail says why) */
    bool ok;       /* ran, and every restored file and the index verified */
    bool over_rto; /* full: took longer than [drill] rto */
    char snap_id[80];
    long long files, bytes, errors;
    double seconds; /* wall time: the measured recovery time of the data, for a full drill */
    long rto;
    char detail[256];
};
typedef void (*cv_drill_done_fn)(const struct cv_drill_report *r, void *arg);

struct cv_drill_opts {
    const char *repo;        /* only this [repo NAME]; NULL = each in turn */
    bool full;               /* restore the newest round completely (else [drill] sample files) */
    cv_progress_fn progress; /* asked now and then; false stops the drill */
    void *progress_arg;
    cv_drill_done_fn done; /* each repository's result */
    void *done_arg;
};

/* Run one drill of each repository now, as the daemon does (beside a running daemon, in a
 * scratch folder of its own under the state folder), and record each in the state's drill
 * history, where `status` and `report` read it. A drill that fails is a result, not an error:
 * errors are a repository name not in the config, or a state folder that cannot be opened. */
enum cv_err cv_daemon_drill(const struct cv_config *cfg, const struct cv_drill_opts *o);

/* ---- status ---------------------------------------------------------------------------- */
enum cv_verdict { CV_VERDICT_OK, CV_VERDICT_WARN, CV_VERDICT_CRIT };

#define CV_STATUS_MAX_PROBLEMS  32
#define CV_STATUS_MAX_ANOMALIES 5

struct cv_status_repo {
    char name[64];
    char path[512];
    bool reachable;        /* the repository could be opened just now */
    char error[256];       /* why not, or the last snapshot error */
    long long newest_time; /* 0: no snapshot */
    char newest_id[80];
    long long newest_age; /* seconds */
    bool newest_suspect;
    long long bytes, files;
    long long failures; /* snapshot attempts failed in a row */
    long long check_time;
    bool check_ok;
    long long drill_time;
    bool drill_ok;
    long long drill_files, drill_errors;
    char drill_detail[256];
    /* the last full drill (the whole newest round restored): its wall time against the RTO */
    long long full_time; /* 0: never */
    bool full_ok;
    long long full_files, full_bytes, full_errors;
    double full_seconds;
    long long full_rto;
    char full_detail[256];
    /* 3-2-1-1-0 counts only what is true now: `counted` = reachable and fresh; `offsite` =
     * counted and in another place (S3); `immutable` = counted and its locks were read back
     * in force (lock_ok, lock_until in the future). */
    bool fresh, counted, offsite, immutable;
    bool can_lock;        /* an object store that locks (S3) */
    bool lock_ok;         /* the daemon's last read-back found COMPLIANCE locks */
    long long lock_time;  /* when it read them back, 0 = never */
    long long lock_until; /* the weakest retain-until it found */
    char lock_detail[256];
    unsigned long long device; /* st_dev of a local repository, 0 otherwise */
};

struct cv_status_anomaly {
    long long time;
    char root[16];
    long long existing, changed, unparseable, high_entropy, renamed_unknown, vanished;
    bool froze;
};

struct cv_status {
    enum cv_verdict verdict;
    char problems[CV_STATUS_MAX_PROBLEMS][200]; /* one line each, worst first */
    enum cv_verdict problem_level[CV_STATUS_MAX_PROBLEMS];
    size_t nproblems;

    bool daemon_running; /* heartbeat younger than a minute */
    long long daemon_pid, heartbeat, started;
    bool frozen;
    long long frozen_since;
    char frozen_reason[256];
    bool resume_requested;

    long long source_last_change, source_files, last_scan, last_full_scan;

    bool mllp_configured, mllp_up;
    char mllp_listen[64];
    long long mllp_connections, mllp_refused, mllp_messages, mllp_accepted, mllp_errors,
        mllp_rejected;

    struct cv_status_repo repos[CV_CONFIG_MAX_REPOS];
    size_t nrepos;
    struct cv_status_anomaly anomalies[CV_STATUS_MAX_ANOMALIES];
    size_t nanomalies;

    /* 3-2-1-1-0 */
    int copies, media, offsite, immutable;
    long long drill_errors;
    char rule_line[400]; /* the line as printed, saying what is not configured */
};

/* Gather the status: the daemon's state file plus a look at each repository. Never fails for
 * a broken repository (that is a finding); fails only when the state cannot be read at all. */
enum cv_err cv_daemon_status(const struct cv_config *cfg, struct cv_status *out);
/* The same as JSON (the `status --json` document). */
enum cv_err cv_status_to_json(const struct cv_status *st, struct cv_json *j);

/* Ask for the freeze to be lifted: the running daemon (or the next one to start) accepts
 * the tree as it is now as the new baseline, indexes it, and takes untagged snapshots again.
 * `note` (who and why) is kept in the state. CV_ENOENT when nothing is frozen. */
enum cv_err cv_daemon_resume(const struct cv_config *cfg, const char *note);

/* A cheap look at a repository's storage (no key unwrapping): does it answer? */
enum cv_err cv_protect_reachable(const struct cv_config_repo *r);

/* When run as root, become the owner of the state folder (the daemon's user) first, so that
 * `status`/`resume` by an administrator never leave root-owned files the daemon cannot
 * write. A no-op for other users. */
enum cv_err cv_daemon_become_state_owner(const struct cv_config *cfg);

#endif
