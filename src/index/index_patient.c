/*
 * index_patient.c: one patient's summary: the derived current state (patients,
 * current_allergies) plus what is read at query time from current (_1) files: contacts of the
 * demographics file, active diagnoses of the newest PPR-01 and those found only in older
 * ones, medications (current on the as-of date, recently ended, and the history; an
 * injection with its RXC components), lab results grouped by test with the newest first,
 * culture reports grouped by OBX-4, diet, reports, and the admission history. Everything
 * lives in one arena freed by cv_patient_free().
 */
#include "index_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    P_PAT = 16,
    P_CONTACTS,
    P_ALLERGIES,
    P_DIAG,
    P_MEDS,
    P_LABS,
    P_DIET,
    P_REPORTS,
    P_ADT,
    P_ORDERS,
    P_DIAG_OLDER,
    P_COMPONENTS,
    P_CULTURES
};

#define MAX_HISTORY    200 /* medications kept in the history */
#define MAX_LAB_SERIES 20  /* results kept per test */
#define MAX_LIST       500 /* diet, reports, stays */
#define MAX_CULTURES   50  /* culture tests shown */
#define MAX_EARLIER    3   /* earlier reports kept per culture test */

#define DIAG_COLS                                                                                  \
    "d.name, d.code, d.icd10, d.onset, d.main, d.outcome, d.resolved, d.action, d.confirmation,"   \
    " d.start"

static const char *const psql[] = {
    [P_PAT - P_PAT] = "SELECT id, demo_file, ppr_file, family, given, kana_family, kana_given,"
                      " birth_date, sex, blood_type, rh, height_cm, weight_kg, postcode, address,"
                      " phones, allergy_status, ward, room, bed, admitted, attending,"
                      " pid3_mismatch, demo_source FROM patients WHERE id = ?1",
    [P_CONTACTS - P_PAT] = "SELECT name, relationship, phones FROM contacts WHERE file_id = ?1"
                           " ORDER BY seq",
    [P_ALLERGIES - P_PAT] = "SELECT type, code, allergen, severity, reaction, onset"
                            " FROM current_allergies WHERE patient_id = ?1 ORDER BY seq",
    [P_DIAG - P_PAT] = "SELECT " DIAG_COLS " FROM diagnosis_rows d WHERE d.file_id = ?1"
                       " ORDER BY d.seq",
    [P_MEDS - P_PAT] = "SELECT kind, drug, drug_code, dose, unit, usage, route, start, end,"
                       " days, instructions, rate, order_type, file_id, seq, start_time, end_time"
                       " FROM medications"
                       " WHERE patient_id = ?1 AND flag = 1 ORDER BY start DESC, file_id DESC, seq",
    [P_LABS - P_PAT] = "SELECT code, name, value, unit, range, abnormal, time FROM lab_results"
                       " WHERE patient_id = ?1 AND flag = 1 AND sub_id IS NULL"
                       " ORDER BY code, time DESC, event_time DESC, file_id DESC, seq",
    [P_DIET - P_PAT] = "SELECT text, start FROM diets WHERE patient_id = ?1 AND flag = 1"
                       " ORDER BY start DESC, event_time DESC, file_id DESC, seq",
    [P_REPORTS - P_PAT] = "SELECT kind, text, time FROM reports WHERE patient_id = ?1"
                          " AND flag = 1 ORDER BY time DESC, event_time DESC, file_id, seq",
    [P_ADT - P_PAT] = "SELECT e.kind, e.clinical_time, e.ward, e.room, e.bed, e.admitted,"
                      " e.discharged, e.attending FROM adt_events e JOIN files f"
                      " ON f.id = e.file_id WHERE e.patient_id = ?1 AND f.flag = 1"
                      " AND e.cancel = 0 AND e.kind IN ('admit', 'transfer', 'discharge')"
                      " ORDER BY e.clinical_time, f.event_time, f.name",
    [P_ORDERS - P_PAT] = "SELECT kind, order_no, code, name, time FROM orders"
                         " WHERE patient_id = ?1 AND flag = 1 ORDER BY time DESC, kind, seq"
                         " LIMIT 100",
    [P_DIAG_OLDER - P_PAT] = "SELECT " DIAG_COLS ", d.file_id FROM diagnosis_rows d JOIN files f"
                             " ON f.id = d.file_id WHERE d.patient_id = ?1 AND f.flag = 1"
                             " AND f.state = 'current' AND f.data_type = 'PPR-01' AND f.id <> ?2"
                             " ORDER BY f.event_time DESC, f.name DESC, d.seq",
    [P_COMPONENTS - P_PAT] = "SELECT type, code, name, amount, unit FROM med_components"
                             " WHERE patient_id = ?1 AND file_id = ?2 AND seq = ?3 ORDER BY k",
    [P_CULTURES - P_PAT] = "SELECT test_code, test_name, specimen, time, event_time, file_id, obr,"
                           " sub_id, code, name, value, unit, abnormal FROM lab_results"
                           " WHERE patient_id = ?1 AND flag = 1 AND sub_id IS NOT NULL"
                           " ORDER BY file_id, seq",
};

