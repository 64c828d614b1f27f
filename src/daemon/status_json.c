/*
 * status_json.c: the `chartvault status --json` document. Keys are only ever added; times are
 * ISO 8601 with the local offset, ages are seconds, and anything
 * unknown is null rather than 0.
 */
#include <chartvault/daemon.h>

#include <string.h>

static const char *verdict_name(enum cv_verdict v)
{
    return v == CV_VERDICT_CRIT ? "CRIT" : v == CV_VERDICT_WARN ? "WARN" : "OK";
}

static void kv_time(struct cv_json *j, const char *key, long long t)
{
    char iso[40];

    cv_json_key(j, key);
    if (!t) {
        cv_json_null(j);
        return;
    }
    cv_time_format_iso((time_t)t, iso, sizeof(iso));
    cv_json_string(j, iso);
}

static void repo_json(struct cv_json *j, const struct cv_status_repo *r)
{
    cv_json_object_begin(j);
    cv_json_kv_string(j, "name", r->name);
    cv_json_kv_string(j, "path", r->path);
    cv_json_kv_bool(j, "reachable", r->reachable);
    cv_json_kv_string(j, "error", r->error[0] ? r->error : NULL);
    cv_json_key(j, "newest_snapshot");
    if (r->newest_time) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "id", r->newest_id);
        kv_time(j, "time", r->newest_time);
        cv_json_kv_int(j, "age_seconds", r->newest_age);
        cv_json_kv_bool(j, "suspect", r->newest_suspect);
        cv_json_kv_int(j, "files", r->files);
        cv_json_object_end(j);
    } else {
        cv_json_null(j);
    }
    cv_json_key(j, "size_bytes");
    if (r->bytes)
        cv_json_int(j, r->bytes);
    else
        cv_json_null(j);
    cv_json_kv_int(j, "failed_attempts", r->failures);
    cv_json_key(j, "last_check");
    if (r->check_time) {
        cv_json_object_begin(j);
        kv_time(j, "time", r->check_time);
        cv_json_kv_bool(j, "ok", r->check_ok);
        cv_json_object_end(j);
    } else {
        cv_json_null(j);
    }
    cv_json_key(j, "last_drill");
    if (r->drill_time) {
        cv_json_object_begin(j);
        kv_time(j, "time", r->drill_time);
        cv_json_kv_bool(j, "ok", r->drill_ok);
        cv_json_kv_int(j, "files", r->drill_files);
        cv_json_kv_int(j, "errors", r->drill_errors);
        cv_json_kv_string(j, "detail", r->drill_detail);
        cv_json_object_end(j);
    } else {
        cv_json_null(j);
    }
    cv_json_key(j, "last_full_drill");
    if (r->full_time) {
        cv_json_object_begin(j);
        kv_time(j, "time", r->full_time);
        cv_json_kv_bool(j, "ok", r->full_ok);
        cv_json_kv_int(j, "files", r->full_files);
        cv_json_kv_int(j, "bytes", r->full_bytes);
        cv_json_kv_int(j, "errors", r->full_errors);
        cv_json_kv_double(j, "seconds", r->full_seconds);
        cv_json_kv_int(j, "rto_seconds", r->full_rto);
        cv_json_kv_bool(j, "within_rto", r->full_seconds <= (double)r->full_rto);
        cv_json_kv_string(j, "detail", r->full_detail);
        cv_json_object_end(j);
    } else {
        cv_json_null(j);
    }
    cv_json_kv_bool(j, "fresh", r->fresh);
    cv_json_kv_bool(j, "counted", r->counted);
    cv_json_kv_bool(j, "offsite", r->offsite);
    cv_json_kv_bool(j, "immutable", r->immutable);
    cv_json_kv_bool(j, "can_lock", r->can_lock);
    cv_json_key(j, "lock");
    cv_json_object_begin(j);
    cv_json_kv_bool(j, "verified", r->lock_ok);
    cv_json_kv_int(j, "checked", r->lock_time);
    cv_json_kv_int(j, "until", r->lock_until);
    cv_json_kv_string(j, "detail", r->lock_detail);
    cv_json_object_end(j);
    cv_json_object_end(j);
}

