/*
 * status.c: one honest answer to "are we protected?": reads the daemon's state file, looks at
 * each repository, and turns it into one verdict (OK / WARN / CRIT) with the reasons, plus the
 * 3-2-1-1-0 line (copies, media, off-site, offline/immutable, drill errors) that says plainly
 * what is not configured. Also `resume`, which asks the daemon to lift a freeze.
 */
#include <chartvault/daemon.h>

#include "daemon_parts.h"
#include <chartvault/state.h>

#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void cv_format_duration(long long s, char *buf, size_t n)
{
    if (s < 120)
        snprintf(buf, n, "%lld s", s);
    else if (s < 7200)
        snprintf(buf, n, "%lld min", s / 60);
    else if (s < 2 * 86400)
        snprintf(buf, n, "%.1f h", (double)s / 3600);
    else
        snprintf(buf, n, "%.1f d", (double)s / 86400);
}

CV_PRINTF(3, 4)
static void problem(struct cv_status *st, enum cv_verdict level, const char *fmt, ...)
{
    va_list ap;
    size_t i;

    if (level > st->verdict)
        st->verdict = level;
    if (st->nproblems == CV_STATUS_MAX_PROBLEMS)
        return;
    /* worst first, in the order found within a level */
    for (i = st->nproblems; i > 0 && st->problem_level[i - 1] < level; i--) {
        memcpy(st->problems[i], st->problems[i - 1], sizeof(st->problems[i]));
        st->problem_level[i] = st->problem_level[i - 1];
    }
    st->nproblems++;
    st->problem_level[i] = level;
    va_start(ap, fmt);
    vsnprintf(st->problems[i], sizeof(st->problems[i]), fmt, ap);
    va_end(ap);
}

/* The daemon holds an exclusive lock on <state_dir>/daemon.lock while it runs. */
static bool daemon_running(const char *state_dir)
{
    char path[4096];
    bool running = false;
    int fd;

    if (cv_path_join(path, sizeof(path), state_dir, "daemon.lock"))
        return false;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0)
        running = true;
    close(fd);
    return running;
}

static void read_daemon(struct cv_status *st, struct cv_state *s, const struct cv_config *cfg)
{
    char *reason;

    st->daemon_pid = cv_state_get_int(s, "pid", 0);
    st->heartbeat = cv_state_get_int(s, "heartbeat", 0);
    st->started = cv_state_get_int(s, "started", 0);
    st->frozen = cv_state_get_int(s, "frozen", 0);
    st->frozen_since = cv_state_get_int(s, "frozen_since", 0);
    reason = cv_state_get_text(s, "frozen_reason");
    cv_strlcpy(st->frozen_reason, reason ? reason : "", sizeof(st->frozen_reason));
    cv_free(reason);
    st->resume_requested = cv_state_get_int(s, "resume_requested", 0) != 0;
    st->source_last_change = cv_state_get_int(s, "source_last_change", 0);
    st->source_files = cv_state_get_int(s, "source_files", 0);
    st->last_scan = cv_state_get_int(s, "last_scan", 0);
    st->last_full_scan = cv_state_get_int(s, "last_full_scan", 0);
    st->mllp_configured = cfg->mllp_listen != NULL;
    cv_strlcpy(st->mllp_listen, cfg->mllp_listen ? cfg->mllp_listen : "", sizeof(st->mllp_listen));
    st->mllp_up = st->daemon_running && cv_state_get_int(s, "mllp_up", 0);
    st->mllp_connections = cv_state_get_int(s, "mllp_connections", 0);
    st->mllp_refused = cv_state_get_int(s, "mllp_refused", 0);
    st->mllp_messages = cv_state_get_int(s, "mllp_messages", 0);
    st->mllp_accepted = cv_state_get_int(s, "mllp_accepted", 0);
    st->mllp_errors = cv_state_get_int(s, "mllp_errors", 0);
    st->mllp_rejected = cv_state_get_int(s, "mllp_rejected", 0);
}

static void read_lock(struct cv_status_repo *r, struct cv_state *s, const struct cv_config_repo *rc)
{
    char key[128], *detail;

    if (!s)
        return;
    snprintf(key, sizeof(key), "lock_time:%s", rc->name);
    r->lock_time = cv_state_get_int(s, key, 0);
    snprintf(key, sizeof(key), "lock_ok:%s", rc->name);
    r->lock_ok = cv_state_get_int(s, key, 0) != 0;
    snprintf(key, sizeof(key), "lock_until:%s", rc->name);
    r->lock_until = cv_state_get_int(s, key, 0);
    snprintf(key, sizeof(key), "lock_detail:%s", rc->name);
    detail = cv_state_get_text(s, key);
    cv_strlcpy(r->lock_detail, detail ? detail : "", sizeof(r->lock_detail));
    cv_free(detail);
}

