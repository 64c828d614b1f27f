/*
 * indexer.c: keeps the reference index current from two trees (the EHR's SS-MIX2 export and
 * the MLLP storage) and decides freezes. Its thread does three kinds of work:
 *  - inotify batches (source tree): a new file with an SS-MIX2 name is indexed within a second
 *    or two; a _1 -> _2 rename too. Anything that touches what is already there (a file
 *    rewritten, deleted, renamed to an unknown name) is checked first: content that still
 *    parses is indexed, content that no longer parses or looks encrypted is NOT (the index
 *    keeps the last good data), counted as suspicious, and a full scan is asked for.
 *  - full scans (every [source] rescan, on SIGHUP, after suspicious events, after an inotify
 *    overflow): the index's two-phase scan reports every change before anything is applied;
 *    when changed + renamed-to-unknown + vanished existing messages exceed the limit
 *    (anomaly_files, or anomaly_percent of the existing ones, whichever is smaller) the daemon
 *    freezes: only new files are applied, snapshots are tagged suspect, a CRITICAL alert goes
 *    out, until `chartvault resume`.
 *  - MLLP files, indexed on the listener's thread under the same lock before the ACK.
 */
#include "daemon_parts.h"
#include "journal.h"
#include <chartvault/state.h>
#include "watch.h"

#include <chartvault/hl7.h>
#include <chartvault/index.h>
#include <chartvault/ssmix2.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define BATCH_DELAY_MS      200 /* let a burst of events gather before acting */
#define RETRY_AFTER_S       2   /* a half-written file is looked at again after this */
#define RETRY_MAX           30  /* ... this many times, then indexed as it is (rejected) */
#define SUSPICIOUS_SCAN_S   20  /* a full scan this long after suspicious events */
#define MLLP_LOCK_WAIT_S    1   /* the MLLP thread waits this long for the index */
#define MLLP_PENDING_MAX    100000
#define MAX_FILE_BYTES      ((size_t)16 << 20)
#define MAX_RETRIES_PENDING 10000

enum root_kind { ROOT_SOURCE, ROOT_MLLP, ROOT_COUNT };
static const char *const root_names[ROOT_COUNT] = {"source", "mllp"};

/* Changes to existing messages, in the five kinds the anomaly rule counts. */
struct counts {
    long long changed, unparseable, high_entropy, renamed_unknown, vanished;
};

struct retry {
    char *path;
    time_t due;
    int tries;
    bool created;
};

struct cv_indexer {
    const struct cv_config *cfg;
    struct cv_alerter *alerts;
    const char *roots[ROOT_COUNT]; /* NULL when not configured */
    struct cv_index *idx;
    pthread_mutex_t idx_lock; /* the index handle: indexer thread and MLLP thread */
    struct cv_state *state;   /* this thread's own connection */
    struct cv_watch *watch;
    struct cv_watch_batch batch;
    struct cv_journal *journal; /* the source tree's change journal, or NULL */
    size_t journaled;           /* batch entries already in the journal */
    size_t left_out_at_start;   /* folders over the watch budget from the start (old dates) */
    atomic_bool journaling;     /* events read from inotify, not yet in the journal */
    struct cv_hl7_msg *msg;
    struct cv_buf file;
    struct retry *retries;
    size_t nretries;
    struct counts period;  /* applied since the last scheduled rescan */
    struct counts pending; /* seen by inotify, not applied, until the next full scan */
    uint64_t batch_due_ms;
    time_t next_rescan, suspicious_scan_at;

    pthread_t thread;
    bool started;
    int wake; /* eventfd */
    atomic_bool stop, want_rescan, want_resume;

    pthread_mutex_t stats_lock;
    struct cv_indexer_stats stats;

    /* MLLP files stored while the index was busy: indexed by this thread as soon as it can */
    pthread_mutex_t pending_lock;
    char **mllp_pending;
    size_t nmllp_pending;
};

/* ---- small helpers ------------------------------------------------------------------------- */

static void wake(struct cv_indexer *ix)
{
    uint64_t one = 1;

    if (write(ix->wake, &one, sizeof(one)) < 0)
        log_debug("indexer wake-up failed: %s", strerror(errno));
}

static void set_stats(struct cv_indexer *ix, void (*fn)(struct cv_indexer_stats *s, long long v),
                      long long v)
{
    pthread_mutex_lock(&ix->stats_lock);
    fn(&ix->stats, v);
    pthread_mutex_unlock(&ix->stats_lock);
}

static void st_changed(struct cv_indexer_stats *s, long long n)
{
    if (n > 0) {
        s->last_change = cv_now();
        s->applied += n;
        s->generation++;
    }
}

static void st_scanned(struct cv_indexer_stats *s, long long full)
{
    s->last_scan = cv_now();
    if (full)
        s->last_full_scan = s->last_scan;
}

