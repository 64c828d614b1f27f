/*
 * index_query.c: the read side used by the viewer and `chartvault query`: data time, search,
 * wards, census, bed map and rejected files. Every query is one or a few prepared statements
 * on indexes (docs/INDEX.md), so each answers in well under a millisecond on a 200,000-patient
 * index; rows go to the caller's callback, nothing is allocated per row.
 */
#include "index_internal.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Statement slots in idx->stmts (index_patient.c uses slots from 16 on). */
enum {
    Q_META,
    Q_SEARCH,
    Q_WARDS,
    Q_CENSUS,
    Q_CENSUS_WARD,
    Q_BEDS,
    Q_REJECTED,
    Q_FILE_NAMES,
};

static const char *meta_value(struct cv_index *idx, const char *key, char *buf, size_t n)
{
    sqlite3_stmt *st = index_stmt(idx, Q_META, "SELECT value FROM meta WHERE key = ?1");

    buf[0] = '\0';
    if (!st)
        return buf;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && index_col(st, 0))
        cv_strlcpy(buf, index_col(st, 0), n);
    sqlite3_reset(st);
    return buf;
}

enum cv_err cv_index_info(struct cv_index *idx, struct cv_index_info *out)
{
    char num[32];
    enum cv_err err = index_refresh(idx);

    memset(out, 0, sizeof(*out));
    if (err)
        return err;
    meta_value(idx, "data_time", out->data_time, sizeof(out->data_time));
    out->data_time_epoch = atoll(meta_value(idx, "data_time_epoch", num, sizeof(num)));
    meta_value(idx, "source", out->source, sizeof(out->source));
    out->patients = atoll(meta_value(idx, "patients", num, sizeof(num)));
    out->files = atoll(meta_value(idx, "files", num, sizeof(num)));
    out->rejected = atoll(meta_value(idx, "rejected", num, sizeof(num)));
    out->schema_version = INDEX_SCHEMA_VERSION;
    return CV_OK;
}

/* ---- search ------------------------------------------------------------------------------- */

static bool is_date_query(const char *s, char *iso)
{
    char buf[16];
    long days;

    if (strlen(s) == 8 && strspn(s, "0123456789") == 8) {
        snprintf(buf, sizeof(buf), "%.4s-%.2s-%.2s", s, s + 4, s + 6);
        s = buf;
    }
    if (cv_parse_date(s, &days) != CV_OK)
        return false;
    cv_strlcpy(iso, s, 11);
    return true;
}

static bool is_id_query(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= CV_SSMIX2_ID_MAX &&
           strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-") == n;
}

#define HIT_COLS "id, family, given, kana_family, kana_given, birth_date, sex, kana_key"
static const char search_sql[] =
    "SELECT * FROM (SELECT " HIT_COLS " FROM patients WHERE id >= ?1 AND id < ?2"
    " ORDER BY id LIMIT ?7)"
    " UNION SELECT * FROM (SELECT " HIT_COLS " FROM patients WHERE birth_date = ?3"
    " LIMIT ?7)"
    " UNION SELECT * FROM (SELECT " HIT_COLS " FROM patients WHERE name_key >= ?4"
    " AND name_key < ?5 ORDER BY name_key LIMIT ?7)"
    " UNION SELECT * FROM (SELECT " HIT_COLS " FROM patients WHERE kana_key >= ?4"
    " AND kana_key < ?5 ORDER BY kana_key LIMIT ?7)"
    " ORDER BY 8, 1 LIMIT ?7";

enum cv_err cv_index_search(struct cv_index *idx, const char *text, size_t limit,
                            void (*fn)(const struct cv_index_hit *hit, void *arg), void *arg)
{
    struct cv_buf key = CV_BUF_INIT(4096), idhi = CV_BUF_INIT(64), keyhi = CV_BUF_INIT(4200);
    static const char top[] = "\xF4\x8F\xBF\xBF"; /* U+10FFFF: above every character */
    char date[11];
    sqlite3_stmt *st;
    enum cv_err err = index_refresh(idx);
    int rc;

    if (err)
        return err;
    if (!limit || limit > 10000)
        limit = 50;
    st = index_stmt(idx, Q_SEARCH, search_sql);
    if (!st)
        return CV_EDB;
    err = cv_index_search_key(text, &key);
    if (!err && key.len == 0) {
        cv_buf_free(&key);
        return CV_OK;
    }
    if (!err && is_id_query(text)) {
        cv_buf_puts(&idhi, text);
        cv_buf_puts(&idhi, top);
        err = cv_buf_error(&idhi); /* a cut bound would match the wrong patients */
    }
    if (!err && is_id_query(text)) {
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, cv_buf_str(&idhi), -1, SQLITE_STATIC);
    }
    if (!err && is_date_query(text, date))
        sqlite3_bind_text(st, 3, date, -1, SQLITE_STATIC);
    if (!err) {
        cv_buf_puts(&keyhi, cv_buf_str(&key));
        cv_buf_puts(&keyhi, top);
        err = cv_buf_error(&keyhi);
    }
    if (!err) {
        sqlite3_bind_text(st, 4, cv_buf_str(&key), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, cv_buf_str(&keyhi), -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(st, 7, (sqlite3_int64)limit);
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cv_index_hit h = {index_col(st, 0), index_col(st, 1), index_col(st, 2),
                                 index_col(st, 3), index_col(st, 4), index_col(st, 5),
                                 index_col(st, 6)};

        fn(&h, arg);
    }
    if (!err && rc != SQLITE_DONE)
        err = index_db_error(idx->db, "search");
    sqlite3_reset(st);
    cv_buf_free(&key);
    cv_buf_free(&idhi);
    cv_buf_free(&keyhi);
    return err;
}