struct patient_box {
    struct cv_patient p;
    struct xarena a;
    bool oom;
};

static sqlite3_stmt *pstmt(struct cv_index *idx, int which, const char *key, sqlite3_int64 num)
{
    sqlite3_stmt *st = index_stmt(idx, which, psql[which - P_PAT]);

    if (st && key)
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    else if (st)
        sqlite3_bind_int64(st, 1, num);
    return st;
}

static char *col(struct patient_box *b, sqlite3_stmt *st, int c)
{
    const char *s = index_col(st, c);
    char *d;

    if (!s)
        return NULL;
    d = xa_dup(&b->a, s);
    b->oom |= !d;
    return d;
}

static void *push(struct patient_box *b, void **arr, size_t *n, size_t *cap, size_t elem)
{
    void *p = xa_push(&b->a, arr, n, cap, elem);

    b->oom |= !p;
    return p;
}

/* A JSON array of strings (as the index stores phones) into a string array. */
static void phones_from_json(struct patient_box *b, const char *json, char ***out, size_t *n)
{
    size_t cap = 0;
    const char *p = json;

    *out = NULL;
    *n = 0;
    while (p && (p = strchr(p, '"')) != NULL) {
        struct cv_buf s = CV_BUF_INIT(4096);
        char **slot;

        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1]) {
                p++;
                cv_buf_putc(&s, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
            } else {
                cv_buf_putc(&s, *p);
            }
        }
        b->oom |= cv_buf_error(&s) != CV_OK; /* a phone cut short is no phone */
        slot = push(b, (void **)out, n, &cap, sizeof(char *));
        if (slot)
            *slot = xa_dup(&b->a, cv_buf_str(&s));
        cv_buf_free(&s);
        if (*p)
            p++;
    }
}

static enum cv_err load_head(struct cv_index *idx, struct patient_box *b, const char *id,
                             sqlite3_int64 *demo_file, sqlite3_int64 *ppr_file)
{
    struct cv_patient *p = &b->p;
    sqlite3_stmt *st = pstmt(idx, P_PAT, id, 0);
    int rc;

    if (!st)
        return CV_EDB;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? cv_fail(CV_ENOENT, "no patient '%s'", id)
                                 : index_db_error(idx->db, "patient");
    }
    p->id = col(b, st, 0);
    *demo_file = sqlite3_column_int64(st, 1);
    *ppr_file = sqlite3_column_int64(st, 2);
    p->name = (struct cv_name){col(b, st, 3), col(b, st, 4)};
    p->kana = (struct cv_name){col(b, st, 5), col(b, st, 6)};
    p->birth_date = col(b, st, 7);
    p->sex = col(b, st, 8);
    p->blood_type = col(b, st, 9);
    p->rh = col(b, st, 10);
    p->height_cm = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 11);
    p->weight_kg = sqlite3_column_type(st, 12) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 12);
    p->postcode = col(b, st, 13);
    p->address = col(b, st, 14);
    phones_from_json(b, index_col(st, 15), &p->phones, &p->nphones);
    p->allergies_recorded = index_col(st, 16) && strcmp(index_col(st, 16), "recorded") == 0;
    if (index_col(st, 17)) {
        p->location = xa_alloc(&b->a, sizeof(*p->location));
        if (p->location)
            *p->location = (struct cv_location){col(b, st, 17), col(b, st, 18), col(b, st, 19),
                                                col(b, st, 20)};
        b->oom |= !p->location;
        p->attending = col(b, st, 21);
    }
    p->pid3_mismatch = sqlite3_column_int(st, 22) != 0;
    p->demographics_source = col(b, st, 23);
    sqlite3_reset(st);
    return CV_OK;
}

static enum cv_err load_contacts(struct cv_index *idx, struct patient_box *b,
                                 sqlite3_int64 demo_file)
{
    sqlite3_stmt *st = pstmt(idx, P_CONTACTS, NULL, demo_file);
    size_t cap = 0;
    int rc;

    if (!st)
        return CV_EDB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cv_contact *c = push(b, (void **)&b->p.contacts, &b->p.ncontacts, &cap, sizeof(*c));

        if (!c)
            break;
        c->name = col(b, st, 0);
        c->relationship = col(b, st, 1);
        phones_from_json(b, index_col(st, 2), &c->phones, &c->nphones);
    }
    sqlite3_reset(st);
    return CV_OK;
}