static long long limit_for(const struct cv_config *cfg, long long existing)
{
    long long pct = (long long)ceil((double)existing * cfg->anomaly_percent / 100.0);

    return pct < cfg->anomaly_files ? pct : cfg->anomaly_files;
}

static long long suspicious_total(const struct counts *c)
{
    return c->changed + c->renamed_unknown + c->vanished;
}

static bool is_frozen(struct cv_indexer *ix)
{
    bool f;

    pthread_mutex_lock(&ix->stats_lock);
    f = ix->stats.frozen;
    pthread_mutex_unlock(&ix->stats_lock);
    return f;
}

/* ---- freezing -------------------------------------------------------------------------------- */

static void freeze(struct cv_indexer *ix, enum root_kind root, const struct counts *c,
                   long long existing, long long limit)
{
    struct cv_state_anomaly a = {.time = cv_now(), .froze = true};
    char reason[256];

    snprintf(reason, sizeof(reason),
             "%lld of %lld existing messages in the %s tree changed (%lld rewritten, %lld no "
             "longer HL7, %lld high-entropy, %lld renamed to unknown names, %lld vanished); "
             "limit %lld",
             suspicious_total(c), existing, root_names[root], c->changed, c->unparseable,
             c->high_entropy, c->renamed_unknown, c->vanished, limit);
    pthread_mutex_lock(&ix->stats_lock);
    if (!ix->stats.frozen) {
        ix->stats.frozen = true;
        ix->stats.frozen_since = cv_now();
        cv_strlcpy(ix->stats.frozen_reason, reason, sizeof(ix->stats.frozen_reason));
    }
    pthread_mutex_unlock(&ix->stats_lock);
    cv_strlcpy(a.root, root_names[root], sizeof(a.root));
    a.existing = existing;
    a.changed = c->changed;
    a.unparseable = c->unparseable;
    a.high_entropy = c->high_entropy;
    a.renamed_unknown = c->renamed_unknown;
    a.vanished = c->vanished;
    cv_state_anomaly_add(ix->state, &a);
    cv_state_set_int(ix->state, "frozen", 1);
    cv_alert_raise(ix->alerts, CV_ALERT_CRIT, "freeze",
                   "FROZEN: ransomware-like change: %s. Changed content is not indexed (the "
                   "viewer keeps the last good data); snapshots continue tagged 'suspect'. After "
                   "checking the source, run: chartvault resume --config %s",
                   reason, ix->cfg->file);
}

static long long existing_files(struct cv_indexer *ix)
{
    struct cv_index_info info;

    return cv_index_info(ix->idx, &info) == CV_OK ? info.files : 0;
}

static void add_counts(struct counts *to, const struct counts *c)
{
    to->changed += c->changed;
    to->unparseable += c->unparseable;
    to->high_entropy += c->high_entropy;
    to->renamed_unknown += c->renamed_unknown;
    to->vanished += c->vanished;
}

/* The incremental path saw suspicious changes it did not apply: freeze as soon as they and
 * what was applied this period are too many; else let a full scan judge them soon. */
static void check_pending(struct cv_indexer *ix)
{
    long long existing, limit;
    struct counts sum = ix->period;

    if (suspicious_total(&ix->pending) == 0)
        return;
    if (!ix->suspicious_scan_at)
        ix->suspicious_scan_at = cv_now() + SUSPICIOUS_SCAN_S;
    if (is_frozen(ix))
        return;
    add_counts(&sum, &ix->pending);
    pthread_mutex_lock(&ix->idx_lock);
    existing = existing_files(ix);
    pthread_mutex_unlock(&ix->idx_lock);
    limit = limit_for(ix->cfg, existing);
    if (suspicious_total(&sum) > limit)
        freeze(ix, ROOT_SOURCE, &sum, existing, limit);
}

/* ---- full scans ------------------------------------------------------------------------------ */

/* A long scan stops when the daemon does (the index keeps what was there before). */
static bool scan_go_on(const struct cv_progress *p, void *arg)
{
    const struct cv_indexer *ix = arg;

    (void)p;
    return !atomic_load(&ix->stop);
}

static void options(struct cv_indexer *ix, struct cv_index_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->max_file_bytes = MAX_FILE_BYTES;
    opt->settle_seconds = (unsigned)ix->cfg->settle_seconds;
    opt->progress = scan_go_on;
    opt->progress_arg = ix;
}

/* ---- two trees, one index ----------------------------------------------------------------
 * The index holds files by their path relative to the tree they were read from, and its scan
 * compares one tree with everything indexed. With both the source tree and the MLLP storage,
 * the files of the other tree would look vanished; they are told apart here by whether the path
 * exists under the other root, and only the really vanished are forgotten (cv_index_paths). */
struct vanished {
    const char *other_root;
    char **paths;
    size_t n, cap;
    bool oom;
};

