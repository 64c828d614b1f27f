/*
 * run.c: the protection daemon's main loop. Signals arrive through a signalfd; every second
 * the loop looks at what is due: a heartbeat and counters into the state file, the MLLP
 * listener's health (restarted with backoff, alerted while down), snapshots into each
 * repository (retried with backoff after a failure), restore drills, and the staleness check
 * that catches the backup that silently stopped. The indexer and the MLLP listener run on
 * threads of their own, so a long snapshot never delays a received message or the index.
 */
#include <chartvault/daemon.h>

#include "daemon_parts.h"
#include "journal.h"
#include <chartvault/state.h>

#include <chartvault/index.h>
#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define HEARTBEAT_EVERY  5    /* seconds */
#define BACKOFF_FIRST    15   /* seconds before retrying a failed snapshot */
#define BACKOFF_MAX      3600 /* ... doubling up to this (or the interval) */
#define MLLP_RETRY_FIRST 5
#define MLLP_RETRY_MAX   300
#define FIRST_SCAN_WAIT  600     /* seconds the first snapshot waits for the start-up scan */
#define JOURNAL_MAX      1000000 /* paths a change journal holds before it gives up */
#define NTREES           2       /* the source tree, the MLLP storage */

struct repo_sched {
    const struct cv_config_repo *cfg;
    struct cv_protector *vault;
    struct cv_state_repo st;
    time_t next_snapshot;
    time_t next_drill;
    time_t next_check;
    time_t next_full_drill;
    long long snap_generation; /* indexer generation at the last good snapshot */
    int source;                /* copy_of: index of the repository replicated here, else -1 */
    time_t next_copy;          /* copies: when to replicate next (after a snapshot, or retry) */
    long copy_failures;
    /* the change journals' marks at the start of the last good snapshot (marks_ok), and when
     * the whole trees are walked next */
    uint64_t marks[NTREES];
    bool marks_ok;
    time_t next_full_walk;
};

/* A full drill runs in a thread of its own, with a protector (and so a repository handle and
 * a key) of its own and a scratch folder of its own: restoring everything takes minutes to
 * hours, and snapshots and sample drills must go on meanwhile. One at a time. */
struct full_drill {
    pthread_t thread;
    bool running;             /* the main thread's view: a thread to join */
    atomic_bool done, cancel; /* set by the drill thread / by the main thread */
    struct repo_sched *r;     /* whose */
    struct cv_protector *vault;
    char scratch[4096];
    long long started;
    struct cv_drill_result res;
    enum cv_err err;
    char errmsg[256];
};

struct daemon {
    const struct cv_config *cfg;
    struct cv_state *state;
    struct cv_alerter *alerts;
    struct cv_indexer *indexer;
    struct cv_mllp_store *store;
    struct cv_mllp_server *mllp;
    struct cv_packer *packer;            /* [print] */
    bool packs_now;                      /* the source just froze: print the last good data now */
    struct cv_journal *journal[NTREES];  /* NULL: that tree is always walked */
    struct cv_mllp_counters mllp_before; /* of listeners that stopped, so totals survive */
    time_t mllp_retry_at;
    long mllp_backoff;
    struct repo_sched repos[CV_CONFIG_MAX_REPOS];
    int sigfd;
    int lockfd;
    time_t started, last_heartbeat;
    bool stopping;    /* a stop signal arrived during long work */
    bool index_ready; /* the start-up scan is done */
    bool was_frozen;
    char scratch[4096];
    char index_copy[4096];
    struct full_drill full;
};

static long backoff_after(long failures, long interval)
{
    long b = BACKOFF_FIRST;

    while (--failures > 0 && b < BACKOFF_MAX)
        b *= 2;
    if (b > interval)
        b = interval;
    return b > BACKOFF_MAX ? BACKOFF_MAX : b;
}

/* One daemon per state folder: a second one would race on the index and the freeze. */
static enum cv_err lock_state_dir(struct daemon *d)
{
    char path[4096], pid[32];
    int n;

    if (cv_path_join(path, sizeof(path), d->cfg->state_dir, "daemon.lock"))
        return cv_fail_prefix(CV_ETOOBIG, "state folder: ");
    d->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (d->lockfd < 0)
        return cv_fail_errno(CV_EIO, "cannot open '%s'", path);
    if (flock(d->lockfd, LOCK_EX | LOCK_NB) != 0) {
        n = (int)read(d->lockfd, pid, sizeof(pid) - 1);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        return cv_fail(CV_EBUSY, "another 'chartvault run' (pid %s) uses the state folder '%s'",
                       *pid ? pid : "?", d->cfg->state_dir);
    }
    n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(d->lockfd, 0) != 0 || pwrite(d->lockfd, pid, (size_t)n, 0) != n)
        log_warn("cannot write the pid into '%s'", path);
    return CV_OK;
}