static void anomaly_json(struct cv_json *j, const struct cv_status_anomaly *a)
{
    cv_json_object_begin(j);
    kv_time(j, "time", a->time);
    cv_json_kv_string(j, "tree", a->root);
    cv_json_kv_int(j, "existing_files", a->existing);
    cv_json_kv_int(j, "changed", a->changed);
    cv_json_kv_int(j, "unparseable", a->unparseable);
    cv_json_kv_int(j, "high_entropy", a->high_entropy);
    cv_json_kv_int(j, "renamed_unknown", a->renamed_unknown);
    cv_json_kv_int(j, "vanished", a->vanished);
    cv_json_kv_bool(j, "froze", a->froze);
    cv_json_object_end(j);
}

static void head_json(struct cv_json *j, const struct cv_status *st)
{
    cv_json_kv_string(j, "verdict", verdict_name(st->verdict));
    cv_json_key(j, "problems");
    cv_json_array_begin(j);
    for (size_t i = 0; i < st->nproblems; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "level", verdict_name(st->problem_level[i]));
        cv_json_kv_string(j, "text", st->problems[i]);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
    cv_json_key(j, "daemon");
    cv_json_object_begin(j);
    cv_json_kv_bool(j, "running", st->daemon_running);
    cv_json_key(j, "pid");
    if (st->daemon_running)
        cv_json_int(j, st->daemon_pid);
    else
        cv_json_null(j);
    kv_time(j, "started", st->started);
    kv_time(j, "heartbeat", st->heartbeat);
    cv_json_object_end(j);
    cv_json_key(j, "freeze");
    cv_json_object_begin(j);
    cv_json_kv_bool(j, "frozen", st->frozen);
    kv_time(j, "since", st->frozen ? st->frozen_since : 0);
    cv_json_kv_string(j, "reason", st->frozen ? st->frozen_reason : NULL);
    cv_json_kv_bool(j, "resume_requested", st->resume_requested);
    cv_json_object_end(j);
    cv_json_key(j, "source");
    cv_json_object_begin(j);
    kv_time(j, "last_change", st->source_last_change);
    cv_json_kv_int(j, "files", st->source_files);
    kv_time(j, "last_scan", st->last_scan);
    kv_time(j, "last_full_scan", st->last_full_scan);
    cv_json_object_end(j);
}

static void mllp_json(struct cv_json *j, const struct cv_status *st)
{
    cv_json_key(j, "mllp");
    if (!st->mllp_configured) {
        cv_json_null(j);
        return;
    }
    cv_json_object_begin(j);
    cv_json_kv_string(j, "listen", st->mllp_listen);
    cv_json_kv_bool(j, "up", st->mllp_up);
    cv_json_kv_int(j, "connections", st->mllp_connections);
    cv_json_kv_int(j, "refused", st->mllp_refused);
    cv_json_kv_int(j, "messages", st->mllp_messages);
    cv_json_kv_int(j, "accepted", st->mllp_accepted);
    cv_json_kv_int(j, "errors", st->mllp_errors);
    cv_json_kv_int(j, "rejected", st->mllp_rejected);
    cv_json_object_end(j);
}

enum cv_err cv_status_to_json(const struct cv_status *st, struct cv_json *j)
{
    cv_json_object_begin(j);
    head_json(j, st);
    mllp_json(j, st);
    cv_json_key(j, "repositories");
    cv_json_array_begin(j);
    for (size_t i = 0; i < st->nrepos; i++)
        repo_json(j, &st->repos[i]);
    cv_json_array_end(j);
    cv_json_key(j, "anomalies");
    cv_json_array_begin(j);
    for (size_t i = 0; i < st->nanomalies; i++)
        anomaly_json(j, &st->anomalies[i]);
    cv_json_array_end(j);
    cv_json_key(j, "rule_3_2_1_1_0");
    cv_json_object_begin(j);
    cv_json_kv_int(j, "copies", st->copies);
    cv_json_kv_int(j, "media", st->media);
    cv_json_kv_int(j, "offsite", st->offsite);
    cv_json_kv_int(j, "offline_or_immutable", st->immutable);
    cv_json_key(j, "drill_errors");
    if (st->rule_line[0] && strstr(st->rule_line, "no drill yet"))
        cv_json_null(j);
    else
        cv_json_int(j, st->drill_errors);
    cv_json_kv_string(j, "line", st->rule_line);
    cv_json_object_end(j);
    cv_json_object_end(j);
    return cv_json_finish(j);
}