static int note_vanished(const struct cv_index_change *c, void *arg)
{
    struct vanished *v = arg;
    char abs[4096];
    struct stat sb;
    char **p;

    if (c->kind != CV_CHANGE_VANISHED)
        return 0;
    if (cv_path_join(abs, sizeof(abs), v->other_root, c->path) == CV_OK && lstat(abs, &sb) == 0)
        return 0; /* the other tree's file */
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;

        p = cv_reallocarray(v->paths, cap, sizeof(*p));
        if (!p) {
            v->oom = true;
            return 1;
        }
        v->paths = p;
        v->cap = cap;
    }
    v->paths[v->n] = cv_strdup(c->path);
    if (!v->paths[v->n]) {
        v->oom = true;
        return 1;
    }
    v->n++;
    return 0;
}

static void vanished_free(struct vanished *v)
{
    for (size_t i = 0; i < v->n; i++)
        cv_free(v->paths[i]);
    cv_free(v->paths);
}

/* Record a notable (not freezing) change in the anomaly log, for `status`. */
static void log_anomaly(struct cv_indexer *ix, enum root_kind root, const struct counts *c,
                        long long existing)
{
    struct cv_state_anomaly a = {.time = cv_now(), .existing = existing};

    cv_strlcpy(a.root, root_names[root], sizeof(a.root));
    a.changed = c->changed;
    a.unparseable = c->unparseable;
    a.high_entropy = c->high_entropy;
    a.renamed_unknown = c->renamed_unknown;
    a.vanished = c->vanished;
    cv_state_anomaly_add(ix->state, &a);
}

/* Decide what a scan may apply: everything, or (frozen) only new files. */
static unsigned decide(struct cv_indexer *ix, enum root_kind root, const struct counts *c,
                       long long existing, bool accept_all)
{
    long long limit = limit_for(ix->cfg, existing);
    long long total =
        suspicious_total(c) + (root == ROOT_SOURCE ? suspicious_total(&ix->period) : 0);

    if (accept_all || existing == 0) /* a first build has nothing to protect yet */
        return CV_APPLY_ALL;
    if (is_frozen(ix) || (suspicious_total(c) > 0 && total > limit)) {
        if (!is_frozen(ix))
            freeze(ix, root, c, existing, limit);
        return CV_APPLY_NEW;
    }
    if (root == ROOT_SOURCE)
        add_counts(&ix->period, c);
    if (suspicious_total(c) > 0 && suspicious_total(c) > limit / 2)
        log_anomaly(ix, root, c, existing);
    return CV_APPLY_ALL;
}

/* Scan one root, decide, apply. `accept_all` after a resume. */
static enum cv_err scan_root(struct cv_indexer *ix, enum root_kind root, bool accept_all)
{
    enum root_kind other = root == ROOT_SOURCE ? ROOT_MLLP : ROOT_SOURCE;
    struct vanished v = {.other_root = ix->roots[other]};
    struct cv_index_scan_summary sum;
    struct cv_index_options opt;
    struct cv_index_stats stats, more;
    struct cv_index_scan *scan;
    struct counts c = {0};
    unsigned what;
    enum cv_err err;

    options(ix, &opt);
    pthread_mutex_lock(&ix->idx_lock);
    err = cv_index_scan(ix->idx, ix->roots[root], &opt, &scan);
    if (err)
        goto out_unlock;
    cv_index_scan_summary(scan, &sum);
    if (v.other_root) {
        cv_index_scan_foreach(scan, note_vanished, &v);
        sum.vanished = v.n;
    }
    c.changed = (long long)sum.changed;
    c.unparseable = (long long)sum.unparseable;
    c.high_entropy = (long long)sum.high_entropy;
    c.renamed_unknown = (long long)sum.renamed_unknown;
    c.vanished = (long long)sum.vanished;
    what = v.oom ? CV_APPLY_NEW : decide(ix, root, &c, (long long)sum.existing, accept_all);
    if (v.other_root)
        what &= ~(unsigned)CV_APPLY_VANISHED;
    err = cv_index_apply(ix->idx, scan, what, &opt, &stats);
    cv_index_scan_free(scan);
    /* the really vanished, when everything may be applied (this also records the data time) */
    if (!err && v.other_root && (what & CV_APPLY_CONTENT)) {
        err = cv_index_paths(ix->idx, ix->roots[root], (const char *const *)v.paths, v.n, &opt,
                             &more);
        stats.vanished += more.vanished;
    }
out_unlock:
    pthread_mutex_unlock(&ix->idx_lock);
    vanished_free(&v);
    if (err)
        return err;
    set_stats(ix, st_changed,
              (long long)(stats.new_files + stats.updated + stats.renamed + stats.vanished));
    if (root == ROOT_SOURCE || !ix->roots[ROOT_SOURCE]) {
        pthread_mutex_lock(&ix->stats_lock);
        ix->stats.files = (long long)sum.seen;
        pthread_mutex_unlock(&ix->stats_lock);
    }
    return CV_OK;
}