static enum cv_err block_signals(struct daemon *d)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return cv_fail(CV_EIO, "cannot block signals");
    sigdelset(&set, SIGPIPE);
    d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return d->sigfd < 0 ? cv_fail_errno(CV_EIO, "cannot make a signalfd") : CV_OK;
}

/* ---- MLLP -------------------------------------------------------------------------------- */

/* Received messages that cannot be stored (disk full, folder gone) are refused with AE, so the
 * sender keeps them; people must still hear about it. */
static void store_tend(struct daemon *d)
{
    unsigned long failures;
    bool failing;
    char last[256];

    cv_mllp_store_health(d->store, &failures, &failing, last, sizeof(last));
    if (failing)
        cv_alert_raise(d->alerts, CV_ALERT_CRIT, "mllp-store",
                       "received HL7 messages cannot be stored in %s (%lu refusals with AE so "
                       "far; senders keep them): %s",
                       d->cfg->mllp_storage, failures, last);
    else if (cv_alert_active(d->alerts, "mllp-store"))
        cv_alert_clear(d->alerts, "mllp-store", "received messages are stored again");
}

static void mllp_tend(struct daemon *d, time_t now)
{
    const struct cv_config *c = d->cfg;
    enum cv_err err;

    if (!c->mllp_listen)
        return;
    store_tend(d);
    if (d->mllp && cv_mllp_server_alive(d->mllp)) {
        if (cv_alert_active(d->alerts, "mllp-down"))
            cv_alert_clear(d->alerts, "mllp-down", "the MLLP listener on %s is up again",
                           c->mllp_listen);
        d->mllp_backoff = 0;
        return;
    }
    if (d->mllp) /* it was serving and stopped: say so even if it comes back at once */
        cv_alert_raise(d->alerts, CV_ALERT_CRIT, "mllp-down",
                       "the MLLP listener on %s stopped; restarting it", c->mllp_listen);
    if (now < d->mllp_retry_at)
        return;
    if (d->mllp) {
        struct cv_mllp_counters k;

        cv_mllp_server_counters(d->mllp, &k);
        d->mllp_before.connections += k.connections;
        d->mllp_before.refused += k.refused;
        d->mllp_before.messages += k.messages;
        d->mllp_before.accepted += k.accepted;
        d->mllp_before.errors += k.errors;
        d->mllp_before.rejected += k.rejected;
        d->mllp_before.bytes += k.bytes;
    }
    cv_mllp_server_free(d->mllp);
    d->mllp = NULL;
    err = cv_mllp_server_open(&d->mllp, c, cv_mllp_store_handle, d->store);
    if (!err)
        err = cv_mllp_server_start(d->mllp);
    if (!err) {
        log_info("MLLP listener on %s (port %u)", c->mllp_listen, cv_mllp_server_port(d->mllp));
        return;
    }
    cv_mllp_server_free(d->mllp);
    d->mllp = NULL;
    d->mllp_backoff = d->mllp_backoff ? d->mllp_backoff * 2 : MLLP_RETRY_FIRST;
    if (d->mllp_backoff > MLLP_RETRY_MAX)
        d->mllp_backoff = MLLP_RETRY_MAX;
    d->mllp_retry_at = now + d->mllp_backoff;
    cv_alert_raise(d->alerts, CV_ALERT_CRIT, "mllp-down",
                   "the MLLP listener on %s is down: %s (retrying in %ld s)", c->mllp_listen,
                   cv_errmsg(), d->mllp_backoff);
}

/* ---- heartbeat and counters ---------------------------------------------------------------- */

static void heartbeat(struct daemon *d, time_t now)
{
    struct cv_indexer_stats ix;
    struct cv_mllp_counters m = {0};

    if (now - d->last_heartbeat < HEARTBEAT_EVERY)
        return;
    d->last_heartbeat = now;
    cv_indexer_stats(d->indexer, &ix);
    if (d->mllp)
        cv_mllp_server_counters(d->mllp, &m);
    m.connections += d->mllp_before.connections;
    m.refused += d->mllp_before.refused;
    m.messages += d->mllp_before.messages;
    m.accepted += d->mllp_before.accepted;
    m.errors += d->mllp_before.errors;
    m.rejected += d->mllp_before.rejected;
    cv_state_begin(d->state);
    cv_state_set_int(d->state, "heartbeat", now);
    cv_state_set_int(d->state, "mllp_up", d->mllp && cv_mllp_server_alive(d->mllp));
    cv_state_set_int(d->state, "mllp_connections", (long long)m.connections);
    cv_state_set_int(d->state, "mllp_refused", (long long)m.refused);
    cv_state_set_int(d->state, "mllp_messages", (long long)m.messages);
    cv_state_set_int(d->state, "mllp_accepted", (long long)m.accepted);
    cv_state_set_int(d->state, "mllp_errors", (long long)m.errors);
    cv_state_set_int(d->state, "mllp_rejected", (long long)m.rejected);
    cv_state_set_int(d->state, "source_last_change", ix.last_change);
    cv_state_set_int(d->state, "source_files", ix.files);
    cv_state_set_int(d->state, "last_scan", ix.last_scan);
    cv_state_set_int(d->state, "last_full_scan", ix.last_full_scan);
    cv_state_commit(d->state);
}