static enum cv_err load_allergies(struct cv_index *idx, struct patient_box *b)
{
    sqlite3_stmt *st = pstmt(idx, P_ALLERGIES, b->p.id, 0);
    size_t cap = 0;

    if (!st)
        return CV_EDB;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct cv_allergy *a =
            push(b, (void **)&b->p.allergies, &b->p.nallergies, &cap, sizeof(*a));

        if (!a)
            break;
        *a = (struct cv_allergy){col(b, st, 0), col(b, st, 1), col(b, st, 2),
                                 col(b, st, 3), col(b, st, 4), col(b, st, 5)};
    }
    sqlite3_reset(st);
    return CV_OK;
}

/* Resolved: outcome F (治癒), R (recovered) or D (died); or a resolution date (PRB-9) with an
 * outcome that does not say it goes on (N not recovered, P partly, S serious, U unknown,
 * W worse): the public sample has PRB-9 set with N, and its 胃炎 is active. */
static bool diagnosis_active(const char *outcome, const char *resolved, const char *action)
{
    if (action && strcmp(action, "DE") == 0)
        return false;
    if (outcome &&
        (strcmp(outcome, "F") == 0 || strcmp(outcome, "R") == 0 || strcmp(outcome, "D") == 0))
        return false;
    if (resolved && !(outcome && strchr("NPSUW", outcome[0]) && outcome[1] == '\0'))
        return false;
    return true;
}

static int cmp_diag(const void *x, const void *y)
{
    const struct cv_diagnosis *a = x, *b = y;
    int c = strcmp(a->onset ? a->onset : "", b->onset ? b->onset : "");

    return c ? c : strcmp(a->icd10 ? a->icd10 : "", b->icd10 ? b->icd10 : "");
}

static void diag_from(struct patient_box *b, sqlite3_stmt *st, struct cv_diagnosis *d)
{
    const char *confirmation = index_col(st, 8);

    *d = (struct cv_diagnosis){.name = col(b, st, 0),
                               .code = col(b, st, 1),
                               .icd10 = col(b, st, 2),
                               .onset = col(b, st, 3),
                               .main = sqlite3_column_int(st, 4) != 0,
                               .suspected = confirmation && strcmp(confirmation, "1") == 0,
                               .confirmation = col(b, st, 8),
                               .start = col(b, st, 9),
                               .end = col(b, st, 6)};
}

/* What makes two PRB rows the same diagnosis: the code (PRB-3.1), else the name, else the
 * ICD-10 code. */
static const char *diag_key(sqlite3_stmt *st)
{
    for (int c = 1; c >= 0; c--)
        if (index_col(st, c))
            return index_col(st, c);
    return index_col(st, 2);
}

struct keyset {
    char **v;
    size_t n, cap;
};

static bool keyset_has(const struct keyset *k, const char *key)
{
    for (size_t i = 0; key && i < k->n; i++)
        if (strcmp(k->v[i], key) == 0)
            return true;
    return false;
}

static void keyset_add(struct patient_box *b, struct keyset *k, const char *key)
{
    char **slot;

    if (!key || keyset_has(k, key))
        return;
    slot = push(b, (void **)&k->v, &k->n, &k->cap, sizeof(char *));
    if (slot && !(*slot = xa_dup(&b->a, key))) {
        b->oom = true;
        k->n--;
    }
}

/* The newest current PPR-01's active diagnoses; then those that appear only in older current
 * PPR-01 files (a writer that wrote one file per diagnosis order), each from the newest file
 * that holds it. A diagnosis a newer file holds in any state (resolved, deleted) is never
 * taken from an older one; within one file, every row counts (a resolved episode and a new
 * one of the same disease). */