static void full_scan(struct cv_indexer *ix, bool scheduled, bool accept_all)
{
    uint64_t t0 = cv_monotonic_ms();

    for (int r = 0; r < ROOT_COUNT; r++) {
        char key[32];

        if (!ix->roots[r])
            continue;
        /* nothing received yet: the index's safety check would refuse an empty tree */
        if (r == ROOT_MLLP && !cv_dir_nonempty(ix->roots[r]))
            continue;
        snprintf(key, sizeof(key), "scan:%s", root_names[r]);
        if (scan_root(ix, (enum root_kind)r, accept_all) != CV_OK && !atomic_load(&ix->stop))
            cv_alert_raise(ix->alerts, CV_ALERT_WARN, key, "scan of the %s tree failed: %s",
                           root_names[r], cv_errmsg());
        else if (cv_alert_active(ix->alerts, key))
            cv_alert_clear(ix->alerts, key, "the %s tree scans again", root_names[r]);
    }
    if (scheduled || accept_all)
        memset(&ix->period, 0, sizeof(ix->period));
    memset(&ix->pending, 0, sizeof(ix->pending));
    ix->suspicious_scan_at = 0;
    set_stats(ix, st_scanned, 1);
    log_info("full scan done in %.1f s", cv_seconds_since(t0));
    malloc_trim(0); /* a scan of a large tree frees much more than the daemon keeps */
}

/* ---- inotify batches (source tree) --------------------------------------------------------- */

static bool name_ok(const char *rel)
{
    struct cv_ssmix2_path p;
    const char *base = strrchr(rel, '/');

    if ((base ? base[1] : rel[0]) == '.')
        return false;
    return cv_ssmix2_path_parse(rel, &p) == CV_OK;
}

static bool hidden(const char *rel)
{
    const char *base = strrchr(rel, '/');

    return (base ? base[1] : rel[0]) == '.';
}

enum verdict { V_GONE, V_HL7, V_YOUNG, V_BAD, V_ENCRYPTED };

/* Read a file and judge its content: HL7, not yet settled, or not HL7 (and maybe encrypted). */
static enum verdict look_at(struct cv_indexer *ix, const char *rel)
{
    char abs[4096];
    struct stat sb;
    enum cv_err err;

    if (cv_path_join(abs, sizeof(abs), ix->roots[ROOT_SOURCE], rel))
        return V_BAD; /* a path too long to open is a problem to count, not a file gone */
    if (lstat(abs, &sb) != 0 || !S_ISREG(sb.st_mode))
        return V_GONE;
    cv_buf_reset(&ix->file);
    err = cv_buf_read_file(&ix->file, abs);
    if (err == CV_OK &&
        cv_hl7_msg_parse(ix->msg, ix->file.data ? ix->file.data : "", ix->file.len) == CV_OK)
        return V_HL7;
    if (cv_now() - sb.st_mtime < (ix->cfg->settle_seconds > 3 ? ix->cfg->settle_seconds : 3))
        return V_YOUNG;
    if (err == CV_OK && cv_looks_encrypted(ix->file.data, ix->file.len, NULL))
        return V_ENCRYPTED;
    return V_BAD;
}

static void retry_at(struct cv_indexer *ix, const char *rel, time_t due, int tries, bool created)
{
    struct retry *r;

    for (size_t i = 0; i < ix->nretries; i++)
        if (strcmp(ix->retries[i].path, rel) == 0)
            return;
    if (ix->nretries == MAX_RETRIES_PENDING) {
        ix->suspicious_scan_at = cv_now() + SUSPICIOUS_SCAN_S; /* let a scan handle the rest */
        return;
    }
    r = cv_reallocarray(ix->retries, ix->nretries + 1, sizeof(*r));
    if (!r)
        return;
    ix->retries = r;
    r[ix->nretries] = (struct retry){cv_strdup(rel), due, tries, created};
    if (r[ix->nretries].path)
        ix->nretries++;
}

struct todo {
    const char **paths;
    size_t n, cap;
};

static void todo_add(struct todo *t, const char *p)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        const char **a = cv_reallocarray(t->paths, cap, sizeof(*a));

        if (!a)
            return;
        t->paths = a;
        t->cap = cap;
    }
    t->paths[t->n++] = p;
}

/* Content at a valid SS-MIX2 name: index it when it is HL7 (or a new file that will be recorded
 * as rejected); hold back anything that replaced earlier content with non-HL7 bytes. */