/* ---- snapshots, copies, staleness, drills ------------------------------------------------ */

static void lock_upkeep(struct daemon *d, struct repo_sched *r, const struct cv_snap_info *info,
                        time_t now);

/* What the journals say changed since the repository's last good snapshot; a tree without a
 * journal, or whose journal cannot tell, or that is due for its full walk, is walked. */
static void journal_changes(struct daemon *d, struct repo_sched *r, time_t now,
                            struct cv_snap_changes ch[NTREES], char **paths[NTREES],
                            size_t n[NTREES], uint64_t marks[NTREES])
{
    bool full = !r->marks_ok || now >= r->next_full_walk;

    for (int i = 0; i < NTREES; i++) {
        ch[i] = (struct cv_snap_changes){true, NULL, 0};
        paths[i] = NULL;
        n[i] = 0;
        marks[i] = d->journal[i] ? cv_journal_mark(d->journal[i]) : 0;
        if (i == 0 && d->journal[i] && !cv_indexer_journal_current(d->indexer))
            continue; /* inotify events not yet in the journal: walk */
        if (!full && d->journal[i] &&
            cv_journal_since(d->journal[i], r->marks[i], &paths[i], &n[i]))
            ch[i] = (struct cv_snap_changes){false, (const char *const *)paths[i], n[i]};
    }
}

/* Forget journal entries every repository's last good snapshot is past. */
static void journal_trim(struct daemon *d)
{
    for (int i = 0; i < NTREES; i++) {
        uint64_t min = UINT64_MAX;

        if (!d->journal[i])
            continue;
        for (size_t k = 0; k < d->cfg->nrepos; k++)
            if (d->repos[k].marks_ok && d->repos[k].marks[i] < min)
                min = d->repos[k].marks[i];
        if (min != UINT64_MAX)
            cv_journal_trim(d->journal[i], min);
    }
}

static void snapshot_repo(struct daemon *d, struct repo_sched *r, time_t now)
{
    struct cv_indexer_stats ix;
    struct cv_snap_info info;
    struct cv_snap_changes ch[NTREES];
    char **paths[NTREES];
    size_t npaths[NTREES];
    uint64_t marks[NTREES];
    bool walked[NTREES] = {true, true};
    enum cv_err err;
    char key[96];

    snprintf(key, sizeof(key), "snapshot-failed:%s", r->cfg->name);
    cv_indexer_stats(d->indexer, &ix);
    r->st.attempt_time = now;
    journal_changes(d, r, now, ch, paths, npaths, marks);
    err = cv_indexer_copy_db(d->indexer, d->index_copy);
    if (!err)
        err = cv_protector_snapshot(r->vault, d->index_copy, ix.frozen, ch, walked, &info);
    unlink(d->index_copy);
    for (int i = 0; i < NTREES; i++)
        cv_journal_paths_free(paths[i], npaths[i]);
    if (d->stopping)
        return; /* cancelled by a stop signal: not a failure */
    if (err) {
        r->marks_ok = false; /* the next snapshot walks: nothing is assumed */
        r->st.failures++;
        cv_strlcpy(r->st.last_error, cv_errmsg(), sizeof(r->st.last_error));
        r->next_snapshot = now + backoff_after((long)r->st.failures, r->cfg->interval);
        cv_alert_raise(d->alerts, CV_ALERT_WARN, key,
                       "[repo %s] snapshot failed: %s"
                       " (attempt %lld; next try in %lld s)",
                       r->cfg->name, r->st.last_error, r->st.failures,
                       (long long)(r->next_snapshot - now));
    } else {
        log_info("[repo %s] snapshot %s: %lld files%s%s", r->cfg->name, info.id, info.files,
                 walked[0] && walked[1] ? " (trees walked)" : " (changes from the journal)",
                 info.suspect ? " (tagged suspect: the source is frozen)" : "");
        memcpy(r->marks, marks, sizeof(r->marks));
        r->marks_ok = d->cfg->full_walk > 0;
        if (walked[0] && walked[1])
            r->next_full_walk = now + d->cfg->full_walk;
        journal_trim(d);
        r->st.failures = 0;
        r->st.last_error[0] = '\0';
        r->st.snap_time = info.time;
        cv_strlcpy(r->st.snap_id, info.id, sizeof(r->st.snap_id));
        r->st.snap_bytes = info.bytes;
        r->st.snap_files = info.files;
        r->st.snap_suspect = info.suspect;
        r->snap_generation = ix.generation;
        r->next_snapshot = now + r->cfg->interval;
        cv_alert_clear(d->alerts, key, "[repo %s] snapshots work again", r->cfg->name);
        lock_upkeep(d, r, &info, now);
        for (size_t i = 0; i < d->cfg->nrepos; i++) /* replicate it now */
            if (d->repos[i].source == (int)(r - d->repos))
                d->repos[i].next_copy = now;
    }
    cv_state_repo_put(d->state, &r->st);
}