/* ---- wards, census, beds ----------------------------------------------------------------- */

enum cv_err cv_index_wards(struct cv_index *idx, void (*fn)(const struct cv_ward *w, void *arg),
                           void *arg)
{
    sqlite3_stmt *st;
    enum cv_err err = index_refresh(idx);
    int rc;

    if (err)
        return err;
    st = index_stmt(idx, Q_WARDS,
                    "SELECT ward, sum(beds), sum(occupied) FROM ("
                    " SELECT ward, count(*) AS beds, 0 AS occupied FROM beds GROUP BY ward"
                    " UNION ALL SELECT ward, 0, count(*) FROM patients WHERE ward IS NOT NULL"
                    " GROUP BY ward) GROUP BY ward ORDER BY ward");
    if (!st)
        return CV_EDB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cv_ward w = {index_col(st, 0), sqlite3_column_int64(st, 1),
                            sqlite3_column_int64(st, 2)};

        fn(&w, arg);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? CV_OK : index_db_error(idx->db, "wards");
}

/* The as-of date, or today at the facility (the same today as the patient summary's). */
static long as_of_days(const char *as_of)
{
    long days;

    if (as_of && cv_parse_date(as_of, &days) == CV_OK)
        return days;
    return cv_today_days();
}

int cv_index_age(const char *birth_date, const char *as_of)
{
    return cv_age_on(birth_date, as_of_days(as_of));
}

#define CENSUS_COLS                                                                                \
    "ward, room, bed, id, family, given, kana_family, kana_given, sex, birth_date, admitted,"      \
    " attending, allergy_status"

static void census_row(sqlite3_stmt *st, long on, struct cv_census_row *r)
{
    const char *status = index_col(st, 12);

    r->ward = index_col(st, 0);
    r->room = index_col(st, 1);
    r->bed = index_col(st, 2);
    r->id = index_col(st, 3);
    r->family = index_col(st, 4);
    r->given = index_col(st, 5);
    r->kana_family = index_col(st, 6);
    r->kana_given = index_col(st, 7);
    r->sex = index_col(st, 8);
    r->birth_date = index_col(st, 9);
    r->admitted = index_col(st, 10);
    r->attending = index_col(st, 11);
    r->age = cv_age_on(r->birth_date, on);
    r->allergies_recorded = status && strcmp(status, "recorded") == 0;
}

static sqlite3_stmt *census_stmt(struct cv_index *idx, const char *ward)
{
    sqlite3_stmt *st;

    if (!ward)
        return index_stmt(idx, Q_CENSUS,
                          "SELECT " CENSUS_COLS " FROM patients WHERE ward IS NOT NULL"
                          " ORDER BY ward, room, bed, id");
    st = index_stmt(idx, Q_CENSUS_WARD,
                    "SELECT " CENSUS_COLS " FROM patients WHERE ward = ?1"
                    " ORDER BY ward, room, bed, id");
    if (st)
        sqlite3_bind_text(st, 1, ward, -1, SQLITE_TRANSIENT);
    return st;
}

enum cv_err cv_index_census(struct cv_index *idx, const char *ward, const char *as_of,
                            void (*fn)(const struct cv_census_row *row, void *arg), void *arg)
{
    long on = as_of_days(as_of);
    sqlite3_stmt *st;
    enum cv_err err = index_refresh(idx);
    int rc;

    if (err)
        return err;
    if (!(st = census_stmt(idx, ward)))
        return CV_EDB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cv_census_row r;

        census_row(st, on, &r);
        fn(&r, arg);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? CV_OK : index_db_error(idx->db, "census");
}

