/*
 * index_derive.c: each patient's current state, from the rows of their files, following
 * docs/CURRENT-STATE.md: demographics from the newest current ADT-00; allergies from its AL1
 * plus every current ADT-61 IAM applied in event-time order (A add, U update, D delete,
 * matched on allergen code); the newest current PPR-01 for diagnoses; the bed from admissions,
 * transfers, leaves and discharges in clinical-time order; and whether any current message
 * carries another PID-3. A patient without an ADT-00 takes name, kana, birth date and sex
 * from the newest PID of their other current messages. The result goes to `patients` and
 * `current_allergies`, which search, census and summary read.
 */
#include "index_internal.h"

#include <stdlib.h>
#include <string.h>

enum {
    D_DEMO,
    D_PIDDEMO,
    D_AL1,
    D_IAM,
    D_PPR,
    D_ADT,
    D_PID3,
    D_HAS,
    D_PUT,
    D_DEL,
    D_CA_DEL,
    D_CA_PUT,
    D_COUNT
};

static const char *const dsql[D_COUNT] = {
    [D_DEMO] = "SELECT d.file_id, d.family, d.given, d.kana_family, d.kana_given, d.birth_date,"
               " d.sex, d.blood_type, d.rh, d.height_cm, d.weight_kg, d.postcode, d.address,"
               " d.phones FROM demographics d JOIN files f ON f.id = d.file_id"
               " WHERE d.patient_id = ?1 AND f.flag = 1"
               " ORDER BY f.event_time DESC, f.name DESC LIMIT 1",
    [D_PIDDEMO] = "SELECT NULL, pid_family, pid_given, pid_kana_family, pid_kana_given,"
                  " pid_birth, pid_sex, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM files"
                  " WHERE patient_id = ?1 AND flag = 1 AND state = 'current'"
                  " AND coalesce(pid_family, pid_given, pid_kana_family, pid_kana_given,"
                  " pid_birth) IS NOT NULL ORDER BY event_time DESC, name DESC LIMIT 1",
    [D_AL1] = "SELECT type, code, allergen, severity, reaction, onset, action FROM allergy_rows"
              " WHERE file_id = ?1 AND source = 'AL1' ORDER BY seq",
    [D_IAM] = "SELECT a.type, a.code, a.allergen, a.severity, a.reaction, a.onset, a.action"
              " FROM allergy_rows a JOIN files f ON f.id = a.file_id"
              " WHERE a.patient_id = ?1 AND a.source = 'IAM' AND f.flag = 1"
              " ORDER BY f.event_time, f.name, a.seq",
    [D_PPR] = "SELECT id FROM files WHERE patient_id = ?1 AND data_type = 'PPR-01' AND flag = 1"
              " AND state = 'current' ORDER BY event_time DESC, name DESC LIMIT 1",
    [D_ADT] = "SELECT e.kind, e.clinical_time, e.ward, e.room, e.bed, e.admitted, e.attending"
              " FROM adt_events e JOIN files f ON f.id = e.file_id"
              " WHERE e.patient_id = ?1 AND f.flag = 1 AND e.cancel = 0"
              " AND e.kind IN ('admit', 'transfer', 'leave', 'return', 'discharge')"
              " ORDER BY e.clinical_time, f.event_time,"
              " CASE e.kind WHEN 'admit' THEN 0 WHEN 'transfer' THEN 1 WHEN 'leave' THEN 2"
              " WHEN 'return' THEN 3 ELSE 4 END, f.name",
    [D_PID3] = "SELECT 1 FROM files WHERE patient_id = ?1 AND flag = 1 AND state = 'current'"
               " AND pid3 IS NOT NULL AND pid3 <> ?1 LIMIT 1",
    [D_HAS] = "SELECT 1 FROM files WHERE patient_id = ?1 AND state <> 'rejected' LIMIT 1",
    [D_PUT] = "INSERT OR REPLACE INTO patients(id, demo_file, ppr_file, family, given,"
              " kana_family, kana_given, birth_date, sex, blood_type, rh, height_cm, weight_kg,"
              " postcode, address, phones, allergy_status, ward, room, bed, admitted, attending,"
              " pid3_mismatch, name_key, kana_key, demo_source) VALUES(?1, ?2, ?3, ?4, ?5, ?6,"
              " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23,"
              " ?24, ?25, ?26)",
    [D_DEL] = "DELETE FROM patients WHERE id = ?1",
    [D_CA_DEL] = "DELETE FROM current_allergies WHERE patient_id = ?1",
    [D_CA_PUT] = "INSERT INTO current_allergies VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
};