/* Copies: replicate the source repository (no key is used for the copy itself), then take
 * the newest round from the replica, as a drill and `status` will see it. */
static void copy_repo(struct daemon *d, struct repo_sched *r, time_t now)
{
    const struct repo_sched *src = &d->repos[r->source];
    struct cv_copy_stats cs;
    struct cv_snap_info info;
    enum cv_err err;
    char key[96];

    snprintf(key, sizeof(key), "copy-failed:%s", r->cfg->name);
    r->st.attempt_time = now;
    err = cv_protector_copy_from(r->vault, src->cfg, &cs);
    if (d->stopping)
        return;
    if (!err)
        err = cv_protector_newest(r->vault, &info);
    if (err) {
        r->copy_failures++;
        r->st.failures = r->copy_failures;
        cv_strlcpy(r->st.last_error, cv_errmsg(), sizeof(r->st.last_error));
        r->next_copy = now + backoff_after(r->copy_failures, src->cfg->interval);
        cv_alert_raise(d->alerts, CV_ALERT_WARN, key,
                       "[repo %s] copy failed: %s (attempt %ld; next try in %lld s)", r->cfg->name,
                       r->st.last_error, r->copy_failures, (long long)(r->next_copy - now));
        cv_state_repo_put(d->state, &r->st);
        return;
    }
    log_info("[repo %s] copied from [repo %s]: %llu objects, %llu bytes; newest %s", r->cfg->name,
             src->cfg->name,
             (unsigned long long)(cs.copied[CV_OBJ_PACK] + cs.copied[CV_OBJ_INDEX] +
                                  cs.copied[CV_OBJ_SNAPSHOT] + cs.copied[CV_OBJ_KEY]),
             (unsigned long long)cs.bytes, info.id);
    r->copy_failures = 0;
    r->st.failures = 0;
    r->st.last_error[0] = '\0';
    r->st.snap_time = info.time;
    cv_strlcpy(r->st.snap_id, info.id, sizeof(r->st.snap_id));
    r->st.snap_bytes = info.bytes;
    r->st.snap_files = info.files;
    r->st.snap_suspect = info.suspect;
    r->next_copy = 0; /* until the source's next snapshot */
    cv_alert_clear(d->alerts, key, "[repo %s] copies work again", r->cfg->name);
    lock_upkeep(d, r, &info, now);
    cv_state_repo_put(d->state, &r->st);
}

/* S3: extend the locks when due (the backend does so a tenth of the repository's retention
 * after the last complete extension, long before any lock runs out; after a copy, cv_copy has
 * already asked), and read the locks of the newest round back; `status` counts the repository
 * as immutable only while this found them in force. */
static void lock_upkeep(struct daemon *d, struct repo_sched *r, const struct cv_snap_info *info,
                        time_t now)
{
    struct cv_lock_info li;
    uint64_t extended;
    char key[96], detail[256];
    enum cv_err err = CV_OK;

    if (!cv_backend_is_s3(r->cfg->path))
        return;
    err = cv_protector_extend_locks(r->vault, &extended);
    if (!err && extended)
        log_info("[repo %s] %llu object locks extended", r->cfg->name,
                 (unsigned long long)extended);
    if (!err)
        err = cv_protector_lock(r->vault, info, &li);
    snprintf(key, sizeof(key), "lock:%s", r->cfg->name);
    if (err)
        snprintf(detail, sizeof(detail), "the locks could not be read back: %s", cv_errmsg());
    else if (!li.locked)
        snprintf(detail, sizeof(detail), "the newest objects are not locked (mode '%s')", li.mode);
    else
        snprintf(detail, sizeof(detail), "COMPLIANCE");
    cv_state_begin(d->state);
    snprintf(key, sizeof(key), "lock_time:%s", r->cfg->name);
    cv_state_set_int(d->state, key, now);
    snprintf(key, sizeof(key), "lock_ok:%s", r->cfg->name);
    cv_state_set_int(d->state, key, !err && li.locked);
    snprintf(key, sizeof(key), "lock_until:%s", r->cfg->name);
    cv_state_set_int(d->state, key, err ? 0 : li.until);
    snprintf(key, sizeof(key), "lock_detail:%s", r->cfg->name);
    cv_state_set_text(d->state, key, detail);
    cv_state_commit(d->state);
    snprintf(key, sizeof(key), "lock:%s", r->cfg->name);
    if (err || !li.locked)
        cv_alert_raise(d->alerts, CV_ALERT_WARN, key, "[repo %s] %s", r->cfg->name, detail);
    else if (cv_alert_active(d->alerts, key))
        cv_alert_clear(d->alerts, key, "[repo %s] objects are locked again", r->cfg->name);
}