static enum cv_err load_diagnoses(struct cv_index *idx, struct patient_box *b,
                                  sqlite3_int64 ppr_file)
{
    sqlite3_stmt *st = pstmt(idx, P_DIAG, NULL, ppr_file);
    struct keyset seen = {0}, pending = {0};
    sqlite3_int64 file = 0;
    size_t cap = 0, ocap = 0;
    struct cv_diagnosis *d;

    if (!st)
        return CV_EDB;
    while (sqlite3_step(st) == SQLITE_ROW) {
        keyset_add(b, &seen, diag_key(st));
        if (!diagnosis_active(index_col(st, 5), index_col(st, 6), index_col(st, 7)))
            continue;
        if ((d = push(b, (void **)&b->p.diagnoses, &b->p.ndiagnoses, &cap, sizeof(*d))))
            diag_from(b, st, d);
    }
    sqlite3_reset(st);
    st = pstmt(idx, P_DIAG_OLDER, b->p.id, 0);
    if (!st)
        return CV_EDB;
    sqlite3_bind_int64(st, 2, ppr_file);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *key = diag_key(st);
        bool fresh;

        if (sqlite3_column_int64(st, 10) != file) { /* newer files' keys count from here on */
            for (size_t i = 0; i < pending.n; i++)
                keyset_add(b, &seen, pending.v[i]);
            pending.n = 0;
            file = sqlite3_column_int64(st, 10);
        }
        fresh = !keyset_has(&seen, key); /* a row naming nothing is shown, not matched */
        keyset_add(b, &pending, key);
        if (!fresh || !diagnosis_active(index_col(st, 5), index_col(st, 6), index_col(st, 7)))
            continue;
        d = push(b, (void **)&b->p.older_diagnoses, &b->p.nolder_diagnoses, &ocap, sizeof(*d));
        if (d)
            diag_from(b, st, d);
    }
    sqlite3_reset(st);
    if (b->p.ndiagnoses > 1)
        qsort(b->p.diagnoses, b->p.ndiagnoses, sizeof(*b->p.diagnoses), cmp_diag);
    if (b->p.nolder_diagnoses > 1)
        qsort(b->p.older_diagnoses, b->p.nolder_diagnoses, sizeof(*b->p.older_diagnoses), cmp_diag);
    return CV_OK;
}

static int cmp_med(const void *x, const void *y)
{
    const struct cv_medication *a = x, *b = y;
    int c = strcmp(a->kind, b->kind);

    if (!c)
        c = strcmp(a->start ? a->start : "", b->start ? b->start : "");
    if (!c)
        c = strcmp(a->start_time ? a->start_time : "", b->start_time ? b->start_time : "");
    return c ? c : strcmp(a->drug ? a->drug : "", b->drug ? b->drug : "");
}

/* Recently ended: newest end first, then as the current ones. */
static int cmp_recent(const void *x, const void *y)
{
    const struct cv_medication *a = x, *b = y;
    int c = strcmp(b->end ? b->end : "", a->end ? a->end : "");

    return c ? c : cmp_med(x, y);
}

/* "name amount unit + name amount unit" */
static char *components_line(struct patient_box *b, const struct cv_medication *m)
{
    struct cv_buf line = CV_BUF_INIT(1 << 16);
    char *res;

    for (size_t i = 0; i < m->ncomps; i++) {
        const struct cv_component *c = &m->comps[i];
        const char *parts[] = {c->name ? c->name : c->code ? c->code : "?", c->amount, c->unit};

        cv_buf_puts(&line, i ? " + " : "");
        for (size_t k = 0; k < CV_ARRAY_LEN(parts); k++)
            if (parts[k])
                cv_buf_printf(&line, "%s%s", k ? " " : "", parts[k]);
    }
    res = line.len ? xa_dup(&b->a, cv_buf_str(&line)) : NULL;
    b->oom |= line.len && !res;
    cv_buf_free(&line);
    return res;
}

static enum cv_err load_components(struct cv_index *idx, struct patient_box *b,
                                   struct cv_medication *m, sqlite3_int64 file_id, int seq)
{
    sqlite3_stmt *st = pstmt(idx, P_COMPONENTS, b->p.id, 0);
    size_t cap = 0;

    if (!st)
        return CV_EDB;
    sqlite3_bind_int64(st, 2, file_id);
    sqlite3_bind_int(st, 3, seq);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct cv_component *c = push(b, (void **)&m->comps, &m->ncomps, &cap, sizeof(*c));

        if (c)
            *c = (struct cv_component){.type = col(b, st, 0),
                                       .code = col(b, st, 1),
                                       .name = col(b, st, 2),
                                       .amount = col(b, st, 3),
                                       .unit = col(b, st, 4)};
    }
    sqlite3_reset(st);
    m->components = components_line(b, m);
    return CV_OK;
}

/* Every current order, newest first: current on the as-of date, ended within recent_days
 * before it, starting within recent_days after it (a discharge prescription that starts
 * tomorrow is on record: "nothing lately" would be false), and the history (the newest
 * MAX_HISTORY). */
static enum cv_err load_medications(struct cv_index *idx, struct patient_box *b)
{
    sqlite3_stmt *st;
    size_t cap = 0, rcap = 0, ucap = 0, hcap = 0;
    const char *as_of = b->p.as_of;
    char since[11], until[11];
    long days;
    int y, mo, d;
    enum cv_err err = CV_OK;

