/*
 * state.c: the daemon's memory in <state_dir>/state.sqlite: a key/value table for times and
 * counters, one row per repository, and a log of anomalies. WAL mode lets `status` read while
 * the daemon writes; a busy timeout rides over the short write locks.
 */
#include <chartvault/state.h>

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

struct cv_state {
    sqlite3 *db;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value);"
    "CREATE TABLE IF NOT EXISTS repo (name TEXT PRIMARY KEY, snap_time INTEGER, snap_id TEXT,"
    " snap_bytes INTEGER, snap_files INTEGER, snap_suspect INTEGER, attempt_time INTEGER,"
    " last_error TEXT, failures INTEGER, check_time INTEGER, check_ok INTEGER,"
    " check_detail TEXT, drill_time INTEGER, drill_ok INTEGER, drill_files INTEGER,"
    " drill_errors INTEGER, drill_detail TEXT);"
    "CREATE TABLE IF NOT EXISTS anomaly (id INTEGER PRIMARY KEY, time INTEGER, root TEXT,"
    " existing INTEGER, changed INTEGER, unparseable INTEGER, high_entropy INTEGER,"
    " renamed_unknown INTEGER, vanished INTEGER, froze INTEGER);"
    "CREATE TABLE IF NOT EXISTS drill (id INTEGER PRIMARY KEY, time INTEGER, repo TEXT, kind TEXT,"
    " snap_id TEXT, ok INTEGER, files INTEGER, bytes INTEGER, errors INTEGER, seconds REAL,"
    " rto INTEGER, detail TEXT);";

static enum cv_err db_fail(struct cv_state *s, const char *what)
{
    return cv_fail(CV_EDB, "state database: %s: %s", what, sqlite3_errmsg(s->db));
}

enum cv_err cv_state_open(struct cv_state **out, const char *state_dir, bool readonly)
{
    char path[4096];
    struct cv_state *s;
    enum cv_err err;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

    /* readonly: never create anything; `status` must not leave files behind */

    *out = NULL;
    if (!readonly) {
        err = cv_mkdir_p(state_dir, 0700);
        if (err)
            return err;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/state.sqlite", state_dir) >= sizeof(path))
        return cv_fail(CV_EINVAL, "state folder path too long");
    s = cv_calloc(1, sizeof(*s));
    if (!s)
        return cv_fail(CV_ENOMEM, "out of memory");
    if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        err = s->db ? cv_fail(CV_EDB, "cannot open '%s': %s", path, sqlite3_errmsg(s->db))
                    : cv_fail(CV_ENOMEM, "out of memory");
        cv_state_close(s);
        return err;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (!readonly && sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        err = db_fail(s, "cannot create tables");
        cv_state_close(s);
        return err;
    }
    *out = s;
    return CV_OK;
}

void cv_state_close(struct cv_state *s)
{
    if (!s)
        return;
    sqlite3_close(s->db);
    cv_free(s);
}

static enum cv_err set_value(struct cv_state *s, const char *key, const char *text, long long v)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", -1, &st,
                           NULL) != SQLITE_OK)
        return db_fail(s, "cannot prepare");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (text)
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 2, v);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CV_OK : db_fail(s, "cannot write");
}

enum cv_err cv_state_begin(struct cv_state *s)
{
    return sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
               ? CV_OK
               : db_fail(s, "cannot begin");
}

enum cv_err cv_state_commit(struct cv_state *s)
{
    return sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK
               ? CV_OK
               : db_fail(s, "cannot commit");
}

enum cv_err cv_state_set_int(struct cv_state *s, const char *key, long long v)
{
    return set_value(s, key, NULL, v);
}

enum cv_err cv_state_set_text(struct cv_state *s, const char *key, const char *v)
{
    return v ? set_value(s, key, v, 0) : cv_state_delete(s, key);
}

enum cv_err cv_state_delete(struct cv_state *s, const char *key)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db, "DELETE FROM kv WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "cannot prepare");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CV_OK : db_fail(s, "cannot delete");
}