static void check_stale(struct daemon *d, struct repo_sched *r, time_t now)
{
    char key[96];
    /* Until the first snapshot exists, count from the daemon's start: a new install is not
     * stale, but one whose first snapshot never succeeds becomes so. */
    long long newest = r->st.snap_time ? r->st.snap_time : d->started;
    long long age = now - newest;
    char agetext[32], limit[32];

    snprintf(key, sizeof(key), "stale:%s", r->cfg->name);
    cv_format_duration(age, agetext, sizeof(agetext));
    cv_format_duration(d->cfg->snapshot_max_age, limit, sizeof(limit));
    if (age > d->cfg->snapshot_max_age)
        cv_alert_raise(d->alerts, CV_ALERT_CRIT, key,
                       "[repo %s] the newest snapshot is %s old (limit %s)%s%s", r->cfg->name,
                       r->st.snap_time ? agetext : "missing", limit,
                       r->st.last_error[0] ? "; last error: " : "", r->st.last_error);
    else if (cv_alert_active(d->alerts, key))
        cv_alert_clear(d->alerts, key, "[repo %s] has a fresh snapshot again", r->cfg->name);
}

static void drill_repo(struct daemon *d, struct repo_sched *r, time_t now)
{
    struct cv_drill_result res = {0};
    struct cv_state_drill h;
    enum cv_err err;
    char key[96];

    snprintf(key, sizeof(key), "drill:%s", r->cfg->name);
    r->next_drill = now + d->cfg->drill_interval;
    err = cv_protector_drill(r->vault, d->scratch, d->cfg->drill_sample, &res);
    if (d->stopping)
        return;
    r->st.drill_time = now;
    r->st.drill_files = res.files;
    r->st.drill_errors = err ? res.errors + 1 : res.errors;
    r->st.drill_ok = !err && res.errors == 0;
    cv_strlcpy(r->st.drill_detail, err ? cv_errmsg() : res.detail, sizeof(r->st.drill_detail));
    cv_state_repo_put(d->state, &r->st);
    cv_drill_record(d->state, r->cfg->name, false, now, 0, &res, err, r->st.drill_detail, &h);
    if (r->st.drill_ok) {
        log_info("[repo %s] restore drill passed: %lld files", r->cfg->name, res.files);
        cv_alert_clear(d->alerts, key, "[repo %s] restore drill passed again", r->cfg->name);
    } else {
        cv_alert_raise(d->alerts, CV_ALERT_CRIT, key, "[repo %s] restore drill failed: %s",
                       r->cfg->name, r->st.drill_detail);
    }
}

/* ---- full drills (a thread of their own) ---------------------------------------------------- */

static bool full_go_on(const struct cv_progress *p, void *arg)
{
    (void)p;
    return !atomic_load(&((struct full_drill *)arg)->cancel);
}

static void *full_drill_main(void *arg)
{
    struct full_drill *f = arg;

    f->err = cv_protector_drill_full(f->vault, f->scratch, &f->res);
    if (f->err)
        cv_strlcpy(f->errmsg, cv_errmsg(), sizeof(f->errmsg));
    atomic_store(&f->done, true);
    return NULL;
}

/* Start the full drill of `r` (the whole newest round restored and verified, timed). */
static void full_drill_start(struct daemon *d, struct repo_sched *r, time_t now)
{
    struct full_drill *f = &d->full;
    enum cv_err err;

    r->next_full_drill = now + d->cfg->drill_full_interval;
    memset(&f->res, 0, sizeof(f->res));
    f->r = r;
    f->started = now;
    f->err = CV_OK;
    f->errmsg[0] = '\0';
    atomic_store(&f->done, false);
    atomic_store(&f->cancel, false);
    err = cv_path_join(f->scratch, sizeof(f->scratch), d->cfg->state_dir, "drill-full");
    if (!err)
        err = cv_protector_new(&f->vault, d->cfg, r->cfg);
    if (!err) {
        cv_protector_set_cancel(f->vault, full_go_on, f);
        if (pthread_create(&f->thread, NULL, full_drill_main, f) != 0)
            err = cv_fail(CV_ENOMEM, "cannot start the full drill's thread");
    }
    if (err) {
        cv_protector_free(f->vault);
        f->vault = NULL;
        log_error("[repo %s] full restore drill: %s", r->cfg->name, cv_errmsg());
        return;
    }
    f->running = true;
    log_info("[repo %s] full restore drill started", r->cfg->name);
}

static void full_drill_join(struct full_drill *f)
{
    if (!f->running)
        return;
    pthread_join(f->thread, NULL);
    cv_protector_free(f->vault);
    f->vault = NULL;
    f->running = false;
}

