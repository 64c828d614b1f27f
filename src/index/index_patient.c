/*
 * index_patient.c: one patient's summary: the derived current state (patients,
 * current_allergies) plus what is read at query time from current (_1) files: contacts of the
 * demographics file, active diagnoses of the newest PPR-01, medications (current on the as-of
 * date, and the history), lab results grouped by test with the newest first, diet, reports,
 * and the admission history. Everything lives in one arena freed by cv_patient_free().
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
    P_ORDERS
};

#define MAX_HISTORY    200 /* medications kept in the history */
#define MAX_LAB_SERIES 20  /* results kept per test */
#define MAX_LIST       500 /* diet, reports, stays */

static const char *const psql[] = {
    [P_PAT - P_PAT] = "SELECT id, demo_file, ppr_file, family, given, kana_family, kana_given,"
                      " birth_date, sex, blood_type, rh, height_cm, weight_kg, postcode, address,"
                      " phones, allergy_status, ward, room, bed, admitted, attending,"
                      " pid3_mismatch FROM patients WHERE id = ?1",
    [P_CONTACTS - P_PAT] = "SELECT name, relationship, phones FROM contacts WHERE file_id = ?1"
                           " ORDER BY seq",
    [P_ALLERGIES - P_PAT] = "SELECT type, code, allergen, severity, reaction, onset"
                            " FROM current_allergies WHERE patient_id = ?1 ORDER BY seq",
    [P_DIAG - P_PAT] = "SELECT name, code, icd10, onset, main, outcome, resolved, action"
                       " FROM diagnosis_rows WHERE file_id = ?1 ORDER BY seq",
    [P_MEDS - P_PAT] = "SELECT kind, drug, drug_code, dose, unit, usage, route, start, end,"
                       " days, components FROM medications WHERE patient_id = ?1 AND flag = 1"
                       " ORDER BY start DESC, file_id DESC, seq",
    [P_LABS - P_PAT] = "SELECT code, name, value, unit, range, abnormal, time FROM lab_results"
                       " WHERE patient_id = ?1 AND flag = 1"
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

static enum cv_err load_diagnoses(struct cv_index *idx, struct patient_box *b,
                                  sqlite3_int64 ppr_file)
{
    sqlite3_stmt *st = pstmt(idx, P_DIAG, NULL, ppr_file);
    size_t cap = 0;

    if (!st)
        return CV_EDB;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct cv_diagnosis *d;

        if (!diagnosis_active(index_col(st, 5), index_col(st, 6), index_col(st, 7)))
            continue;
        d = push(b, (void **)&b->p.diagnoses, &b->p.ndiagnoses, &cap, sizeof(*d));
        if (!d)
            break;
        *d = (struct cv_diagnosis){col(b, st, 0), col(b, st, 1), col(b, st, 2), col(b, st, 3),
                                   sqlite3_column_int(st, 4) != 0};
    }
    sqlite3_reset(st);
    if (b->p.ndiagnoses > 1)
        qsort(b->p.diagnoses, b->p.ndiagnoses, sizeof(*b->p.diagnoses), cmp_diag);
    return CV_OK;
}

static int cmp_med(const void *x, const void *y)
{
    const struct cv_medication *a = x, *b = y;
    int c = strcmp(a->kind, b->kind);

    if (!c)
        c = strcmp(a->start ? a->start : "", b->start ? b->start : "");
    return c ? c : strcmp(a->drug ? a->drug : "", b->drug ? b->drug : "");
}

static enum cv_err load_medications(struct cv_index *idx, struct patient_box *b)
{
    sqlite3_stmt *st = pstmt(idx, P_MEDS, b->p.id, 0);
    size_t cap = 0, hcap = 0;
    const char *as_of = b->p.as_of;

    if (!st)
        return CV_EDB;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct cv_medication m = {col(b, st, 0),
                                  col(b, st, 1),
                                  col(b, st, 2),
                                  col(b, st, 3),
                                  col(b, st, 4),
                                  col(b, st, 5),
                                  col(b, st, 6),
                                  col(b, st, 7),
                                  col(b, st, 8),
                                  col(b, st, 10),
                                  -1,
                                  false};
        struct cv_medication *slot;

        if (sqlite3_column_type(st, 9) != SQLITE_NULL)
            m.days = sqlite3_column_int(st, 9);
        m.current = m.start && m.end && strcmp(m.start, as_of) <= 0 && strcmp(as_of, m.end) <= 0;
        if (!m.kind)
            continue;
        if (m.current &&
            (slot = push(b, (void **)&b->p.medications, &b->p.nmedications, &cap, sizeof(*slot))))
            *slot = m;
        if (b->p.nmedication_history < MAX_HISTORY &&
            (slot = push(b, (void **)&b->p.medication_history, &b->p.nmedication_history, &hcap,
                         sizeof(*slot))))
            *slot = m;
    }
    sqlite3_reset(st);
    if (b->p.nmedications > 1)
        qsort(b->p.medications, b->p.nmedications, sizeof(*b->p.medications), cmp_med);
    return CV_OK;
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

/* Today as YYYY-MM-DD into buf[11]; CV_EINVAL when the clock is past year 9999. */
static enum cv_err today(char *buf)
{
    time_t now = cv_now();
    struct tm tm;

    localtime_r(&now, &tm);
    if (strftime(buf, 11, "%Y-%m-%d", &tm) != 10)
        return cv_fail(CV_EINVAL, "today's date does not fit YYYY-MM-DD");
    return CV_OK;
}

enum cv_err cv_index_patient(struct cv_index *idx, const char *id, const char *as_of,
                             struct cv_patient **out)
{
    struct patient_box *b;
    sqlite3_int64 demo_file = 0, ppr_file = 0;
    enum cv_err err;
    bool began;
    long days;

    *out = NULL;
    if (as_of && cv_parse_date(as_of, &days))
        return cv_fail(CV_EINVAL, "'%s' is not a date (YYYY-MM-DD)", as_of);
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
        err = today(b->p.as_of);
    if (!err)
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

void cv_patient_free(struct cv_patient *p)
{
    struct patient_box *b = (struct patient_box *)p;

    if (!p)
        return;
    xa_free(&b->a);
    cv_free(b);
}