    if (cv_parse_date(as_of, &days) != CV_OK)
        return cv_fail(CV_EINVAL, "'%s' is not a date (YYYY-MM-DD)", as_of);
    st = pstmt(idx, P_MEDS, b->p.id, 0);
    if (!st)
        return CV_EDB;
    cv_days_to_ymd(days - b->p.recent_days, &y, &mo, &d);
    snprintf(since, sizeof(since), "%04d-%02d-%02d", y, mo, d);
    cv_days_to_ymd(days + b->p.recent_days, &y, &mo, &d);
    snprintf(until, sizeof(until), "%04d-%02d-%02d", y, mo, d);
    while (!err && sqlite3_step(st) == SQLITE_ROW) {
        struct cv_medication m = {.kind = col(b, st, 0),
                                  .drug = col(b, st, 1),
                                  .drug_code = col(b, st, 2),
                                  .dose = col(b, st, 3),
                                  .unit = col(b, st, 4),
                                  .usage = col(b, st, 5),
                                  .route = col(b, st, 6),
                                  .start = col(b, st, 7),
                                  .end = col(b, st, 8),
                                  .instructions = col(b, st, 10),
                                  .rate = col(b, st, 11),
                                  .order_type = col(b, st, 12),
                                  .start_time = col(b, st, 15),
                                  .end_time = col(b, st, 16),
                                  .days = -1};
        struct cv_medication *slot;
        bool recent, upcoming, history = b->p.nmedication_history < MAX_HISTORY;

        if (!m.kind)
            continue;
        if (sqlite3_column_type(st, 9) != SQLITE_NULL)
            m.days = sqlite3_column_int(st, 9);
        m.current = m.start && m.end && strcmp(m.start, as_of) <= 0 && strcmp(as_of, m.end) <= 0;
        recent = m.end && strcmp(m.end, as_of) < 0 && strcmp(m.end, since) >= 0;
        upcoming = m.start && strcmp(m.start, as_of) > 0 && strcmp(m.start, until) <= 0;
        if (!m.current && !recent && !upcoming && !history)
            continue;
        if (strcmp(m.kind, "injection") == 0)
            err = load_components(idx, b, &m, sqlite3_column_int64(st, 13),
                                  sqlite3_column_int(st, 14));
        if (m.current &&
            (slot = push(b, (void **)&b->p.medications, &b->p.nmedications, &cap, sizeof(*slot))))
            *slot = m;
        if (recent && (slot = push(b, (void **)&b->p.recent_medications, &b->p.nrecent_medications,
                                   &rcap, sizeof(*slot))))
            *slot = m;
        if (upcoming && (slot = push(b, (void **)&b->p.upcoming_medications,
                                     &b->p.nupcoming_medications, &ucap, sizeof(*slot))))
            *slot = m;
        if (history && (slot = push(b, (void **)&b->p.medication_history, &b->p.nmedication_history,
                                    &hcap, sizeof(*slot))))
            *slot = m;
    }
    sqlite3_reset(st);
    if (b->p.nupcoming_medications > 1)
        qsort(b->p.upcoming_medications, b->p.nupcoming_medications,
              sizeof(*b->p.upcoming_medications), cmp_med);
    if (b->p.nmedications > 1)
        qsort(b->p.medications, b->p.nmedications, sizeof(*b->p.medications), cmp_med);
    if (b->p.nrecent_medications > 1)
        qsort(b->p.recent_medications, b->p.nrecent_medications, sizeof(*b->p.recent_medications),
              cmp_recent);
    return err;
}

static enum cv_err load_labs(struct cv_index *idx, struct patient_box *b)
{
    sqlite3_stmt *st = pstmt(idx, P_LABS, b->p.id, 0);
    size_t cap = 0, rcap = 0;
    struct cv_lab_series *cur = NULL;

    if (!st)
        return CV_EDB;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *code = index_col(st, 0);
        struct cv_lab *l;

        if (!code)
            continue;
        if (!cur || strcmp(cur->results[0].code, code) != 0) {
            cur = push(b, (void **)&b->p.labs, &b->p.nlabs, &cap, sizeof(*cur));
            rcap = 0;
            if (!cur)
                break;
        }
        if (cur->n >= MAX_LAB_SERIES)
            continue;
        l = push(b, (void **)&cur->results, &cur->n, &rcap, sizeof(*l));
        if (!l)
            break;
        *l = (struct cv_lab){col(b, st, 0), col(b, st, 1), col(b, st, 2), col(b, st, 3),
                             col(b, st, 4), col(b, st, 5), col(b, st, 6)};
        if (!l->code) {
            cur->n--;
            break;
        }
    }
    sqlite3_reset(st);
    return CV_OK;
}