/* A finished full drill: record it, alert on failure and on a restore slower than the RTO. */
static void full_drill_tend(struct daemon *d)
{
    struct full_drill *f = &d->full;
    struct repo_sched *r = f->r;
    struct cv_state_drill h;
    char key[96], rtokey[96], took[32], rto[32];

    if (!f->running || !atomic_load(&f->done))
        return;
    full_drill_join(f);
    if (d->stopping || f->err == CV_ECANCELED)
        return;
    snprintf(key, sizeof(key), "drill-full:%s", r->cfg->name);
    snprintf(rtokey, sizeof(rtokey), "rto:%s", r->cfg->name);
    cv_drill_record(d->state, r->cfg->name, true, f->started, d->cfg->drill_rto, &f->res, f->err,
                    f->errmsg, &h);
    cv_format_duration((long long)(h.seconds + 0.5), took, sizeof(took));
    cv_format_duration(d->cfg->drill_rto, rto, sizeof(rto));
    if (h.ok) {
        log_info("[repo %s] full restore drill passed: %lld files in %s", r->cfg->name, h.files,
                 took);
        cv_alert_clear(d->alerts, key, "[repo %s] full restore drill passed again", r->cfg->name);
    } else {
        cv_alert_raise(d->alerts, CV_ALERT_CRIT, key, "[repo %s] full restore drill failed: %s",
                       r->cfg->name, h.detail);
    }
    if (h.ok && h.seconds > (double)d->cfg->drill_rto)
        cv_alert_raise(d->alerts, CV_ALERT_WARN, rtokey,
                       "[repo %s] a full restore took %s, longer than the recovery time "
                       "objective of %s",
                       r->cfg->name, took, rto);
    else if (h.ok && cv_alert_active(d->alerts, rtokey))
        cv_alert_clear(d->alerts, rtokey, "[repo %s] a full restore took %s, within the RTO",
                       r->cfg->name, took);
}

static void check_repo(struct daemon *d, struct repo_sched *r, time_t now)
{
    enum cv_err err;
    bool ok;

    r->next_check = now + d->cfg->check_interval;
    err = cv_protector_check(r->vault, &ok, r->st.check_detail, sizeof(r->st.check_detail));
    if (d->stopping)
        return;
    if (err)
        cv_strlcpy(r->st.check_detail, cv_errmsg(), sizeof(r->st.check_detail));
    r->st.check_time = now;
    r->st.check_ok = !err && ok;
    cv_state_repo_put(d->state, &r->st);
    if (!r->st.check_ok)
        log_error("[repo %s] check: %s", r->cfg->name, r->st.check_detail);
}

/* The first snapshot waits for the start-up scan (at most FIRST_SCAN_WAIT), so that the index
 * it carries is complete; a scan that never ends must not hold backups back. */
static bool index_ready(struct daemon *d, time_t now)
{
    struct cv_indexer_stats ix;

    if (d->index_ready)
        return true;
    cv_indexer_stats(d->indexer, &ix);
    d->index_ready = ix.last_full_scan != 0 || now - d->started > FIRST_SCAN_WAIT;
    return d->index_ready;
}

static void repos_tend(struct daemon *d, time_t now)
{
    bool ready = index_ready(d, now);

    for (size_t i = 0; i < d->cfg->nrepos && !d->stopping; i++) {
        struct repo_sched *r = &d->repos[i];

        bool worked = false;

        if (r->source < 0 && ready && now >= r->next_snapshot)
            snapshot_repo(d, r, now), worked = true;
        if (r->source >= 0 && r->next_copy && now >= r->next_copy)
            copy_repo(d, r, now), worked = true;
        if (d->cfg->drill_interval > 0 && r->st.snap_time && now >= r->next_drill)
            drill_repo(d, r, cv_now()), worked = true;
        if (d->cfg->drill_full_interval > 0 && r->st.snap_time && now >= r->next_full_drill &&
            !d->full.running)
            full_drill_start(d, r, cv_now());
        if (d->cfg->check_interval > 0 && r->st.snap_time && now >= r->next_check)
            check_repo(d, r, cv_now()), worked = true;
        /* a snapshot of a large tree allocates a lot and frees it: give it back to the system
         * rather than keep it as the daemon's resident size until the next round */
        if (worked)
            malloc_trim(0);
        check_stale(d, r, cv_now());
    }
}

/* ---- freeze and resume --------------------------------------------------------------------- */

static void freeze_tend(struct daemon *d)
{
    struct cv_indexer_stats ix;

    if (cv_state_get_int(d->state, "resume_requested", 0)) {
        log_info("resume requested: taking the trees as they are as the new baseline");
        cv_indexer_request_resume(d->indexer);
        cv_state_delete(d->state, "resume_requested");
    }
    cv_indexer_stats(d->indexer, &ix);
    if (ix.frozen != d->was_frozen) {
        cv_state_set_int(d->state, "frozen", ix.frozen);
        cv_state_set_int(d->state, "frozen_since", ix.frozen_since);
        cv_state_set_text(d->state, "frozen_reason", ix.frozen ? ix.frozen_reason : NULL);
        d->packs_now |= ix.frozen;
        d->was_frozen = ix.frozen;
    }
}