/* What this repository may count for: nothing unless it answers now and is fresh; off-site
 * when it lives elsewhere; immutable when its locks were read back in force. */
static void judge_counts(struct cv_status_repo *r, const struct cv_config *cfg,
                         const struct cv_config_repo *rc, long long now)
{
    bool elsewhere;

    cv_protect_repo_kind(rc, &elsewhere, &r->can_lock);
    r->fresh = r->newest_time && r->newest_age <= cfg->snapshot_max_age;
    r->counted = r->reachable && r->fresh;
    r->offsite = r->counted && elsewhere;
    r->immutable = r->counted && r->can_lock && r->lock_ok && r->lock_until > now;
}

static void read_repo(struct cv_status *st, struct cv_state *s, const struct cv_config *cfg,
                      const struct cv_config_repo *rc, long long now)
{
    struct cv_status_repo *r = &st->repos[st->nrepos++];
    struct cv_state_repo sr = {0};
    struct stat sb;

    cv_strlcpy(r->name, rc->name, sizeof(r->name));
    cv_strlcpy(r->path, rc->path, sizeof(r->path));
    if (s)
        cv_state_repo_get(s, rc->name, &sr);
    /* the state says what the daemon made; a cheap look says whether the storage answers now */
    r->reachable = cv_protect_reachable(rc) == CV_OK;
    if (!r->reachable)
        cv_strlcpy(r->error, cv_errmsg(), sizeof(r->error));
    else if (sr.last_error[0])
        cv_strlcpy(r->error, sr.last_error, sizeof(r->error));
    if (sr.snap_time) {
        r->newest_time = sr.snap_time;
        cv_strlcpy(r->newest_id, sr.snap_id, sizeof(r->newest_id));
        r->newest_suspect = sr.snap_suspect;
        r->bytes = sr.snap_bytes;
        r->files = sr.snap_files;
    }
    r->newest_age = r->newest_time ? now - r->newest_time : 0;
    r->failures = sr.failures;
    r->check_time = sr.check_time;
    r->check_ok = sr.check_ok;
    r->drill_time = sr.drill_time;
    r->drill_ok = sr.drill_ok;
    r->drill_files = sr.drill_files;
    r->drill_errors = sr.drill_errors;
    cv_strlcpy(r->drill_detail, sr.drill_detail, sizeof(r->drill_detail));
    if (s) {
        struct cv_state_drill full;
        size_t n = 0;

        if (cv_state_drill_list(s, 0, rc->name, "full", &full, 1, &n) == CV_OK && n) {
            r->full_time = full.time;
            r->full_ok = full.ok;
            r->full_files = full.files;
            r->full_bytes = full.bytes;
            r->full_errors = full.errors;
            r->full_seconds = full.seconds;
            r->full_rto = full.rto;
            cv_strlcpy(r->full_detail, full.detail, sizeof(r->full_detail));
        }
    }
    read_lock(r, s, rc);
    judge_counts(r, cfg, rc, now);
    if (!cv_backend_is_s3(rc->path) && stat(rc->path, &sb) == 0)
        r->device = (unsigned long long)sb.st_dev;
}