struct deriver {
    sqlite3 *db;
    sqlite3_stmt *st[D_COUNT];
};

/* One allergy while the list is being built. */
struct al {
    char *v[6]; /* type, code, allergen, severity, reaction, onset */
};

struct al_list {
    struct al *a;
    size_t n, cap;
};

struct loc {
    char *ward, *room, *bed, *admitted, *attending;
    bool in;
};

static char *dup_col(sqlite3_stmt *st, int col)
{
    const char *s = index_col(st, col);

    return s ? cv_strdup(s) : NULL;
}

static void al_clear(struct al *a)
{
    for (int i = 0; i < 6; i++) {
        cv_free(a->v[i]);
        a->v[i] = NULL;
    }
}

static void al_list_free(struct al_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        al_clear(&l->a[i]);
    cv_free(l->a);
}

static bool same_allergen(const struct al *a, sqlite3_stmt *st)
{
    const char *code = index_col(st, 1), *text = index_col(st, 2);

    if (code && a->v[1])
        return strcmp(code, a->v[1]) == 0;
    return !code && !a->v[1] && text && a->v[2] && strcmp(text, a->v[2]) == 0;
}

/* Apply one AL1/IAM row (action A/U/D; none is A) to the list. */
static enum cv_err al_apply(struct al_list *l, sqlite3_stmt *st)
{
    const char *action = index_col(st, 6);
    size_t i;

    for (i = 0; i < l->n && !same_allergen(&l->a[i], st); i++)
        ;
    if (action && action[0] == 'D') {
        if (i < l->n) {
            al_clear(&l->a[i]);
            l->a[i] = l->a[--l->n];
        }
        return CV_OK;
    }
    if (i == l->n) {
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 8;
            struct al *grown = cv_reallocarray(l->a, cap, sizeof(*grown));

            if (!grown)
                return cv_fail(CV_ENOMEM, "out of memory");
            l->a = grown;
            l->cap = cap;
        }
        memset(&l->a[l->n++], 0, sizeof(struct al));
    } else {
        al_clear(&l->a[i]);
    }
    for (int k = 0; k < 6; k++) {
        l->a[i].v[k] = dup_col(st, k);
        if (index_col(st, k) && !l->a[i].v[k])
            return cv_fail(CV_ENOMEM, "out of memory");
    }
    return CV_OK;
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_al(const void *x, const void *y)
{
    const struct al *a = x, *b = y;
    int c = cmp_str(a->v[0], b->v[0]);

    return c ? c : cmp_str(a->v[2], b->v[2]);
}

static enum cv_err step_all(struct deriver *d, sqlite3_stmt *st, struct al_list *l)
{
    enum cv_err err = CV_OK;
    int rc;

    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
        err = al_apply(l, st);
    sqlite3_reset(st);
    if (!err && rc != SQLITE_DONE)
        err = index_db_error(d->db, "reading allergies");
    return err;
}

static enum cv_err derive_allergies(struct deriver *d, const char *id, sqlite3_int64 demo_file,
                                    size_t *count)
{
    struct al_list l = {0};
    enum cv_err err = CV_OK;
    sqlite3_stmt *st;

    if (demo_file) {
        sqlite3_bind_int64(d->st[D_AL1], 1, demo_file);
        err = step_all(d, d->st[D_AL1], &l);
    }
    sqlite3_bind_text(d->st[D_IAM], 1, id, -1, SQLITE_STATIC);
    if (!err)
        err = step_all(d, d->st[D_IAM], &l);
    if (l.n > 1)
        qsort(l.a, l.n, sizeof(*l.a), cmp_al);
    st = d->st[D_CA_DEL];
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (!err && sqlite3_step(st) != SQLITE_DONE)
        err = index_db_error(d->db, "writing allergies");
    sqlite3_reset(st);
    st = d->st[D_CA_PUT];
    for (size_t i = 0; !err && i < l.n; i++) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        for (int k = 0; k < 6; k++)
            sqlite3_bind_text(st, 3 + k, l.a[i].v[k], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            err = index_db_error(d->db, "writing allergies");
        sqlite3_reset(st);
    }
    *count = l.n;
    al_list_free(&l);
    return err;
}