/* Beds of a ward merged with its occupants: both lists come sorted by (room, bed). */
enum cv_err cv_index_beds(struct cv_index *idx, const char *ward, const char *as_of,
                          void (*fn)(const struct cv_bed *bed, void *arg), void *arg)
{
    long on = as_of_days(as_of);
    sqlite3_stmt *beds, *occ;
    enum cv_err err = index_refresh(idx);
    int rb, ro;

    if (err)
        return err;
    beds = index_stmt(idx, Q_BEDS, "SELECT room, bed FROM beds WHERE ward = ?1 ORDER BY room, bed");
    occ = census_stmt(idx, ward ? ward : "");
    if (!beds || !occ)
        return CV_EDB;
    sqlite3_bind_text(beds, 1, ward ? ward : "", -1, SQLITE_TRANSIENT);
    rb = sqlite3_step(beds);
    ro = sqlite3_step(occ);
    while (rb == SQLITE_ROW || ro == SQLITE_ROW) {
        struct cv_census_row r;
        struct cv_bed b;
        int c;

        if (rb == SQLITE_ROW && ro == SQLITE_ROW) {
            c = strcmp(index_col(beds, 0), index_col(occ, 1));
            if (c == 0)
                c = strcmp(index_col(beds, 1), index_col(occ, 2));
        } else {
            c = rb == SQLITE_ROW ? -1 : 1;
        }
        if (c > 0 || c == 0) {
            census_row(occ, on, &r);
            b = (struct cv_bed){r.room, r.bed, &r};
        } else {
            b = (struct cv_bed){index_col(beds, 0), index_col(beds, 1), NULL};
        }
        fn(&b, arg);
        if (c <= 0)
            rb = sqlite3_step(beds);
        if (c >= 0)
            ro = sqlite3_step(occ);
    }
    sqlite3_reset(beds);
    sqlite3_reset(occ);
    return rb == SQLITE_DONE && ro == SQLITE_DONE ? CV_OK : index_db_error(idx->db, "beds");
}

enum cv_err cv_index_rejected(struct cv_index *idx,
                              void (*fn)(const struct cv_index_file *f, void *arg), void *arg)
{
    sqlite3_stmt *st;
    enum cv_err err = index_refresh(idx);
    int rc;

    if (err)
        return err;
    st = index_stmt(idx, Q_REJECTED,
                    "SELECT CASE WHEN d.path = '' THEN f.name ELSE d.path || '/' || f.name END"
                    " AS p, f.state, f.reason, f.warnings, f.size FROM files f"
                    " JOIN dirs d ON d.id = f.dir_id WHERE f.state = 'rejected' ORDER BY p");
    if (!st)
        return CV_EDB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cv_index_file f = {index_col(st, 0), index_col(st, 1), index_col(st, 2),
                                  index_col(st, 3), sqlite3_column_int64(st, 4)};

        fn(&f, arg);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? CV_OK : index_db_error(idx->db, "rejected files");
}

enum cv_err cv_index_log_key(struct cv_index *idx, uint8_t key[CV_REDACT_KEY_LEN])
{
    char hex[2 * CV_REDACT_KEY_LEN + 1];
    enum cv_err err = index_refresh(idx);

    if (err)
        return err;
    meta_value(idx, "log_ref_key", hex, sizeof(hex));
    if (hex[0])
        return cv_hex_decode(hex, key, CV_REDACT_KEY_LEN) == CV_OK
                   ? CV_OK
                   : cv_fail(CV_ECORRUPT, "%s: the log reference key is damaged", idx->path);
    if (idx->flags & CV_INDEX_READONLY)
        return cv_fail(CV_ENOENT, "%s has no log reference key yet (the daemon makes it)",
                       idx->path);
    randombytes_buf(key, CV_REDACT_KEY_LEN);
    cv_hex_encode(key, CV_REDACT_KEY_LEN, hex);
    err = index_meta_set(idx->db, "log_ref_key", hex);
    sodium_memzero(hex, sizeof(hex));
    return err;
}

enum cv_err cv_index_file_ref(struct cv_index *idx, const char *ref,
                              void (*fn)(const char *path, void *arg), void *arg, size_t *found)
{
    uint8_t key[CV_REDACT_KEY_LEN];
    char want[CV_REDACT_REF_LEN + 1], got[CV_REDACT_REF_LEN + 1];
    sqlite3_stmt *st;
    enum cv_err err;
    int rc;

    *found = 0;
    if (strlen(ref) != CV_REDACT_REF_LEN)
        return cv_fail(CV_EINVAL, "a file reference has %d hex digits", CV_REDACT_REF_LEN);
    for (size_t i = 0; i < CV_REDACT_REF_LEN; i++)
        want[i] = (char)tolower((unsigned char)ref[i]);
    want[CV_REDACT_REF_LEN] = '\0';
    err = cv_index_log_key(idx, key);
    if (err)
        return err;
    st = index_stmt(idx, Q_FILE_NAMES,
                    "SELECT f.name, CASE WHEN d.path = '' THEN f.name ELSE d.path || '/' ||"
                    " f.name END FROM files f JOIN dirs d ON d.id = f.dir_id");
    if (!st) {
        sodium_memzero(key, sizeof(key));
        return CV_EDB;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = index_col(st, 0);

        if (!name)
            continue;
        cv_redact_ref(key, name, got);
        if (strcmp(got, want) == 0) {
            (*found)++;
            fn(index_col(st, 1), arg);
        }
    }
    sqlite3_reset(st);
    sodium_memzero(key, sizeof(key));
    return rc == SQLITE_DONE ? CV_OK : index_db_error(idx->db, "files");
}