static sqlite3_stmt *get_row(struct cv_state *s, const char *key)
{
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(s->db, "SELECT value FROM kv WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

long long cv_state_get_int(struct cv_state *s, const char *key, long long def)
{
    sqlite3_stmt *st = get_row(s, key);
    long long v;

    if (!st)
        return def;
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

char *cv_state_get_text(struct cv_state *s, const char *key)
{
    sqlite3_stmt *st = get_row(s, key);
    char *v;

    if (!st)
        return NULL;
    v = cv_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    cv_strlcpy(dst, t ? (const char *)t : "", n);
}

enum cv_err cv_state_repo_get(struct cv_state *s, const char *name, struct cv_state_repo *r)
{
    sqlite3_stmt *st;
    int rc;

    memset(r, 0, sizeof(*r));
    cv_strlcpy(r->name, name, sizeof(r->name));
    if (sqlite3_prepare_v2(s->db,
                           "SELECT snap_time, snap_id, snap_bytes, snap_files, snap_suspect,"
                           " attempt_time, last_error, failures, check_time, check_ok,"
                           " check_detail, drill_time, drill_ok, drill_files, drill_errors,"
                           " drill_detail FROM repo WHERE name = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "cannot prepare");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        r->snap_time = sqlite3_column_int64(st, 0);
        copy_col(st, 1, r->snap_id, sizeof(r->snap_id));
        r->snap_bytes = sqlite3_column_int64(st, 2);
        r->snap_files = sqlite3_column_int64(st, 3);
        r->snap_suspect = sqlite3_column_int(st, 4);
        r->attempt_time = sqlite3_column_int64(st, 5);
        copy_col(st, 6, r->last_error, sizeof(r->last_error));
        r->failures = sqlite3_column_int64(st, 7);
        r->check_time = sqlite3_column_int64(st, 8);
        r->check_ok = sqlite3_column_int(st, 9);
        copy_col(st, 10, r->check_detail, sizeof(r->check_detail));
        r->drill_time = sqlite3_column_int64(st, 11);
        r->drill_ok = sqlite3_column_int(st, 12);
        r->drill_files = sqlite3_column_int64(st, 13);
        r->drill_errors = sqlite3_column_int64(st, 14);
        copy_col(st, 15, r->drill_detail, sizeof(r->drill_detail));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CV_OK : db_fail(s, "cannot read");
}

enum cv_err cv_state_repo_put(struct cv_state *s, const struct cv_state_repo *r)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO repo VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                           " ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "cannot prepare");
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->snap_time);
    sqlite3_bind_text(st, 3, r->snap_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, r->snap_bytes);
    sqlite3_bind_int64(st, 5, r->snap_files);
    sqlite3_bind_int(st, 6, r->snap_suspect);
    sqlite3_bind_int64(st, 7, r->attempt_time);
    sqlite3_bind_text(st, 8, r->last_error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, r->failures);
    sqlite3_bind_int64(st, 10, r->check_time);
    sqlite3_bind_int(st, 11, r->check_ok);
    sqlite3_bind_text(st, 12, r->check_detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, r->drill_time);
    sqlite3_bind_int(st, 14, r->drill_ok);
    sqlite3_bind_int64(st, 15, r->drill_files);
    sqlite3_bind_int64(st, 16, r->drill_errors);
    sqlite3_bind_text(st, 17, r->drill_detail, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CV_OK : db_fail(s, "cannot write");
}

enum cv_err cv_state_anomaly_add(struct cv_state *s, const struct cv_state_anomaly *a)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO anomaly (time, root, existing, changed, unparseable,"
                           " high_entropy, renamed_unknown, vanished, froze)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "cannot prepare");
    sqlite3_bind_int64(st, 1, a->time);
    sqlite3_bind_text(st, 2, a->root, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, a->existing);
    sqlite3_bind_int64(st, 4, a->changed);
    sqlite3_bind_int64(st, 5, a->unparseable);
    sqlite3_bind_int64(st, 6, a->high_entropy);
    sqlite3_bind_int64(st, 7, a->renamed_unknown);
    sqlite3_bind_int64(st, 8, a->vanished);
    sqlite3_bind_int(st, 9, a->froze);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    /* keep the log short */
    sqlite3_exec(s->db, "DELETE FROM anomaly WHERE id <= (SELECT max(id) FROM anomaly) - 100", NULL,
                 NULL, NULL);
    return rc == SQLITE_DONE ? CV_OK : db_fail(s, "cannot write");
}

enum cv_err cv_state_anomaly_recent(struct cv_state *s, struct cv_state_anomaly *out, size_t max,
                                    size_t *n)
{
    sqlite3_stmt *st;
    int rc;

    *n = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT time, root, existing, changed, unparseable, high_entropy,"
                           " renamed_unknown, vanished, froze FROM anomaly ORDER BY id DESC"
                           " LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "cannot prepare");
    sqlite3_bind_int64(st, 1, (long long)max);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cv_state_anomaly *a = &out[(*n)++];

        memset(a, 0, sizeof(*a));
        a->time = sqlite3_column_int64(st, 0);
        copy_col(st, 1, a->root, sizeof(a->root));
        a->existing = sqlite3_column_int64(st, 2);
        a->changed = sqlite3_column_int64(st, 3);
        a->unparseable = sqlite3_column_int64(st, 4);
        a->high_entropy = sqlite3_column_int64(st, 5);
        a->renamed_unknown = sqlite3_column_int64(st, 6);
        a->vanished = sqlite3_column_int64(st, 7);
        a->froze = sqlite3_column_int(st, 8);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CV_OK : db_fail(s, "cannot read");
}

enum cv_err cv_state_drill_add(struct cv_state *s, const struct cv_state_drill *d)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO drill (time, repo, kind, snap_id, ok, files, bytes, errors,"
                           " seconds, rto, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "cannot prepare");
    sqlite3_bind_int64(st, 1, d->time);
    sqlite3_bind_text(st, 2, d->repo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, d->snap_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, d->ok);
    sqlite3_bind_int64(st, 6, d->files);
    sqlite3_bind_int64(st, 7, d->bytes);
    sqlite3_bind_int64(st, 8, d->errors);
    sqlite3_bind_double(st, 9, d->seconds);
    sqlite3_bind_int64(st, 10, d->rto);
    sqlite3_bind_text(st, 11, d->detail, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    /* a year of hourly drills of one copy is 8,760 rows: keep the newest 10,000 */
    sqlite3_exec(s->db, "DELETE FROM drill WHERE id <= (SELECT max(id) FROM drill) - 10000", NULL,
                 NULL, NULL);
    return rc == SQLITE_DONE ? CV_OK : db_fail(s, "cannot write");
}

enum cv_err cv_state_drill_list(struct cv_state *s, long long since, const char *repo,
                                const char *kind, struct cv_state_drill *out, size_t max, size_t *n)
{
    sqlite3_stmt *st;
    int rc;

    *n = 0;
    if (sqlite3_prepare_v2(
            s->db,
            "SELECT time, repo, kind, snap_id, ok, files, bytes, errors, seconds, rto,"
            " detail FROM drill WHERE time >= ?1 AND (?2 IS NULL OR repo = ?2)"
            " AND (?3 IS NULL OR kind = ?3) ORDER BY id DESC LIMIT ?4",
            -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "cannot prepare");
    sqlite3_bind_int64(st, 1, since);
    if (repo)
        sqlite3_bind_text(st, 2, repo, -1, SQLITE_STATIC);
    if (kind)
        sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (long long)max);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cv_state_drill *d = &out[(*n)++];

        memset(d, 0, sizeof(*d));
        d->time = sqlite3_column_int64(st, 0);
        copy_col(st, 1, d->repo, sizeof(d->repo));
        copy_col(st, 2, d->kind, sizeof(d->kind));
        copy_col(st, 3, d->snap_id, sizeof(d->snap_id));
        d->ok = sqlite3_column_int(st, 4);
        d->files = sqlite3_column_int64(st, 5);
        d->bytes = sqlite3_column_int64(st, 6);
        d->errors = sqlite3_column_int64(st, 7);
        d->seconds = sqlite3_column_double(st, 8);
        d->rto = sqlite3_column_int64(st, 9);
        copy_col(st, 10, d->detail, sizeof(d->detail));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CV_OK : db_fail(s, "cannot read");
}