/* ---- cultures: results grouped by OBX-4 ---------------------------------------------------
 * A report is one OBR of one file whose results were kept with their OBX-4 (the extractor
 * keeps it only when it groups: nested sub-IDs, or a test repeated under several). Shown
 * whole: the latest report of each (OBR-4 test, SPM-4 specimen), its organisms in order,
 * each with its other results (amount) and the susceptibilities nested under it; earlier
 * reports of the same test beside it. Groups from different reports are never mixed. */
struct report {
    const char *test_code, *test_name, *specimen, *time, *event_time;
    sqlite3_int64 file_id;
    int obr;
    struct cv_result *rows;
    size_t n, cap;
};

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Same test and specimen first; within it, the newest report first. */
static int cmp_report(const void *x, const void *y)
{
    const struct report *a = x, *b = y;
    int c = strcmp(or_empty(a->test_code), or_empty(b->test_code));

    if (!c)
        c = strcmp(or_empty(a->specimen), or_empty(b->specimen));
    if (!c)
        c = strcmp(or_empty(b->time), or_empty(a->time));
    if (!c)
        c = strcmp(or_empty(b->event_time), or_empty(a->event_time));
    if (!c)
        c = a->file_id < b->file_id ? 1 : a->file_id > b->file_id ? -1 : 0;
    return c ? c : b->obr - a->obr;
}

static bool same_culture(const struct report *a, const struct report *b)
{
    return strcmp(or_empty(a->test_code), or_empty(b->test_code)) == 0 &&
           strcmp(or_empty(a->specimen), or_empty(b->specimen)) == 0;
}

/* Newest culture first; then by test and specimen. */
static int cmp_culture(const void *x, const void *y)
{
    const struct cv_culture *a = x, *b = y;
    int c = strcmp(or_empty(b->time), or_empty(a->time));

    if (!c)
        c = strcmp(or_empty(a->code), or_empty(b->code));
    return c ? c : strcmp(or_empty(a->specimen), or_empty(b->specimen));
}

#define MAX_ORGANISMS 64 /* groups per report; results of more stay in the report's list */

static size_t group_len(const char *sub_id)
{
    return strcspn(sub_id, ".-_");
}

static bool nested(const char *sub_id)
{
    size_t head = group_len(sub_id);

    return head > 0 && sub_id[head] && sub_id[head + 1];
}

/* Which organism of `c` a row belongs to (-1: the report itself). Pass 1 creates them. */
static int organism_of(struct patient_box *b, struct cv_culture *c, const char *sub_id, bool create)
{
    size_t n = group_len(sub_id);

    if (!*sub_id)
        return -1;
    for (size_t i = 0; i < c->norganisms; i++)
        if (strlen(c->organisms[i].group) == n && strncmp(c->organisms[i].group, sub_id, n) == 0)
            return (int)i;
    if (!create || c->norganisms == MAX_ORGANISMS)
        return -1;
    c->organisms[c->norganisms].group = xa_dupn(&b->a, sub_id, n);
    b->oom |= !c->organisms[c->norganisms].group;
    return (int)c->norganisms++;
}

static struct cv_result *alloc_results(struct patient_box *b, size_t n)
{
    struct cv_result *v = n ? xa_alloc(&b->a, n * sizeof(*v)) : NULL;

    b->oom |= n && !v;
    return v;
}

/* One report into a culture: pass 1 finds the organisms and counts, pass 2 fills. */
static void fill_culture(struct patient_box *b, const struct report *r, struct cv_culture *c)
{
    size_t nd[MAX_ORGANISMS] = {0}, ns[MAX_ORGANISMS] = {0};
    bool named[MAX_ORGANISMS] = {false};

    *c = (struct cv_culture){.test = (char *)(r->test_name ? r->test_name : r->test_code),
                             .code = (char *)r->test_code,
                             .specimen = (char *)r->specimen,
                             .time = (char *)r->time};
    c->organisms = xa_alloc(&b->a, MAX_ORGANISMS * sizeof(*c->organisms));
    if (!c->organisms) {
        b->oom = true;
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        const char *sub = r->rows[i].sub_id;
        int o = organism_of(b, c, sub, true);

        if (o < 0)
            c->nresults++;
        else if (nested(sub))
            ns[o]++;
        else if (named[o])
            nd[o]++;
        else
            named[o] = true;
    }
    c->results = alloc_results(b, c->nresults);
    for (size_t o = 0; o < c->norganisms; o++) {
        c->organisms[o].details = alloc_results(b, nd[o]);
        c->organisms[o].susceptibility = alloc_results(b, ns[o]);
        named[o] = false;
    }
    c->nresults = 0;
    for (size_t i = 0; i < r->n && !b->oom; i++) {
        const struct cv_result *row = &r->rows[i];
        int o = organism_of(b, c, row->sub_id, false);
        struct cv_organism *g = o >= 0 ? &c->organisms[o] : NULL;

        if (!g)
            c->results[c->nresults++] = *row;
        else if (nested(row->sub_id))
            g->susceptibility[g->nsusceptibility++] = *row;
        else if (named[o])
            g->details[g->ndetails++] = *row;
        else {
            named[o] = true;
            g->organism = row->value;
        }
    }
}