static void judge_content(struct cv_indexer *ix, const char *rel, bool created, int tries,
                          struct todo *t)
{
    switch (look_at(ix, rel)) {
    case V_GONE:
        return;
    case V_HL7:
        todo_add(t, rel);
        return;
    case V_YOUNG:
        if (tries < RETRY_MAX) {
            retry_at(ix, rel, cv_now() + RETRY_AFTER_S, tries + 1, created);
            return;
        }
        __attribute__((fallthrough)); /* it has had its time */
    case V_BAD:
    case V_ENCRYPTED:
        if (created && !is_frozen(ix)) {
            todo_add(t, rel); /* a new bad file: recorded as rejected, with its reason */
            return;
        }
        ix->pending.changed++;
        ix->pending.unparseable++;
        if (look_at(ix, rel) == V_ENCRYPTED)
            ix->pending.high_entropy++;
        return;
    }
}

static void judge_entry(struct cv_indexer *ix, const struct cv_watch_entry *e, struct todo *t)
{
    char abs[4096];
    struct stat sb;
    bool exists;

    if (e->flags == CV_WATCH_ATTRIB)
        return; /* only its mode or times: the content the index holds is the same */
    if (cv_path_join(abs, sizeof(abs), ix->roots[ROOT_SOURCE], e->path)) {
        log_warn("watch: a changed file was skipped: %s", cv_errmsg());
        return;
    }
    exists = lstat(abs, &sb) == 0 && S_ISREG(sb.st_mode);
    if (!exists) {
        if (e->flags & CV_WATCH_CREATED)
            return; /* born and gone within the batch: a writer's temporary file */
        if (!name_ok(e->path))
            return;
        if (e->moved_to && name_ok(e->moved_to)) {
            todo_add(t, e->path); /* _1 -> _2, _1 -> _0: the index follows the content */
            todo_add(t, e->moved_to);
        } else if (e->moved_to) {
            ix->pending.renamed_unknown++;
        } else {
            ix->pending.vanished++;
        }
        return;
    }
    if (!name_ok(e->path)) {
        if (!hidden(e->path) && !ix->suspicious_scan_at)
            ix->suspicious_scan_at = cv_now() + SUSPICIOUS_SCAN_S; /* a scan counts these */
        return;
    }
    if (e->moved_from && name_ok(e->moved_from))
        return; /* added with its other half */
    judge_content(ix, e->path, (e->flags & CV_WATCH_CREATED) != 0, 0, t);
}

/* Index what was judged safe; count the updates among them (content that changed). */
static void apply_todo(struct cv_indexer *ix, struct todo *t)
{
    struct cv_index_options opt;
    struct cv_index_stats stats;
    enum cv_err err;

    if (t->n == 0)
        return;
    options(ix, &opt);
    pthread_mutex_lock(&ix->idx_lock);
    err = cv_index_paths(ix->idx, ix->roots[ROOT_SOURCE], t->paths, t->n, &opt, &stats);
    pthread_mutex_unlock(&ix->idx_lock);
    if (err) {
        log_error("cannot index %zu changed files: %s", t->n, cv_errmsg());
        ix->suspicious_scan_at = cv_now() + SUSPICIOUS_SCAN_S;
        return;
    }
    ix->period.changed += (long long)stats.updated;
    set_stats(ix, st_changed,
              (long long)(stats.new_files + stats.updated + stats.renamed + stats.vanished));
    log_debug("indexed %zu paths: %llu new, %llu updated, %llu renamed", t->n,
              (unsigned long long)stats.new_files, (unsigned long long)stats.updated,
              (unsigned long long)stats.renamed);
}

/* The paths the batch gained since the last call go into the change journal as soon as they
 * are read (both ends of a rename are entries of their own). Events lost, or a new folder the
 * budget could not watch, and the journal cannot be trusted until the next walk. (Folders left
 * out from the start, the oldest care dates of a tree larger than the budget, are the full
 * walk's: see DAEMON.md.) */
static void journal_batch(struct cv_indexer *ix)
{
    size_t watched, left_out;

    if (!ix->journal)
        return;
    cv_watch_counts(ix->watch, &watched, &left_out);
    if (ix->batch.overflow || left_out > ix->left_out_at_start) {
        cv_journal_lost(ix->journal);
        ix->journaled = ix->batch.n;
        return;
    }
    for (; ix->journaled < ix->batch.n; ix->journaled++)
        cv_journal_add(ix->journal, ix->batch.entries[ix->journaled].path);
}

static void process_batch(struct cv_indexer *ix)
{
    struct todo t = {0};

    if (ix->batch.overflow) {
        log_warn("inotify lost events (%zu pending): full scan", ix->batch.n);
        atomic_store(&ix->want_rescan, true);
    }
    for (size_t i = 0; i < ix->batch.n; i++)
        judge_entry(ix, &ix->batch.entries[i], &t);
    apply_todo(ix, &t);
    check_pending(ix);
    cv_free(t.paths);
    cv_watch_batch_clear(&ix->batch);
    ix->journaled = 0;
    set_stats(ix, st_scanned, 0);
}