static void loc_clear(struct loc *l)
{
    cv_free(l->ward);
    cv_free(l->room);
    cv_free(l->bed);
    cv_free(l->admitted);
    cv_free(l->attending);
    memset(l, 0, sizeof(*l));
}

static void set_str(char **dst, sqlite3_stmt *st, int col)
{
    cv_free(*dst);
    *dst = dup_col(st, col);
}

/* Admissions, transfers, leaves and discharges in order. A transfer, leave or return of a
 * patient who is not admitted changes nothing; a patient on leave keeps the bed. */
static enum cv_err derive_location(struct deriver *d, const char *id, struct loc *l)
{
    sqlite3_stmt *st = d->st[D_ADT];
    int rc;

    memset(l, 0, sizeof(*l));
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = index_col(st, 0);

        if (strcmp(kind, "admit") == 0) {
            loc_clear(l);
            l->in = true;
            set_str(&l->ward, st, 2);
            set_str(&l->room, st, 3);
            set_str(&l->bed, st, 4);
            set_str(&l->admitted, st, 5);
            if (!l->admitted)
                set_str(&l->admitted, st, 1);
            set_str(&l->attending, st, 6);
        } else if (strcmp(kind, "transfer") == 0 && l->in) {
            set_str(&l->ward, st, 2);
            set_str(&l->room, st, 3);
            set_str(&l->bed, st, 4);
            if (index_col(st, 6))
                set_str(&l->attending, st, 6);
        } else if (strcmp(kind, "discharge") == 0) {
            loc_clear(l);
        }
    }
    sqlite3_reset(st);
    if (l->in && !l->ward)
        loc_clear(l);
    return rc == SQLITE_DONE ? CV_OK : index_db_error(d->db, "reading admissions");
}

static bool exists(struct deriver *d, int which, const char *id, enum cv_err *err)
{
    sqlite3_stmt *st = d->st[which];
    int rc;

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        *err = index_db_error(d->db, "reading files");
    return rc == SQLITE_ROW;
}

static sqlite3_int64 newest_ppr(struct deriver *d, const char *id)
{
    sqlite3_stmt *st = d->st[D_PPR];
    sqlite3_int64 v = 0;

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}

static void bind_opt_int(sqlite3_stmt *st, int col, sqlite3_int64 v)
{
    if (v)
        sqlite3_bind_int64(st, col, v);
    else
        sqlite3_bind_null(st, col);
}

/* Write the patients row. `demo` is the D_DEMO statement positioned on a row (`source`
 * "ADT-00"), the D_PIDDEMO one ("PID": a patient without ADT-00), or NULL. */
