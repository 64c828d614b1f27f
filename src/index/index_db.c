/*
 * index_db.c: the index database itself: schema (docs/INDEX.md explains every table), opening
 * read-write (WAL, persistent so read-only viewers of another user can open it) or read-only
 * (reopened by itself when a newer file is renamed over the path), meta keys, and small
 * SQLite helpers shared by the other files.
 */
#include "index_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char schema_tables[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS dirs(id INTEGER PRIMARY KEY, path TEXT NOT NULL,"
    " sig INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS files(id INTEGER PRIMARY KEY, dir_id INTEGER NOT NULL,"
    " name TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, hash BLOB,"
    " patient_id TEXT, care_date TEXT, data_type TEXT, order_no TEXT, event_time TEXT,"
    " dept TEXT, flag INTEGER, state TEXT NOT NULL, reason TEXT, warnings TEXT, event TEXT,"
    " pid3 TEXT, msg_time TEXT, pid_family TEXT, pid_given TEXT, pid_kana_family TEXT,"
    " pid_kana_given TEXT, pid_birth TEXT, pid_sex TEXT);"
    "CREATE TABLE IF NOT EXISTS demographics(file_id INTEGER PRIMARY KEY, patient_id TEXT,"
    " family TEXT, given TEXT, kana_family TEXT, kana_given TEXT, birth_date TEXT, sex TEXT,"
    " blood_type TEXT, rh TEXT, height_cm REAL, weight_kg REAL, postcode TEXT, address TEXT,"
    " phones TEXT, updated TEXT);"
    "CREATE TABLE IF NOT EXISTS contacts(file_id INTEGER, seq INTEGER, name TEXT,"
    " relationship TEXT, phones TEXT, PRIMARY KEY(file_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS allergy_rows(file_id INTEGER, seq INTEGER, patient_id TEXT,"
    " source TEXT, type TEXT, code TEXT, allergen TEXT, severity TEXT, reaction TEXT,"
    " action TEXT, onset TEXT, PRIMARY KEY(file_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS diagnosis_rows(file_id INTEGER, seq INTEGER, patient_id TEXT,"
    " action TEXT, name TEXT, code TEXT, icd10 TEXT, onset TEXT, main INTEGER, outcome TEXT,"
    " resolved TEXT, confirmation TEXT, start TEXT, PRIMARY KEY(file_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS adt_events(file_id INTEGER PRIMARY KEY, patient_id TEXT,"
    " kind TEXT, event TEXT, cancel INTEGER, clinical_time TEXT, patient_class TEXT,"
    " ward TEXT, room TEXT, bed TEXT, prior_ward TEXT, prior_room TEXT, prior_bed TEXT,"
    " admitted TEXT, discharged TEXT, attending TEXT);"
    "CREATE TABLE IF NOT EXISTS medications(file_id INTEGER, seq INTEGER, patient_id TEXT,"
    " kind TEXT, order_no TEXT, drug_code TEXT, drug TEXT, dose TEXT, unit TEXT, usage TEXT,"
    " start TEXT, end TEXT, days INTEGER, route TEXT, instructions TEXT, rate TEXT,"
    " order_type TEXT, start_time TEXT, end_time TEXT, flag INTEGER,"
    " PRIMARY KEY(patient_id, file_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS med_components(patient_id TEXT, file_id INTEGER, seq INTEGER,"
    " k INTEGER, type TEXT, code TEXT, name TEXT, amount TEXT, unit TEXT,"
    " PRIMARY KEY(patient_id, file_id, seq, k)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS lab_results(file_id INTEGER, seq INTEGER, patient_id TEXT,"
    " code TEXT, name TEXT, value TEXT, unit TEXT, range TEXT, abnormal TEXT, time TEXT,"
    " status TEXT, flag INTEGER, event_time TEXT, sub_id TEXT, obr INTEGER, test_code TEXT,"
    " test_name TEXT, specimen TEXT, PRIMARY KEY(patient_id, file_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS diets(file_id INTEGER, seq INTEGER, patient_id TEXT,"
    " text TEXT, start TEXT, flag INTEGER, event_time TEXT,"
    " PRIMARY KEY(patient_id, file_id, seq))"
    " WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS reports(file_id INTEGER, seq INTEGER, patient_id TEXT,"
    " kind TEXT, text TEXT, time TEXT, flag INTEGER, event_time TEXT,"
    " PRIMARY KEY(patient_id, file_id, seq))"
    " WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS orders(file_id INTEGER, seq INTEGER, patient_id TEXT,"
    " kind TEXT, order_no TEXT, control TEXT, code TEXT, name TEXT, time TEXT, flag INTEGER,"
    " PRIMARY KEY(patient_id, file_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS patients(id TEXT PRIMARY KEY, demo_file INTEGER,"
    " ppr_file INTEGER, family TEXT, given TEXT, kana_family TEXT, kana_given TEXT,"
    " birth_date TEXT, sex TEXT, blood_type TEXT, rh TEXT, height_cm REAL, weight_kg REAL,"
    " postcode TEXT, address TEXT, phones TEXT, allergy_status TEXT, ward TEXT, room TEXT,"
    " bed TEXT, admitted TEXT, attending TEXT, pid3_mismatch INTEGER, name_key TEXT,"
    " kana_key TEXT, demo_source TEXT) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS current_allergies(patient_id TEXT, seq INTEGER, type TEXT,"
    " code TEXT, allergen TEXT, severity TEXT, reaction TEXT, onset TEXT,"
    " PRIMARY KEY(patient_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS beds(ward TEXT, room TEXT, bed TEXT,"
    " PRIMARY KEY(ward, room, bed)) WITHOUT ROWID;";