static void process_retries(struct cv_indexer *ix)
{
    struct retry *due = ix->retries;
    size_t ndue = ix->nretries;
    time_t now = cv_now();
    struct todo t = {0};

    ix->retries = NULL;
    ix->nretries = 0;
    for (size_t i = 0; i < ndue; i++) {
        if (due[i].due <= now)
            judge_content(ix, due[i].path, due[i].created, due[i].tries, &t);
        else
            retry_at(ix, due[i].path, due[i].due, due[i].tries, due[i].created);
    }
    apply_todo(ix, &t);
    check_pending(ix);
    cv_free(t.paths);
    for (size_t i = 0; i < ndue; i++)
        cv_free(due[i].path);
    cv_free(due);
}

/* ---- MLLP files --------------------------------------------------------------------------- */

/* The index was busy: hand the paths to the indexer thread (they are durable already). */
static enum cv_err defer_mllp(struct cv_indexer *ix, const char *const *relpaths, size_t n)
{
    enum cv_err err = CV_OK;

    pthread_mutex_lock(&ix->pending_lock);
    for (size_t i = 0; i < n && !err; i++) {
        char **p = ix->nmllp_pending < MLLP_PENDING_MAX
                       ? cv_reallocarray(ix->mllp_pending, ix->nmllp_pending + 1, sizeof(*p))
                       : NULL;

        if (!p || !(p[ix->nmllp_pending] = cv_strdup(relpaths[i]))) {
            err = cv_fail(CV_ENOMEM, "too many stored messages waiting for the index; the "
                                     "next scan indexes them");
            if (p)
                ix->mllp_pending = p;
            break;
        }
        ix->mllp_pending = p;
        ix->nmllp_pending++;
    }
    pthread_mutex_unlock(&ix->pending_lock);
    wake(ix);
    return err;
}

/* On the indexer thread: index what the MLLP thread could not. */
static void flush_mllp_pending(struct cv_indexer *ix)
{
    struct cv_index_options opt;
    struct cv_index_stats stats;
    char **paths;
    size_t n;

    pthread_mutex_lock(&ix->pending_lock);
    paths = ix->mllp_pending;
    n = ix->nmllp_pending;
    ix->mllp_pending = NULL;
    ix->nmllp_pending = 0;
    pthread_mutex_unlock(&ix->pending_lock);
    if (!n)
        return;
    options(ix, &opt);
    pthread_mutex_lock(&ix->idx_lock);
    if (cv_index_paths(ix->idx, ix->roots[ROOT_MLLP], (const char *const *)paths, n, &opt,
                       &stats) == CV_OK)
        set_stats(ix, st_changed, (long long)(stats.new_files + stats.updated + stats.renamed));
    else
        log_error("cannot index %zu stored MLLP files: %s (the next scan retries)", n, cv_errmsg());
    pthread_mutex_unlock(&ix->idx_lock);
    for (size_t i = 0; i < n; i++)
        cv_free(paths[i]);
    cv_free(paths);
}

/* ---- the thread ------------------------------------------------------------------------------ */

static void resume(struct cv_indexer *ix)
{
    pthread_mutex_lock(&ix->stats_lock);
    ix->stats.frozen = false;
    ix->stats.frozen_since = 0;
    ix->stats.frozen_reason[0] = '\0';
    pthread_mutex_unlock(&ix->stats_lock);
    cv_state_set_int(ix->state, "frozen", 0);
    full_scan(ix, false, true);
    cv_alert_clear(ix->alerts, "freeze",
                   "freeze lifted by 'chartvault resume': the trees as they are now are the new "
                   "baseline");
    log_info("freeze lifted");
}

/* Milliseconds until the next thing to do, for poll(). */
static int next_timeout(struct cv_indexer *ix)
{
    uint64_t now_ms = cv_monotonic_ms();
    time_t now = cv_now();
    long long ms = 1000;

    if (ix->batch.n || ix->batch.overflow)
        ms = ix->batch_due_ms > now_ms ? (long long)(ix->batch_due_ms - now_ms) : 0;
    if (ix->nretries && ms > 500)
        ms = 500;
    if (ix->next_rescan && ix->next_rescan <= now)
        ms = 0;
    return (int)ms;
}