static enum cv_err put_patient(struct deriver *d, const char *id, sqlite3_stmt *demo,
                               const char *source, size_t nallergies, const struct loc *l,
                               bool mismatch)
{
    sqlite3_stmt *st = d->st[D_PUT];
    char *name_key = NULL, *kana_key = NULL;
    enum cv_err err = CV_OK;

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    bind_opt_int(st, 2, demo && strcmp(source, "ADT-00") == 0 ? sqlite3_column_int64(demo, 0) : 0);
    bind_opt_int(st, 3, newest_ppr(d, id));
    if (demo) {
        for (int c = 1; c <= 13; c++)
            sqlite3_bind_value(st, 3 + c, sqlite3_column_value(demo, c));
        name_key = index_name_key(index_col(demo, 1), index_col(demo, 2), false);
        kana_key = index_name_key(index_col(demo, 3), index_col(demo, 4), true);
    }
    sqlite3_bind_text(st, 17, nallergies ? "recorded" : "none_recorded", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 18, l->ward, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 19, l->room, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 20, l->bed, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 21, l->admitted, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 22, l->attending, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 23, mismatch);
    sqlite3_bind_text(st, 24, name_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 25, kana_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 26, demo ? source : NULL, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        err = index_db_error(d->db, "writing a patient");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    cv_free(name_key);
    cv_free(kana_key);
    return err;
}

static enum cv_err forget_patient(struct deriver *d, const char *id)
{
    enum cv_err err = CV_OK;
    int which[] = {D_DEL, D_CA_DEL};

    for (size_t i = 0; i < CV_ARRAY_LEN(which) && !err; i++) {
        sqlite3_stmt *st = d->st[which[i]];

        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            err = index_db_error(d->db, "forgetting a patient");
        sqlite3_reset(st);
    }
    return err;
}

/* Demographics from the newest current ADT-00; a patient without one takes name, kana,
 * birth date and sex from the newest PID of any current message (marked "PID": not
 * confirmed by a registration record), so that a nurse can still find them by name. */
static enum cv_err derive_one(struct deriver *d, const char *id)
{
    sqlite3_stmt *demo = d->st[D_DEMO], *piddemo = d->st[D_PIDDEMO], *use = NULL;
    enum cv_err err = CV_OK;
    struct loc l;
    size_t nallergies = 0;
    bool has_demo, mismatch;

    if (!exists(d, D_HAS, id, &err))
        return err ? err : forget_patient(d, id);
    mismatch = exists(d, D_PID3, id, &err);
    sqlite3_bind_text(demo, 1, id, -1, SQLITE_STATIC);
    has_demo = sqlite3_step(demo) == SQLITE_ROW;
    if (has_demo) {
        use = demo;
    } else {
        sqlite3_bind_text(piddemo, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(piddemo) == SQLITE_ROW)
            use = piddemo;
    }
    if (!err)
        err = derive_allergies(d, id, has_demo ? sqlite3_column_int64(demo, 0) : 0, &nallergies);
    if (!err)
        err = derive_location(d, id, &l);
    if (!err) {
        err = put_patient(d, id, use, has_demo ? "ADT-00" : "PID", nallergies, &l, mismatch);
        loc_clear(&l);
    }
    sqlite3_reset(demo);
    sqlite3_reset(piddemo);
    return err;
}

static enum cv_err deriver_init(struct deriver *d, sqlite3 *db)
{
    memset(d, 0, sizeof(*d));
    d->db = db;
    for (int i = 0; i < D_COUNT; i++)
        if (sqlite3_prepare_v3(db, dsql[i], -1, SQLITE_PREPARE_PERSISTENT, &d->st[i], NULL) !=
            SQLITE_OK)
            return index_db_error(db, "prepare");
    return CV_OK;
}

static void deriver_free(struct deriver *d)
{
    for (int i = 0; i < D_COUNT; i++)
        sqlite3_finalize(d->st[i]);
}

enum cv_err index_derive(sqlite3 *db, char **patients, size_t n)
{
    struct deriver d;
    enum cv_err err = deriver_init(&d, db);

    for (size_t i = 0; !err && i < n; i++)
        err = derive_one(&d, patients[i]);
    deriver_free(&d);
    return err;
}

enum cv_err index_derive_all(sqlite3 *db)
{
    struct deriver d;
    sqlite3_stmt *st = NULL;
    enum cv_err err = deriver_init(&d, db);
    int rc = SQLITE_DONE;

    if (!err && sqlite3_prepare_v2(db,
                                   "SELECT DISTINCT patient_id FROM files"
                                   " WHERE patient_id IS NOT NULL ORDER BY patient_id",
                                   -1, &st, NULL) != SQLITE_OK)
        err = index_db_error(db, "listing patients");
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
        err = derive_one(&d, index_col(st, 0));
    if (!err && rc != SQLITE_DONE)
        err = index_db_error(db, "listing patients");
    sqlite3_finalize(st);
    deriver_free(&d);
    return err;
}