static void judge_repo(struct cv_status *st, const struct cv_config *cfg,
                       const struct cv_status_repo *r)
{
    char age[32], limit[32];

    cv_format_duration(r->newest_age, age, sizeof(age));
    cv_format_duration(cfg->snapshot_max_age, limit, sizeof(limit));
    if (!r->newest_time)
        problem(st, CV_VERDICT_CRIT, "[repo %s] has no snapshot yet", r->name);
    else if (r->newest_age > cfg->snapshot_max_age)
        problem(st, CV_VERDICT_CRIT, "[repo %s] newest snapshot is %s old (limit %s)", r->name, age,
                limit);
    if (!r->reachable)
        problem(st, CV_VERDICT_WARN, "[repo %s] cannot be opened: %s", r->name, r->error);
    else if (r->failures)
        problem(st, CV_VERDICT_WARN, "[repo %s] last %lld snapshot attempts failed: %s", r->name,
                r->failures, r->error);
    if (r->newest_suspect)
        problem(st, CV_VERDICT_WARN, "[repo %s] newest snapshot is tagged suspect", r->name);
    if (r->can_lock && r->lock_time && !r->lock_ok)
        problem(st, CV_VERDICT_WARN, "[repo %s] %s", r->name, r->lock_detail);
    else if (r->can_lock && r->lock_ok && r->lock_until <= cv_now())
        problem(st, CV_VERDICT_WARN, "[repo %s] the locks read back ran out; not immutable",
                r->name);
    if (r->full_time && !r->full_ok)
        problem(st, CV_VERDICT_CRIT, "[repo %s] last full restore drill failed: %s", r->name,
                r->full_detail);
    else if (r->full_time && r->full_seconds > (double)r->full_rto)
        problem(st, CV_VERDICT_WARN,
                "[repo %s] the last full restore took %.0f s, longer than the RTO (%lld s)",
                r->name, r->full_seconds, r->full_rto);
    else if (cfg->drill_full_interval && r->full_time &&
             cv_now() - r->full_time > cfg->drill_full_interval + 86400)
        problem(st, CV_VERDICT_WARN, "[repo %s] last full restore drill is %lld d old", r->name,
                (long long)(cv_now() - r->full_time) / 86400);
    if (r->drill_time && !r->drill_ok)
        problem(st, CV_VERDICT_CRIT, "[repo %s] last restore drill failed: %s", r->name,
                r->drill_detail);
    else if (cfg->drill_interval && r->newest_time && !r->drill_time)
        problem(st, CV_VERDICT_WARN, "[repo %s] no restore drill yet", r->name);
    else if (cfg->drill_interval && r->drill_time &&
             cv_now() - r->drill_time > 2 * cfg->drill_interval + 600)
        problem(st, CV_VERDICT_WARN, "[repo %s] last restore drill is %lld h old", r->name,
                (long long)(cv_now() - r->drill_time) / 3600);
}

/* 3-2-1-1-0: 3 copies, 2 media, 1 off-site, 1 offline or immutable, 0 errors in the last
 * drill. The source counts as a copy; a repository counts only when it answered just now and
 * its newest snapshot is fresh, as off-site only then, as immutable only when its locks were
 * also read back in force (judge_counts). */
/* Why nothing counts as off-site (or immutable): none is configured, or none is true now. */
static const char *none_why(const struct cv_status *st, bool immutable)
{
    for (size_t i = 0; i < st->nrepos; i++)
        if (immutable ? st->repos[i].can_lock : st->repos[i].offsite || st->repos[i].can_lock)
            return immutable ? " (none verified locked, reachable and fresh)"
                             : " (none reachable and fresh)";
    return " (none configured)";
}

static void rule_32110(struct cv_status *st, const struct cv_config *cfg)
{
    unsigned long long devs[CV_CONFIG_MAX_REPOS + 1];
    size_t ndev = 0;
    struct stat sb;
    bool drilled = false;
    char drill[64];

    st->copies = cfg->source_path || cfg->mllp_storage ? 1 : 0;
    if (cfg->source_path && stat(cfg->source_path, &sb) == 0)
        devs[ndev++] = (unsigned long long)sb.st_dev;
    for (size_t i = 0; i < st->nrepos; i++) {
        const struct cv_status_repo *r = &st->repos[i];
        bool seen = false;

        if (!r->counted)
            continue;
        st->copies++;
        st->offsite += r->offsite;
        st->immutable += r->immutable;
        if (r->offsite) {
            st->media++;
        } else if (r->device) {
            for (size_t k = 0; k < ndev; k++)
                seen |= devs[k] == r->device;
            if (!seen)
                devs[ndev++] = r->device;
        }
    }
    for (size_t i = 0; i < st->nrepos; i++) {
        const struct cv_status_repo *r = &st->repos[i];

        if (r->drill_time) {
            drilled = true;
            st->drill_errors += r->drill_errors;
        }
    }
    st->media += (int)ndev;
    if (drilled)
        snprintf(drill, sizeof(drill), "%lld", st->drill_errors);
    else
        snprintf(drill, sizeof(drill), "unknown (no drill yet)");
    snprintf(st->rule_line, sizeof(st->rule_line),
             "3-2-1-1-0: copies %d/3, media %d/2, off-site %d/1%s, offline/immutable %d/1%s, "
             "drill errors %s",
             st->copies, st->media, st->offsite, st->offsite ? "" : none_why(st, false),
             st->immutable, st->immutable ? "" : none_why(st, true), drill);
}