static void *indexer_main(void *arg)
{
    struct cv_indexer *ix = arg;

    while (!atomic_load(&ix->stop)) {
        struct pollfd p[2] = {{.fd = ix->wake, .events = POLLIN},
                              {.fd = ix->watch ? cv_watch_fd(ix->watch) : -1, .events = POLLIN}};
        time_t now;

        if (poll(p, 2, next_timeout(ix)) > 0) {
            uint64_t v;

            if (p[0].revents & POLLIN && read(ix->wake, &v, sizeof(v)) < 0)
                log_debug("indexer wake read: %s", strerror(errno));
            if (p[1].revents & POLLIN) {
                if (!ix->batch.n)
                    ix->batch_due_ms = cv_monotonic_ms() + BATCH_DELAY_MS;
                atomic_store(&ix->journaling, true);
                if (cv_watch_read(ix->watch, &ix->batch) != CV_OK)
                    log_error("%s", cv_errmsg());
                journal_batch(ix);
                atomic_store(&ix->journaling, false);
            }
        }
        if (atomic_load(&ix->stop))
            break;
        if ((ix->batch.n || ix->batch.overflow) && cv_monotonic_ms() >= ix->batch_due_ms)
            process_batch(ix);
        if (ix->nretries)
            process_retries(ix);
        flush_mllp_pending(ix);
        now = cv_now();
        if (atomic_exchange(&ix->want_resume, false)) {
            resume(ix);
        } else if (atomic_exchange(&ix->want_rescan, false) ||
                   (ix->suspicious_scan_at && now >= ix->suspicious_scan_at)) {
            full_scan(ix, false, false);
        } else if (ix->next_rescan && now >= ix->next_rescan) {
            full_scan(ix, true, false);
            ix->next_rescan = now + ix->cfg->rescan;
        }
    }
    return NULL;
}

/* ---- life cycle -------------------------------------------------------------------------------
 */

enum cv_err cv_indexer_open(struct cv_indexer **out, const struct cv_config *cfg,
                            struct cv_alerter *alerts)
{
    struct cv_indexer *ix = cv_calloc(1, sizeof(*ix));
    enum cv_err err;
    char *reason;

    *out = NULL;
    if (!ix)
        return cv_fail(CV_ENOMEM, "out of memory");
    ix->cfg = cfg;
    ix->alerts = alerts;
    ix->roots[ROOT_SOURCE] = cfg->source_path;
    ix->roots[ROOT_MLLP] = cfg->mllp_storage;
    ix->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&ix->idx_lock, NULL);
    pthread_mutex_init(&ix->stats_lock, NULL);
    pthread_mutex_init(&ix->pending_lock, NULL);
    cv_buf_init(&ix->file, MAX_FILE_BYTES);
    err = ix->wake < 0 ? cv_fail_errno(CV_EIO, "cannot make an eventfd") : CV_OK;
    if (!err)
        err = cv_state_open(&ix->state, cfg->state_dir, false);
    if (!err)
        err = cv_hl7_msg_new(&ix->msg);
    if (!err)
        err = cv_index_open(cfg->index_db, 0, &ix->idx);
    if (err) {
        cv_indexer_free(ix);
        return err;
    }
    /* A freeze survives a restart: nothing changes until a person says `resume`. */
    if (cv_state_get_int(ix->state, "frozen", 0)) {
        ix->stats.frozen = true;
        ix->stats.frozen_since = cv_state_get_int(ix->state, "frozen_since", cv_now());
        reason = cv_state_get_text(ix->state, "frozen_reason");
        cv_strlcpy(ix->stats.frozen_reason, reason ? reason : "frozen before the restart",
                   sizeof(ix->stats.frozen_reason));
        cv_free(reason);
    }
    *out = ix;
    return CV_OK;
}

/* Watch folders up to half the kernel's per-user limit (the rest is for other programs). */
static size_t watch_budget(void)
{
    FILE *f = fopen("/proc/sys/fs/inotify/max_user_watches", "r");
    long v = 8192;

    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = 8192;
        fclose(f);
    }
    return (size_t)(v / 2);
}

enum cv_err cv_indexer_start(struct cv_indexer *ix)
{
    struct cv_index_info info;
    size_t watched = 0, left_out = 0;
    enum cv_err err;
    int rc;

    if (ix->roots[ROOT_SOURCE]) {
        err = cv_watch_open(&ix->watch, ix->roots[ROOT_SOURCE], watch_budget());
        if (err)
            return err;
        cv_watch_counts(ix->watch, &watched, &left_out);
        ix->left_out_at_start = left_out;
        if (left_out)
            log_warn("watching %zu folders of '%s'; %zu more (with what is below them) are over "
                     "the inotify budget and are covered by the rescan every %ld s and by the "
                     "snapshots' full walk every %ld s",
                     watched, ix->roots[ROOT_SOURCE], left_out, ix->cfg->rescan,
                     ix->cfg->full_walk);
        else
            log_info("watching %zu folders of '%s'", watched, ix->roots[ROOT_SOURCE]);
    }
    if (cv_index_info(ix->idx, &info) == CV_OK) {
        ix->stats.last_change = info.data_time_epoch;
        ix->stats.files = info.files;
    }
    if (cv_state_get_int(ix->state, "resume_requested", 0)) {
        /* asked for while the daemon was stopped: the first scan takes the trees as they are */
        atomic_store(&ix->want_resume, true);
        cv_state_delete(ix->state, "resume_requested");
    } else
        atomic_store(&ix->want_rescan, true); /* the start-up scan, on the thread */
    ix->next_rescan = ix->cfg->rescan ? cv_now() + ix->cfg->rescan : 0;
    rc = pthread_create(&ix->thread, NULL, indexer_main, ix);
    if (rc) {
        errno = rc;
        return cv_fail_errno(CV_EIO, "cannot start the indexer thread");
    }
    ix->started = true;
    return CV_OK;
}