/* Created after a bulk load (cheaper than maintaining them row by row). */
static const char schema_indexes[] =
    "CREATE UNIQUE INDEX IF NOT EXISTS dirs_by_path ON dirs(path);"
    "CREATE INDEX IF NOT EXISTS files_in_dir ON files(dir_id);"
    "CREATE INDEX IF NOT EXISTS files_by_patient ON files(patient_id, data_type, flag);"
    "CREATE INDEX IF NOT EXISTS files_rejected ON files(state) WHERE state = 'rejected';"
    "CREATE INDEX IF NOT EXISTS demographics_by_patient ON demographics(patient_id);"
    "CREATE INDEX IF NOT EXISTS allergy_rows_by_patient ON allergy_rows(patient_id);"
    "CREATE INDEX IF NOT EXISTS diagnosis_rows_by_patient ON diagnosis_rows(patient_id);"
    "CREATE INDEX IF NOT EXISTS adt_events_by_patient ON adt_events(patient_id);"
    "CREATE INDEX IF NOT EXISTS patients_by_kana ON patients(kana_key);"
    "CREATE INDEX IF NOT EXISTS patients_by_name ON patients(name_key);"
    "CREATE INDEX IF NOT EXISTS patients_by_birth ON patients(birth_date);"
    "CREATE INDEX IF NOT EXISTS patients_by_bed ON patients(ward, room, bed)"
    " WHERE ward IS NOT NULL;";

/* SQLite's messages ("disk I/O error", "unable to open database file") hide the cause; the
 * errno of the system call that failed names it (EIO, EDQUOT, EACCES...). */
const char *index_db_cause(sqlite3 *db)
{
    int e = errno; /* SQLite keeps no system errno for a failed commit; errno still has it */

    if (!db)
        return "out of memory";
    if (sqlite3_system_errno(db))
        return strerror(sqlite3_system_errno(db));
    if ((sqlite3_errcode(db) & 0xff) == SQLITE_IOERR &&
        (e == EIO || e == ENOSPC || e == EDQUOT || e == EROFS || e == EFBIG))
        return strerror(e);
    return sqlite3_errmsg(db);
}

enum cv_err index_db_error(sqlite3 *db, const char *what)
{
    const char *cause = index_db_cause(db); /* first: it reads errno */
    int code = sqlite3_errcode(db);
    int sys = sqlite3_system_errno(db);

    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return cv_fail(CV_EBUSY, "index database is busy (%s): %s", what, sqlite3_errmsg(db));
    if (code == SQLITE_FULL)
        return cv_fail(CV_ENOSPC, "index database: disk full (%s): %s", what,
                       strerror(sys ? sys : ENOSPC));
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
        return cv_fail(CV_ECORRUPT, "index database is damaged (%s): %s", what, sqlite3_errmsg(db));
    return cv_fail(CV_EDB, "index database error (%s): %s", what, cause);
}