/* ---- start, loop, stop ---------------------------------------------------------------------- */

static bool take_signals(struct daemon *d);

/* Called by long vault work: a stop signal cancels it (the repository is crash-safe). */
static bool keep_going(const struct cv_progress *p, void *arg)
{
    struct daemon *d = arg;
    struct pollfd pfd = {.fd = d->sigfd, .events = POLLIN};

    (void)p;
    if (!d->stopping && poll(&pfd, 1, 0) > 0 && !take_signals(d))
        d->stopping = true;
    return !d->stopping;
}

static enum cv_err load_repos(struct daemon *d, time_t now)
{
    for (size_t i = 0; i < d->cfg->nrepos; i++) {
        struct repo_sched *r = &d->repos[i];
        struct cv_snap_info info;
        enum cv_err err;

        r->cfg = &d->cfg->repos[i];
        r->source = -1;
        for (size_t k = 0; r->cfg->copy_of && k < d->cfg->nrepos; k++)
            if (strcmp(d->cfg->repos[k].name, r->cfg->copy_of) == 0)
                r->source = (int)k;
        r->next_copy = r->source >= 0 ? now : 0; /* catch up at start */
        err = cv_protector_new(&r->vault, d->cfg, r->cfg);
        if (err)
            return err;
        cv_protector_set_cancel(r->vault, keep_going, d);
        cv_state_repo_get(d->state, r->cfg->name, &r->st);
        /* The repository is the truth about its newest snapshot (another host, or a backup
         * run by hand, may have added one). */
        if (cv_protector_newest(r->vault, &info) == CV_OK && info.time > r->st.snap_time) {
            r->st.snap_time = info.time;
            cv_strlcpy(r->st.snap_id, info.id, sizeof(r->st.snap_id));
            r->st.snap_bytes = info.bytes;
            r->st.snap_files = info.files;
            r->st.snap_suspect = info.suspect;
        }
        r->next_snapshot = r->st.snap_time + r->cfg->interval > now
                               ? (time_t)(r->st.snap_time + r->cfg->interval)
                               : now;
        r->next_drill = r->st.drill_time + d->cfg->drill_interval > now
                            ? (time_t)(r->st.drill_time + d->cfg->drill_interval)
                            : now;
        {
            struct cv_state_drill last;
            size_t n = 0;

            cv_state_drill_list(d->state, 0, r->cfg->name, "full", &last, 1, &n);
            r->next_full_drill = n && last.time + d->cfg->drill_full_interval > now
                                     ? (time_t)(last.time + d->cfg->drill_full_interval)
                                     : now;
        }
        r->next_check = r->st.check_time + d->cfg->check_interval > now
                            ? (time_t)(r->st.check_time + d->cfg->check_interval)
                            : now;
    }
    return CV_OK;
}

/* The key of "<file REF>" in redacted log lines and alerts, kept in the index so that
 * `chartvault query file REF` can resolve them; set before any thread logs. */
static enum cv_err load_log_key(const struct cv_config *cfg)
{
    uint8_t key[CV_REDACT_KEY_LEN];
    struct cv_index *idx;
    enum cv_err err = cv_index_open(cfg->index_db, 0, &idx);

    if (err)
        return err;
    err = cv_index_log_key(idx, key);
    cv_index_close(idx);
    if (!err)
        cv_redact_set_key(key);
    sodium_memzero(key, sizeof(key));
    return err;
}

/* inotify sees changes made on this machine only: a tree on NFS, SMB or a FUSE mount is
 * always walked. These are the file systems whose changes it reports. */
static bool local_fs(const char *path)
{
    static const long local[] = {0xEF53 /* ext2/3/4 */,
                                 0x58465342 /* xfs */,
                                 0x9123683E /* btrfs */,
                                 0x01021994 /* tmpfs */,
                                 0x794C7630 /* overlayfs */,
                                 0x2FC12FC1 /* zfs */,
                                 0xF2F52010 /* f2fs */};
    struct statfs sf;

    if (statfs(path, &sf) != 0)
        return false;
    for (size_t i = 0; i < CV_ARRAY_LEN(local); i++)
        if ((long)sf.f_type == local[i])
            return true;
    return false;
}

static enum cv_err open_journals(struct daemon *d)
{
    enum cv_err err = CV_OK;

    if (d->cfg->full_walk <= 0)
        return CV_OK; /* every snapshot walks */
    if (d->cfg->source_path && local_fs(d->cfg->source_path))
        err = cv_journal_new(&d->journal[0], JOURNAL_MAX);
    else if (d->cfg->source_path)
        log_info("'%s' is not on a local file system: every snapshot walks it",
                 d->cfg->source_path);
    if (!err && d->cfg->mllp_storage) /* written by this daemon alone */
        err = cv_journal_new(&d->journal[1], JOURNAL_MAX);
    return err;
}