void cv_indexer_set_journal(struct cv_indexer *ix, struct cv_journal *j)
{
    ix->journal = j;
}

bool cv_indexer_journal_current(struct cv_indexer *ix)
{
    int pending = 0;

    if (!ix->watch || !ix->journal || atomic_load(&ix->journaling))
        return false;
    if (ioctl(cv_watch_fd(ix->watch), FIONREAD, &pending) != 0 || pending > 0)
        return false;
    return !atomic_load(&ix->journaling); /* a read that began meanwhile has not finished */
}

void cv_indexer_request_rescan(struct cv_indexer *ix)
{
    atomic_store(&ix->want_rescan, true);
    wake(ix);
}

void cv_indexer_request_resume(struct cv_indexer *ix)
{
    atomic_store(&ix->want_resume, true);
    wake(ix);
}

void cv_indexer_stats(struct cv_indexer *ix, struct cv_indexer_stats *out)
{
    pthread_mutex_lock(&ix->stats_lock);
    *out = ix->stats;
    pthread_mutex_unlock(&ix->stats_lock);
}

enum cv_err cv_indexer_add_mllp_files(struct cv_indexer *ix, const char *const *relpaths, size_t n)
{
    struct timespec until;
    struct cv_index_options opt;
    struct cv_index_stats stats;
    enum cv_err err;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += MLLP_LOCK_WAIT_S;
    if (pthread_mutex_timedlock(&ix->idx_lock, &until) != 0)
        return defer_mllp(ix, relpaths, n);
    options(ix, &opt);
    err = cv_index_paths(ix->idx, ix->roots[ROOT_MLLP], relpaths, n, &opt, &stats);
    pthread_mutex_unlock(&ix->idx_lock);
    if (!err)
        set_stats(ix, st_changed, (long long)(stats.new_files + stats.updated + stats.renamed));
    return err;
}

/* A consistent copy through SQLite's online backup, with our writer held off meanwhile: the
 * index is a SQLite file; nothing here reads or writes its tables. */
enum cv_err cv_indexer_copy_db(struct cv_indexer *ix, const char *dest)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b;
    enum cv_err err = CV_OK;
    char tmp[4200];
    int rc;

    if (cv_path_format(tmp, sizeof(tmp), "%s.tmp", dest))
        return cv_fail_prefix(CV_ETOOBIG, "index copy: ");
    unlink(tmp);
    pthread_mutex_lock(&ix->idx_lock);
    rc = sqlite3_open_v2(ix->cfg->index_db, &src, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK) {
        b = sqlite3_backup_init(dst, "main", src, "main");
        rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(dst);
        if (b)
            sqlite3_backup_finish(b);
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK)
        err = cv_fail(CV_EDB, "cannot copy the index '%s': %s", ix->cfg->index_db,
                      dst   ? sqlite3_errmsg(dst)
                      : src ? sqlite3_errmsg(src)
                            : "out of memory");
    sqlite3_close(src);
    sqlite3_close(dst);
    pthread_mutex_unlock(&ix->idx_lock);
    if (!err && rename(tmp, dest) != 0)
        err = cv_fail_errno(CV_EIO, "cannot rename '%s'", tmp);
    if (err)
        unlink(tmp);
    return err;
}

void cv_indexer_free(struct cv_indexer *ix)
{
    if (!ix)
        return;
    if (ix->started) {
        atomic_store(&ix->stop, true);
        wake(ix);
        pthread_join(ix->thread, NULL);
    }
    for (size_t i = 0; i < ix->nretries; i++)
        cv_free(ix->retries[i].path);
    cv_free(ix->retries);
    cv_watch_batch_clear(&ix->batch);
    cv_free(ix->batch.entries);
    cv_free(ix->batch.slots);
    cv_watch_free(ix->watch);
    cv_index_close(ix->idx);
    cv_hl7_msg_free(ix->msg);
    cv_buf_free(&ix->file);
    cv_state_close(ix->state);
    if (ix->wake >= 0)
        close(ix->wake);
    pthread_mutex_destroy(&ix->idx_lock);
    pthread_mutex_destroy(&ix->stats_lock);
    for (size_t i = 0; i < ix->nmllp_pending; i++)
        cv_free(ix->mllp_pending[i]);
    cv_free(ix->mllp_pending);
    pthread_mutex_destroy(&ix->pending_lock);
    cv_free(ix);
}