/* SQLite opens a file read-only when opening it for writing fails, and only says "attempt to
 * write a readonly database" at the first write: refuse such a handle at once, with the cause. */
enum cv_err index_check_writable(sqlite3 *db, const char *path, int open_errno)
{
    if (sqlite3_db_readonly(db, "main") != 1)
        return CV_OK;
    return cv_fail(CV_EIO, "cannot open index '%s' for writing: %s", path,
                   open_errno ? strerror(open_errno) : "the file system allows reading only");
}

enum cv_err index_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        enum cv_err err = index_db_error(db, msg ? msg : "exec");

        sqlite3_free(msg);
        return err;
    }
    return CV_OK;
}

enum cv_err index_create_tables(sqlite3 *db)
{
    char sql[128];
    enum cv_err err = index_exec(db, schema_tables);

    if (err)
        return err;
    snprintf(sql, sizeof(sql), "PRAGMA application_id=%d; PRAGMA user_version=%d;", INDEX_APP_ID,
             INDEX_SCHEMA_VERSION);
    return index_exec(db, sql);
}

enum cv_err index_create_indexes(sqlite3 *db)
{
    return index_exec(db, schema_indexes);
}

enum cv_err index_meta_set(sqlite3 *db, const char *key, const char *value)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", -1, &st,
                           NULL) != SQLITE_OK)
        return index_db_error(db, "meta");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CV_OK : index_db_error(db, "meta");
}