enum cv_err cv_daemon_status(const struct cv_config *cfg, struct cv_status *st)
{
    struct cv_state *s = NULL;
    long long now = cv_now();
    char path[4200];
    size_t n = 0;
    struct cv_state_anomaly an[CV_STATUS_MAX_ANOMALIES];

    memset(st, 0, sizeof(*st));
    st->daemon_running = daemon_running(cfg->state_dir);
    if (cv_path_join(path, sizeof(path), cfg->state_dir, "state.sqlite") ||
        access(path, F_OK) != 0) {
        problem(st, CV_VERDICT_CRIT, "the daemon has never run here (no state in '%s')",
                cfg->state_dir);
    } else if (cv_state_open(&s, cfg->state_dir, true) != CV_OK) {
        problem(st, CV_VERDICT_CRIT, "cannot read the daemon's state: %s", cv_errmsg());
        s = NULL;
    } else {
        read_daemon(st, s, cfg);
    }
    if (s && !st->daemon_running) {
        char ago[32];

        cv_format_duration(now - st->heartbeat, ago, sizeof(ago));
        problem(st, CV_VERDICT_CRIT, "the daemon is not running (last seen %s ago)",
                st->heartbeat ? ago : "never");
    }
    if (st->frozen) {
        char ago[32];

        cv_format_duration(now - st->frozen_since, ago, sizeof(ago));
        problem(st, CV_VERDICT_CRIT, "FROZEN for %s: %s%s", ago, st->frozen_reason,
                st->resume_requested ? " (resume requested)"
                                     : "; after checking, run 'chartvault resume'");
    }
    if (st->mllp_configured && s && st->daemon_running && !st->mllp_up)
        problem(st, CV_VERDICT_CRIT, "the MLLP listener on %s is down", st->mllp_listen);
    if (cfg->nrepos == 0)
        problem(st, CV_VERDICT_CRIT, "no repository is configured: nothing is backed up");
    for (size_t i = 0; i < cfg->nrepos; i++) {
        read_repo(st, s, cfg, &cfg->repos[i], now);
        judge_repo(st, cfg, &st->repos[st->nrepos - 1]);
    }
    if (s && cv_state_anomaly_recent(s, an, CV_STATUS_MAX_ANOMALIES, &n) == CV_OK) {
        for (size_t i = 0; i < n; i++) {
            struct cv_status_anomaly *a = &st->anomalies[st->nanomalies++];

            a->time = an[i].time;
            cv_strlcpy(a->root, an[i].root, sizeof(a->root));
            a->existing = an[i].existing;
            a->changed = an[i].changed;
            a->unparseable = an[i].unparseable;
            a->high_entropy = an[i].high_entropy;
            a->renamed_unknown = an[i].renamed_unknown;
            a->vanished = an[i].vanished;
            a->froze = an[i].froze;
            if (!st->frozen && !a->froze && now - a->time < 86400 && i == 0)
                problem(st, CV_VERDICT_WARN, "unusual change in the %s tree %lld min ago", a->root,
                        (long long)(now - a->time) / 60);
        }
    }
    rule_32110(st, cfg);
    cv_state_close(s);
    return CV_OK;
}

enum cv_err cv_daemon_become_state_owner(const struct cv_config *cfg)
{
    struct stat sb;

    if (geteuid() != 0 || stat(cfg->state_dir, &sb) != 0 || sb.st_uid == 0)
        return CV_OK;
    if (setgroups(0, NULL) != 0 || setresgid(sb.st_gid, sb.st_gid, sb.st_gid) != 0 ||
        setresuid(sb.st_uid, sb.st_uid, sb.st_uid) != 0)
        return cv_fail_errno(CV_EPERM, "cannot become the owner (uid %u) of '%s'",
                             (unsigned)sb.st_uid, cfg->state_dir);
    return CV_OK;
}

enum cv_err cv_daemon_resume(const struct cv_config *cfg, const char *note)
{
    struct cv_state *s;
    enum cv_err err = cv_state_open(&s, cfg->state_dir, true);

    if (err)
        return cv_fail(CV_ENOENT, "nothing to resume: the daemon has never run with '%s'",
                       cfg->state_dir);
    cv_state_close(s);
    err = cv_state_open(&s, cfg->state_dir, false);
    if (err)
        return err;
    if (!cv_state_get_int(s, "frozen", 0)) {
        cv_state_close(s);
        return cv_fail(CV_ENOENT, "nothing is frozen");
    }
    err = cv_state_set_int(s, "resume_requested", cv_now());
    if (!err)
        err = cv_state_set_text(s, "resume_note", note);
    cv_state_close(s);
    return err;
}