static enum cv_err read_reports(struct cv_index *idx, struct patient_box *b, struct report **out,
                                size_t *n)
{
    sqlite3_stmt *st = pstmt(idx, P_CULTURES, b->p.id, 0);
    struct report *cur = NULL;
    size_t cap = 0;

    *out = NULL;
    *n = 0;
    if (!st)
        return CV_EDB;
    while (sqlite3_step(st) == SQLITE_ROW) {
        sqlite3_int64 file_id = sqlite3_column_int64(st, 5);
        int obr = sqlite3_column_int(st, 6);
        const char *time = index_col(st, 3);
        struct cv_result *row;

        if (!cur || cur->file_id != file_id || cur->obr != obr) {
            if (!(cur = push(b, (void **)out, n, &cap, sizeof(*cur))))
                break;
            *cur = (struct report){.test_code = col(b, st, 0),
                                   .test_name = col(b, st, 1),
                                   .specimen = col(b, st, 2),
                                   .event_time = col(b, st, 4),
                                   .file_id = file_id,
                                   .obr = obr};
        }
        if (time && (!cur->time || strcmp(time, cur->time) > 0)) /* the report's newest */
            cur->time = col(b, st, 3);
        row = push(b, (void **)&cur->rows, &cur->n, &cur->cap, sizeof(*row));
        if (row)
            *row = (struct cv_result){.sub_id = col(b, st, 7),
                                      .code = col(b, st, 8),
                                      .name = col(b, st, 9),
                                      .value = col(b, st, 10),
                                      .unit = col(b, st, 11),
                                      .flag = col(b, st, 12)};
        if (row && !row->sub_id)
            row->sub_id = (char *)"";
    }
    sqlite3_reset(st);
    return CV_OK;
}

static enum cv_err load_cultures(struct cv_index *idx, struct patient_box *b)
{
    struct report *r;
    size_t n, cap = 0;
    enum cv_err err = read_reports(idx, b, &r, &n);

    if (err || n == 0)
        return err;
    qsort(r, n, sizeof(*r), cmp_report);
    for (size_t i = 0; i < n && b->p.ncultures < MAX_CULTURES;) {
        struct cv_culture *c = push(b, (void **)&b->p.cultures, &b->p.ncultures, &cap, sizeof(*c));
        size_t k = i + 1, ecap = 0;

        if (!c)
            break;
        fill_culture(b, &r[i], c);
        for (; k < n && same_culture(&r[i], &r[k]); k++) {
            struct cv_culture *e;

            if (c->nearlier < MAX_EARLIER &&
                (e = push(b, (void **)&c->earlier, &c->nearlier, &ecap, sizeof(*e))))
                fill_culture(b, &r[k], e);
        }
        i = k;
    }
    if (b->p.ncultures > 1)
        qsort(b->p.cultures, b->p.ncultures, sizeof(*b->p.cultures), cmp_culture);
    return CV_OK;
}

static enum cv_err load_lists(struct cv_index *idx, struct patient_box *b)
{
    sqlite3_stmt *st = pstmt(idx, P_DIET, b->p.id, 0);
    size_t cap = 0;

    if (!st)
        return CV_EDB;
    while (b->p.ndiet < MAX_LIST && sqlite3_step(st) == SQLITE_ROW) {
        struct cv_diet *d = push(b, (void **)&b->p.diet, &b->p.ndiet, &cap, sizeof(*d));

        if (d)
            *d = (struct cv_diet){col(b, st, 0), col(b, st, 1)};
    }
    sqlite3_reset(st);
    st = pstmt(idx, P_REPORTS, b->p.id, 0);
    cap = 0;
    if (!st)
        return CV_EDB;
    while (b->p.nreports < MAX_LIST && sqlite3_step(st) == SQLITE_ROW) {
        struct cv_report *r = push(b, (void **)&b->p.reports, &b->p.nreports, &cap, sizeof(*r));

        if (r)
            *r = (struct cv_report){col(b, st, 0), col(b, st, 1), col(b, st, 2)};
    }
    sqlite3_reset(st);
    return CV_OK;
}