static enum cv_err daemon_start(struct daemon *d)
{
    char host[128] = "localhost";
    enum cv_err err;

    err = block_signals(d);
    if (!err)
        err = cv_mkdir_p(d->cfg->state_dir, 0700);
    if (!err)
        err = lock_state_dir(d);
    if (!err)
        err = cv_state_open(&d->state, d->cfg->state_dir, false);
    if (err)
        return err;
    gethostname(host, sizeof(host) - 1);
    err = load_log_key(d->cfg);
    if (!err)
        err = cv_alerter_open(&d->alerts, d->cfg, host);
    if (!err)
        err = open_journals(d);
    if (!err)
        err = cv_indexer_open(&d->indexer, d->cfg, d->alerts);
    if (!err && d->cfg->mllp_listen)
        err = cv_mllp_store_open(&d->store, d->cfg, d->indexer);
    if (err)
        return err;
    cv_indexer_set_journal(d->indexer, d->journal[0]);
    if (d->store)
        cv_mllp_store_set_journal(d->store, d->journal[1]);
    err = cv_path_join(d->scratch, sizeof(d->scratch), d->cfg->state_dir, "drill");
    if (!err)
        err = cv_path_join(d->index_copy, sizeof(d->index_copy), d->cfg->state_dir,
                           "index-snapshot.sqlite");
    if (err)
        return err;
    d->started = cv_now();
    cv_state_set_int(d->state, "started", d->started);
    cv_state_set_int(d->state, "pid", getpid());
    if (d->cfg->mllp_listen) {
        /* A taken port at start is a configuration mistake: fail now, loudly. */
        err = cv_mllp_server_open(&d->mllp, d->cfg, cv_mllp_store_handle, d->store);
        if (!err)
            err = cv_mllp_server_start(d->mllp);
        if (err)
            return err;
        log_info("MLLP listener on %s", d->cfg->mllp_listen);
    }
    err = load_repos(d, d->started);
    if (!err)
        err = cv_packer_new(&d->packer, d->cfg, d->alerts);
    if (!err)
        err = cv_indexer_start(d->indexer);
    return err;
}

static void daemon_stop(struct daemon *d)
{
    atomic_store(&d->full.cancel, true);
    full_drill_join(&d->full);
    for (size_t i = 0; i < CV_CONFIG_MAX_REPOS; i++)
        cv_protector_free(d->repos[i].vault);
    cv_mllp_server_free(d->mllp);
    cv_mllp_store_free(d->store);
    cv_packer_free(d->packer);
    cv_indexer_free(d->indexer);
    for (int i = 0; i < NTREES; i++)
        cv_journal_free(d->journal[i]);
    if (d->state) {
        cv_state_set_int(d->state, "heartbeat", cv_now());
        cv_state_set_int(d->state, "mllp_up", 0);
    }
    cv_alerter_free(d->alerts);
    cv_state_close(d->state);
    if (d->sigfd >= 0)
        close(d->sigfd);
    if (d->lockfd >= 0)
        close(d->lockfd);
}

/* Returns false when it is time to stop. */
static bool take_signals(struct daemon *d)
{
    struct signalfd_siginfo si;

    while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            log_info("SIGHUP: full rescan");
            cv_indexer_request_rescan(d->indexer);
        } else {
            log_info("signal %u: stopping", si.ssi_signo);
            return false;
        }
    }
    return true;
}

enum cv_err cv_daemon_run(const struct cv_config *cfg)
{
    struct daemon d = {.cfg = cfg, .sigfd = -1, .lockfd = -1};
    enum cv_err err = daemon_start(&d);

    if (err) {
        cv_fail_prefix(err, "cannot start: ");
        daemon_stop(&d);
        return err;
    }
    log_info("protecting %s%s%s with %zu repositor%s", cfg->source_path ? cfg->source_path : "",
             cfg->source_path && cfg->mllp_storage ? " and " : "",
             cfg->mllp_storage ? cfg->mllp_storage : "", cfg->nrepos,
             cfg->nrepos == 1 ? "y" : "ies");
    for (;;) {
        struct pollfd p = {.fd = d.sigfd, .events = POLLIN};
        time_t now;

        if (d.stopping || (poll(&p, 1, 1000) > 0 && !take_signals(&d)))
            break;
        now = cv_now();
        heartbeat(&d, now);
        mllp_tend(&d, now);
        freeze_tend(&d);
        if (index_ready(&d, now)) { /* packs from a complete index only */
            cv_packer_tend(d.packer, now, d.packs_now);
            d.packs_now = false;
        }
        repos_tend(&d, now);
        full_drill_tend(&d);
    }
    daemon_stop(&d);
    return CV_OK;
}