const char *index_col(sqlite3_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

static int pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int v = -1;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* An existing file must be ours and not from a newer chartvault. One from an older
 * chartvault is read by nobody (its tables lack what this one reads): a read-write handle
 * marks it stale, and the next cv_index_update() rebuilds it from the tree. */
static enum cv_err check_schema(sqlite3 *db, const char *path, bool empty_ok, int *stale)
{
    int app = pragma_int(db, "PRAGMA application_id");
    int version = pragma_int(db, "PRAGMA user_version");

    if ((app == -1 || version == -1) && (sqlite3_errcode(db) & 0xff) != SQLITE_NOTADB &&
        (sqlite3_errcode(db) & 0xff) != SQLITE_CORRUPT)
        return cv_fail(CV_EIO, "cannot read index '%s': %s", path, index_db_cause(db));
    if (app == -1 || version == -1)
        return cv_fail(CV_ECORRUPT, "'%s' is not a readable SQLite database", path);
    if (app == 0 && version == 0 && empty_ok)
        return CV_OK;
    if (app != INDEX_APP_ID)
        return cv_fail(CV_EUNSUPPORTED, "'%s' is not a chartvault index", path);
    if (version > INDEX_SCHEMA_VERSION)
        return cv_fail(CV_EUNSUPPORTED, "'%s' was made by a newer chartvault (schema %d)", path,
                       version);
    *stale = version < INDEX_SCHEMA_VERSION ? version : 0;
    if (*stale && !empty_ok)
        return index_stale_error(path, version);
    return CV_OK;
}

enum cv_err index_stale_error(const char *path, int version)
{
    return cv_fail(CV_EUNSUPPORTED,
                   "'%s' was made by an older chartvault (index schema %d, this one reads %d): "
                   "rebuild it with 'chartvault index --reread --source DIR --db %s'",
                   path, version, INDEX_SCHEMA_VERSION, path);
}

enum cv_err index_file_mode(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    struct stat st;
    enum cv_err err = CV_OK;

    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot open index '%s'", path);
    if (fstat(fd, &st) != 0)
        err = cv_fail_errno(CV_EIO, "cannot stat index '%s'", path);
    else if ((st.st_mode & 0137) && fchmod(fd, st.st_mode & 07640) != 0)
        err = cv_fail_errno(CV_EPERM, "cannot make index '%s' private (mode %03o)", path,
                            (unsigned)(st.st_mode & 0777));
    close(fd);
    return err;
}

static enum cv_err open_db(struct cv_index *idx)
{
    bool ro = idx->flags & CV_INDEX_READONLY;
    int oflags = (ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                 SQLITE_OPEN_NOMUTEX;
    struct stat st;
    enum cv_err err;

    if (ro && stat(idx->path, &st) != 0)
        return cv_fail_errno(CV_ENOENT, "cannot open index '%s'", idx->path);
    if (!ro && (err = index_file_mode(idx->path)) != CV_OK)
        return err;
    errno = 0;
    if (sqlite3_open_v2(idx->path, &idx->db, oflags, NULL) != SQLITE_OK) {
        err = cv_fail(CV_EDB, "cannot open index '%s': %s", idx->path, index_db_cause(idx->db));
        goto out_close;
    }
    if (!ro && (err = index_check_writable(idx->db, idx->path, errno)) != CV_OK)
        goto out_close;
    sqlite3_busy_timeout(idx->db, 10000);
    sqlite3_extended_result_codes(idx->db, 0);
    err = check_schema(idx->db, idx->path, !ro, &idx->stale);
    if (err)
        goto out_close;
    if (ro) {
        err = index_exec(idx->db, "PRAGMA query_only=1");
    } else if (!idx->stale) { /* an older one stays as it is until cv_index_update() rebuilds */
        int persist = 1;

        sqlite3_file_control(idx->db, NULL, SQLITE_FCNTL_PERSIST_WAL, &persist);
        err = index_exec(idx->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        if (!err)
            err = index_create_tables(idx->db);
        if (!err && pragma_int(idx->db, "SELECT count(*) FROM sqlite_master WHERE type='index'"
                                        " AND name='files_by_dir'") != 1)
            err = index_create_indexes(idx->db);
    }
    if (err)
        goto out_close;
    if (stat(idx->path, &st) == 0) {
        idx->dev = st.st_dev;
        idx->ino = st.st_ino;
    }
    idx->checked_ms = cv_monotonic_ms();
    return CV_OK;

out_close:
    sqlite3_close(idx->db);
    idx->db = NULL;
    return err;
}

static void finalize_all(struct cv_index *idx)
{
    for (size_t i = 0; i < CV_ARRAY_LEN(idx->stmts); i++) {
        sqlite3_finalize(idx->stmts[i]);
        idx->stmts[i] = NULL;
    }
}

enum cv_err cv_index_open(const char *path, unsigned flags, struct cv_index **out)
{
    struct cv_index *idx = cv_calloc(1, sizeof(*idx));
    enum cv_err err;

    *out = NULL;
    if (!idx || !(idx->path = cv_strdup(path))) {
        cv_free(idx);
        return cv_fail(CV_ENOMEM, "out of memory opening the index");
    }
    idx->flags = flags;
    err = open_db(idx);
    if (err) {
        cv_free(idx->path);
        cv_free(idx);
        return err;
    }
    *out = idx;
    return CV_OK;
}

void cv_index_close(struct cv_index *idx)
{
    if (!idx)
        return;
    finalize_all(idx);
    sqlite3_close(idx->db);
    cv_free(idx->path);
    cv_free(idx);
}

void index_close_db(struct cv_index *idx)
{
    finalize_all(idx);
    sqlite3_close(idx->db);
    idx->db = NULL;
}

/* Reopen the handle on whatever file is at the path now. */
enum cv_err index_reopen(struct cv_index *idx)
{
    index_close_db(idx);
    return open_db(idx);
}

enum cv_err index_refresh(struct cv_index *idx)
{
    struct stat st;
    uint64_t now;

    if (!(idx->flags & CV_INDEX_READONLY)) {
        return idx->db ? CV_OK : index_reopen(idx);
    }
    now = cv_monotonic_ms();
    if (idx->db && (now - idx->checked_ms < 200 || !sqlite3_get_autocommit(idx->db)))
        return CV_OK; /* not within a snapshot: the page finishes on the file it began on */
    idx->checked_ms = now;
    if (stat(idx->path, &st) != 0)
        return idx->db ? CV_OK : cv_fail_errno(CV_ENOENT, "cannot open index '%s'", idx->path);
    if (idx->db && st.st_dev == idx->dev && st.st_ino == idx->ino)
        return CV_OK;
    return index_reopen(idx);
}

sqlite3_stmt *index_stmt(struct cv_index *idx, int which, const char *sql)
{
    sqlite3_stmt **slot = &idx->stmts[which];

    if (!*slot &&
        sqlite3_prepare_v3(idx->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
        index_db_error(idx->db, "prepare");
        *slot = NULL;
        return NULL;
    }
    sqlite3_reset(*slot);
    sqlite3_clear_bindings(*slot);
    return *slot;
}