static enum cv_err load_orders(struct cv_index *idx, struct patient_box *b)
{
    sqlite3_stmt *st = pstmt(idx, P_ORDERS, b->p.id, 0);
    size_t cap = 0;

    if (!st)
        return CV_EDB;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct cv_order *o = push(b, (void **)&b->p.orders, &b->p.norders, &cap, sizeof(*o));

        if (o)
            *o = (struct cv_order){col(b, st, 0), col(b, st, 1), col(b, st, 2), col(b, st, 3),
                                   col(b, st, 4)};
    }
    sqlite3_reset(st);
    return CV_OK;
}

/* Admission history: admit opens a stay, transfers move it, discharge closes it. */
static enum cv_err load_stays(struct cv_index *idx, struct patient_box *b)
{
    sqlite3_stmt *st = pstmt(idx, P_ADT, b->p.id, 0);
    struct cv_stay *open = NULL;
    size_t cap = 0;

    if (!st)
        return CV_EDB;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *kind = index_col(st, 0);

        if (strcmp(kind, "admit") == 0) {
            open = push(b, (void **)&b->p.stays, &b->p.nstays, &cap, sizeof(*open));
            if (!open)
                break;
            open->admitted = index_col(st, 5) ? col(b, st, 5) : col(b, st, 1);
            open->attending = col(b, st, 7);
        } else if (!open) {
            continue;
        }
        if (strcmp(kind, "discharge") == 0) {
            open->discharged = index_col(st, 6) ? col(b, st, 6) : col(b, st, 1);
            open = NULL;
            continue;
        }
        if (index_col(st, 2)) {
            open->ward = col(b, st, 2);
            open->room = col(b, st, 3);
            open->bed = col(b, st, 4);
        }
    }
    sqlite3_reset(st);
    for (size_t i = 0; i < b->p.nstays / 2; i++) { /* newest first */
        struct cv_stay t = b->p.stays[i];

        b->p.stays[i] = b->p.stays[b->p.nstays - 1 - i];
        b->p.stays[b->p.nstays - 1 - i] = t;
    }
    return CV_OK;
}

enum cv_err cv_index_patient_recent(struct cv_index *idx, const char *id, const char *as_of,
                                    int recent_days, struct cv_patient **out)
{
    struct patient_box *b;
    sqlite3_int64 demo_file = 0, ppr_file = 0;
    enum cv_err err;
    bool began;
    long days;

    *out = NULL;
    if (as_of && cv_parse_date(as_of, &days))
        return cv_fail(CV_EINVAL, "'%s' is not a date (YYYY-MM-DD)", as_of);
    if (recent_days < 0 || recent_days > CV_RECENT_DAYS_MAX)
        return cv_fail(CV_EINVAL, "recent days %d is not 0..%d", recent_days, CV_RECENT_DAYS_MAX);
    err = cv_index_snapshot_begin(idx, &began); /* a dozen queries, one state of the index */
    if (err)
        return err;
    if (!(b = cv_calloc(1, sizeof(*b)))) {
        cv_index_snapshot_end(idx, began);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    if (as_of)
        cv_strlcpy(b->p.as_of, as_of, sizeof(b->p.as_of));
    else
        cv_today(b->p.as_of);
    b->p.recent_days = recent_days ? recent_days : CV_RECENT_DAYS_DEFAULT;
    err = load_head(idx, b, id, &demo_file, &ppr_file);
    if (!err && demo_file)
        err = load_contacts(idx, b, demo_file);
    if (!err)
        err = load_allergies(idx, b);
    if (!err && ppr_file)
        err = load_diagnoses(idx, b, ppr_file);
    if (!err)
        err = load_medications(idx, b);
    if (!err)
        err = load_labs(idx, b);
    if (!err)
        err = load_cultures(idx, b);
    if (!err)
        err = load_lists(idx, b);
    if (!err)
        err = load_stays(idx, b);
    if (!err)
        err = load_orders(idx, b);
    if (!err && b->oom)
        err = cv_fail(CV_ENOMEM, "out of memory reading a patient");
    cv_index_snapshot_end(idx, began);
    if (err) {
        cv_patient_free(&b->p);
        return err;
    }
    *out = &b->p;
    return CV_OK;
}

enum cv_err cv_index_patient(struct cv_index *idx, const char *id, const char *as_of,
                             struct cv_patient **out)
{
    return cv_index_patient_recent(idx, id, as_of, 0, out);
}

void cv_patient_free(struct cv_patient *p)
{
    struct patient_box *b = (struct patient_box *)p;

    if (!p)
        return;
    xa_free(&b->a);
    cv_free(b);
}
