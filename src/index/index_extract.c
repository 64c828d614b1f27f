/*
 * index_extract.c: from one parsed message to the rows the index stores, by data type:
 * demographics, contacts and AL1 allergies (ADT-00), IAM allergies (ADT-61), diagnoses
 * (PPR-01), admission/transfer/leave/discharge events (ADT-2x..5x), prescriptions and
 * injections (OMP-01/02), lab results (OML-11), diet (OMD) and reports (OMG-11/12/13).
 * Field choices follow docs/CURRENT-STATE.md; where writers differ, the reading is tolerant
 * (XPN type one component early, XTN number in XTN.1, missing times taken from the order).
 */
#include "index_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ex {
    struct cv_hl7_msg *m;
    struct xarena *a;
    const char *file_time; /* the file name's event time, last resort for times */
    bool oom;
};

static const char *keep(struct ex *e, const char *s)
{
    char *d;

    if (!s)
        return NULL;
    d = xa_dup(e->a, s);
    if (!d)
        e->oom = true;
    return d;
}

/* The joined text of `b`, or NULL (and a failed extract) when a piece could not be added. */
static const char *keep_buf(struct ex *e, const struct cv_buf *b)
{
    if (cv_buf_error(b)) {
        e->oom = true;
        return NULL;
    }
    return b->len ? keep(e, cv_buf_str(b)) : NULL;
}

static const char *text(struct ex *e, long seg, int f, int r, int c, int s)
{
    return keep(e, cv_hl7_text(e->m, seg, f, r, c, s));
}

static const char *date_of(struct ex *e, const char *ts)
{
    char buf[16];

    return cv_hl7_ts_date(ts, buf, sizeof(buf)) ? keep(e, buf) : NULL;
}

static const char *minutes_of(struct ex *e, const char *ts)
{
    char buf[24];

    return cv_hl7_ts_minutes(ts, buf, sizeof(buf)) ? keep(e, buf) : NULL;
}

/* A timestamp field (TS: first component, first subcomponent). */
static const char *ts_field(struct ex *e, long seg, int f)
{
    return seg < 0 ? NULL : cv_hl7_text(e->m, seg, f, 1, 1, 1);
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static bool is(const char *s, const char *want)
{
    return s && strcmp(s, want) == 0;
}

/* XPN.8 (name representation), tolerating writers that put it in XPN.7. */
static char name_kind(struct ex *e, long seg, int f, int rep)
{
    const char *t8 = cv_hl7_text(e->m, seg, f, rep, 8, 0);
    const char *t7 = cv_hl7_text(e->m, seg, f, rep, 7, 0);

    if (t8 && (t8[0] == 'I' || t8[0] == 'P' || t8[0] == 'A'))
        return t8[0];
    if (t7 && (is(t7, "I") || is(t7, "P")))
        return t7[0];
    return 0;
}

/* The repetition holding the kanji (want 'I') or kana (want 'P') name; 0 when none. */
static int name_rep(struct ex *e, long seg, int f, char want)
{
    int reps = cv_hl7_rep_count(e->m, seg, f), first_other = 0;

    for (int r = 1; r <= reps && r <= 16; r++) {
        char k = name_kind(e, seg, f, r);

        if (k == want)
            return r;
        if (!first_other && k != 'P')
            first_other = r;
    }
    return want == 'I' ? first_other : 0;
}

static void person_name(struct ex *e, long seg, int f, char want, const char **family,
                        const char **given)
{
    int r = name_rep(e, seg, f, want);

    *family = r ? text(e, seg, f, r, 1, 1) : NULL;
    *given = r ? text(e, seg, f, r, 2, 0) : NULL;
}

/* "family given" (one space), either alone when the other is empty. */
static const char *join_name(struct ex *e, const char *family, const char *given)
{
    struct cv_buf b = CV_BUF_INIT(1 << 16);
    const char *res;

    if (!family || !given)
        return keep(e, family ? family : given);
    cv_buf_printf(&b, "%s %s", family, given);
    res = keep_buf(e, &b);
    cv_buf_free(&b);
    return res;
}

/* XCN doctor: "family given". */
static const char *doctor(struct ex *e, long seg, int f)
{
    if (seg < 0)
        return NULL;
    return join_name(e, cv_hl7_text(e->m, seg, f, 1, 2, 1), cv_hl7_text(e->m, seg, f, 1, 3, 0));
}

/* Phone numbers (XTN.12, else XTN.1) of every repetition of the fields, as a JSON array. */
static const char *phones_json(struct ex *e, long seg, const int *fields, size_t nfields)
{
    struct cv_buf out = CV_BUF_INIT(1 << 16);
    struct cv_json j;
    const char *res;

    cv_json_init(&j, &out, false);
    cv_json_array_begin(&j);
    for (size_t i = 0; i < nfields && seg >= 0; i++) {
        int reps = cv_hl7_rep_count(e->m, seg, fields[i]);

        for (int r = 1; r <= reps && r <= 16; r++) {
            const char *num = cv_hl7_text(e->m, seg, fields[i], r, 12, 0);

            if (!num)
                num = cv_hl7_text(e->m, seg, fields[i], r, 1, 0);
            if (num)
                cv_json_string(&j, num);
        }
    }
    cv_json_array_end(&j);
    res = cv_json_finish(&j) ? NULL : keep(e, cv_buf_str(&out));
    cv_buf_free(&out);
    return res;
}

static double number(const char *s)
{
    char *end;
    double v;

    if (!s)
        return -1;
    v = strtod(s, &end);
    return end != s && *end == '\0' && v >= 0 && v < 1e6 ? v : -1;
}

static const char *rh_sign(struct ex *e, const char *code)
{
    if (!code)
        return NULL;
    if (is(code, "+") || is(code, "P") || is(code, "POS") || strstr(code, "+"))
        return "+";
    if (is(code, "-") || is(code, "N") || is(code, "NEG") || strstr(code, "-"))
        return "-";
    return keep(e, code);
}

static void demo_obx(struct ex *e, long s, struct x_demo *d)
{
    const char *code = cv_hl7_text(e->m, s, 3, 1, 1, 0);

    if (!code)
        return;
    if (is(code, "5H010000009199911"))
        d->blood_type = text(e, s, 5, 1, 1, 0);
    else if (is(code, "5H020000009199911"))
        d->rh = rh_sign(e, cv_hl7_text(e->m, s, 5, 1, 1, 0));
    else if (strncmp(code, "9N001", 5) == 0)
        d->height_cm = number(cv_hl7_text(e->m, s, 5, 1, 0, 0));
    else if (strncmp(code, "9N006", 5) == 0)
        d->weight_kg = number(cv_hl7_text(e->m, s, 5, 1, 0, 0));
}

static void al1_row(struct ex *e, long s, struct x_rows *rows)
{
    struct x_allergy *al = xa_push(e->a, (void **)&rows->allergies, &rows->n_allergies,
                                   &rows->cap_allergies, sizeof(*al));

    if (!al) {
        e->oom = true;
        return;
    }
    al->source = "AL1";
    al->type = text(e, s, 2, 1, 1, 0);
    al->code = text(e, s, 3, 1, 1, 0);
    al->allergen = text(e, s, 3, 1, 2, 0);
    if (!al->allergen)
        al->allergen = al->code;
    al->severity = text(e, s, 4, 1, 1, 0);
    al->reaction = text(e, s, 5, 1, 0, 0);
    al->onset = date_of(e, ts_field(e, s, 6));
    al->action = "A";
}

static void nk1_row(struct ex *e, long s, struct x_rows *rows)
{
    static const int phone_fields[] = {5, 6};
    struct x_contact *c =
        xa_push(e->a, (void **)&rows->contacts, &rows->n_contacts, &rows->cap_contacts, sizeof(*c));
    const char *family, *given;

    if (!c) {
        e->oom = true;
        return;
    }
    person_name(e, s, 2, 'I', &family, &given);
    c->name = join_name(e, family, given);
    c->relationship = text(e, s, 3, 1, 2, 0);
    if (!c->relationship)
        c->relationship = text(e, s, 3, 1, 1, 0);
    c->phones = phones_json(e, s, phone_fields, 2);
}

static void extract_demographics(struct ex *e, struct x_rows *rows)
{
    static const int phone_fields[] = {13, 14};
    long pid = cv_hl7_find(e->m, "PID", 0);
    struct x_demo *d = xa_alloc(e->a, sizeof(*d));

    if (!d || pid < 0) {
        e->oom |= !d;
        return;
    }
    rows->demo = d;
    d->height_cm = d->weight_kg = -1;
    person_name(e, pid, 5, 'I', &d->family, &d->given);
    person_name(e, pid, 5, 'P', &d->kana_family, &d->kana_given);
    d->birth_date = date_of(e, ts_field(e, pid, 7));
    d->sex = text(e, pid, 8, 1, 1, 0);
    d->postcode = text(e, pid, 11, 1, 5, 0);
    d->address = text(e, pid, 11, 1, 8, 0);
    if (!d->address)
        d->address = text(e, pid, 11, 1, 1, 0);
    d->phones = phones_json(e, pid, phone_fields, 2);
    d->updated = minutes_of(e, ts_field(e, pid, 33));
    for (size_t s = (size_t)pid + 1; s < cv_hl7_segment_count(e->m); s++) {
        const char *id = cv_hl7_segment_id(e->m, s);

        if (strcmp(id, "OBX") == 0)
            demo_obx(e, (long)s, d);
        else if (strcmp(id, "AL1") == 0)
            al1_row(e, (long)s, rows);
        else if (strcmp(id, "NK1") == 0)
            nk1_row(e, (long)s, rows);
    }
}

static void extract_iam(struct ex *e, struct x_rows *rows)
{
    for (long s = cv_hl7_find(e->m, "IAM", 0); s >= 0; s = cv_hl7_find(e->m, "IAM", s + 1)) {
        struct x_allergy *al = xa_push(e->a, (void **)&rows->allergies, &rows->n_allergies,
                                       &rows->cap_allergies, sizeof(*al));

        if (!al) {
            e->oom = true;
            return;
        }
        al->source = "IAM";
        al->type = text(e, s, 2, 1, 1, 0);
        al->code = text(e, s, 3, 1, 1, 0);
        al->allergen = text(e, s, 3, 1, 2, 0);
        if (!al->allergen)
            al->allergen = al->code;
        al->severity = text(e, s, 4, 1, 1, 0);
        al->reaction = text(e, s, 5, 1, 0, 0);
        al->action = text(e, s, 6, 1, 1, 0);
        al->onset = date_of(e, ts_field(e, s, 11));
    }
}

static void extract_diagnoses(struct ex *e, struct x_rows *rows)
{
    for (long s = cv_hl7_find(e->m, "PRB", 0); s >= 0; s = cv_hl7_find(e->m, "PRB", s + 1)) {
        struct x_diag *d =
            xa_push(e->a, (void **)&rows->diags, &rows->n_diags, &rows->cap_diags, sizeof(*d));

        if (!d) {
            e->oom = true;
            return;
        }
        d->action = text(e, s, 1, 1, 1, 0);
        d->code = text(e, s, 3, 1, 1, 0);
        d->name = text(e, s, 3, 1, 2, 0);
        d->icd10 = text(e, s, 10, 1, 1, 0);
        d->resolved = date_of(e, ts_field(e, s, 9));
        d->outcome = text(e, s, 14, 1, 1, 0);
        d->onset = date_of(e, ts_field(e, s, 16));
        d->main = is(cv_hl7_text(e->m, s, 18, 1, 1, 0), "1");
    }
}

static const char *adt_kind(const char *type)
{
    static const char *const kinds[][2] = {
        {"ADT-22", "admit"},
        {"ADT-42", "transfer"},
        {"ADT-31", "leave"},
        {"ADT-32", "return"},
        {"ADT-52", "discharge"},
        {"ADT-21", "planned_admit"},
        {"ADT-41", "planned_transfer"},
        {"ADT-51", "planned_discharge"},
        {"ADT-12", "outpatient"},
        {"ADT-01", "attending"},
    };

    for (size_t i = 0; i < CV_ARRAY_LEN(kinds); i++)
        if (strcmp(kinds[i][0], type) == 0)
            return kinds[i][1];
    return NULL;
}

static void extract_adt(struct ex *e, const struct cv_ssmix2_type *type, struct x_rows *rows)
{
    long evn = cv_hl7_find(e->m, "EVN", 0), pv1 = cv_hl7_find(e->m, "PV1", 0);
    const char *kind = adt_kind(type->code), *event, *when;
    struct x_adt *x;
    char ev[16];

    if (!kind || !(x = xa_alloc(e->a, sizeof(*x)))) {
        e->oom |= kind != NULL;
        return;
    }
    rows->adt = x;
    x->kind = kind;
    event = cv_hl7_text(e->m, 0, 9, 1, 1, 0);
    snprintf(ev, sizeof(ev), "%s^%s", or_empty(event), or_empty(cv_hl7_text(e->m, 0, 9, 1, 2, 0)));
    x->event = keep(e, ev);
    x->cancel = cv_ssmix2_type_is_cancel(type, ev);
    x->patient_class = pv1 >= 0 ? text(e, pv1, 2, 1, 1, 0) : NULL;
    if (pv1 >= 0) {
        x->ward = text(e, pv1, 3, 1, 1, 0);
        x->room = text(e, pv1, 3, 1, 2, 0);
        x->bed = text(e, pv1, 3, 1, 3, 0);
        x->prior_ward = text(e, pv1, 6, 1, 1, 0);
        x->prior_room = text(e, pv1, 6, 1, 2, 0);
        x->prior_bed = text(e, pv1, 6, 1, 3, 0);
        x->admitted = minutes_of(e, ts_field(e, pv1, 44));
        x->discharged = minutes_of(e, ts_field(e, pv1, 45));
        x->attending = doctor(e, pv1, 7); /* PV1-7 attending; PV1-8 is the referring doctor */
    }
    when = evn >= 0 ? ts_field(e, evn, 6) : NULL;
    x->clinical_time = minutes_of(e, when);
    if (!x->clinical_time)
        x->clinical_time =
            strcmp(kind, "discharge") == 0 && x->discharged ? x->discharged : x->admitted;
    if (!x->clinical_time && strcmp(kind, "discharge") != 0)
        x->clinical_time = x->discharged;
    if (!x->clinical_time)
        x->clinical_time = minutes_of(e, e->file_time);
}

/* TQ1-3 usage text: the RPT's first component is a CWE written with subcomponents. */
static const char *usage_text(struct ex *e, long tq1)
{
    const char *u = cv_hl7_text(e->m, tq1, 3, 1, 1, 2);

    if (!u)
        u = cv_hl7_text(e->m, tq1, 3, 1, 2, 0);
    return keep(e, u);
}

/* TQ1-6 service duration "5^d" as days, -1 when not in days or weeks. */
static int duration_days(struct ex *e, long tq1)
{
    const char *q = cv_hl7_text(e->m, tq1, 6, 1, 1, 0), *unit;
    char *end;
    long v;

    if (!q)
        return -1;
    v = strtol(q, &end, 10);
    if (end == q || *end || v < 0 || v > 36500)
        return -1;
    unit = cv_hl7_text(e->m, tq1, 6, 1, 2, 1);
    if (!unit || is(unit, "d") || is(unit, "D") || is(unit, "日"))
        return (int)v;
    if (is(unit, "wk") || is(unit, "W") || is(unit, "週"))
        return (int)(v * 7);
    return -1;
}

static const char *add_days(struct ex *e, const char *date, int days)
{
    long d;
    int y, mo, da;
    char buf[16];

    if (!date || cv_parse_date(date, &d))
        return NULL;
    cv_days_to_ymd(d + days, &y, &mo, &da);
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, mo, da);
    return keep(e, buf);
}

/* RXC components of an injection, " + "-joined, from segment `s` up to the next RXE/ORC. */
static const char *components(struct ex *e, long s)
{
    struct cv_buf b = CV_BUF_INIT(1 << 16);
    const char *res;
    size_t nseg = cv_hl7_segment_count(e->m);

    for (size_t i = (size_t)s + 1; i < nseg; i++) {
        const char *id = cv_hl7_segment_id(e->m, i);
        const char *drug;

        if (strcmp(id, "RXE") == 0 || strcmp(id, "ORC") == 0)
            break;
        if (strcmp(id, "RXC") != 0 || !(drug = cv_hl7_text(e->m, (long)i, 2, 1, 2, 0)))
            continue;
        if (b.len)
            cv_buf_puts(&b, " + ");
        cv_buf_puts(&b, drug);
    }
    res = keep_buf(e, &b);
    cv_buf_free(&b);
    return res;
}

/* One medication from the RXE at `s` and the TQ1/RXR after it. */
static void med_row(struct ex *e, long s, long orc, bool injection, struct x_rows *rows)
{
    struct x_med *x =
        xa_push(e->a, (void **)&rows->meds, &rows->n_meds, &rows->cap_meds, sizeof(*x));
    long tq1 = -1, rxr = -1;

    if (!x) {
        e->oom = true;
        return;
    }
    for (size_t i = (size_t)s + 1; i < cv_hl7_segment_count(e->m); i++) {
        const char *id = cv_hl7_segment_id(e->m, i);

        if (strcmp(id, "RXE") == 0 || strcmp(id, "ORC") == 0)
            break;
        if (strcmp(id, "TQ1") == 0 && tq1 < 0)
            tq1 = (long)i;
        if (strcmp(id, "RXR") == 0 && rxr < 0)
            rxr = (long)i;
    }
    x->kind = injection ? "injection" : "prescription";
    x->order_no = orc >= 0 ? text(e, orc, 2, 1, 1, 0) : NULL;
    x->drug_code = text(e, s, 2, 1, 1, 0);
    x->drug = text(e, s, 2, 1, 2, 0);
    x->dose = text(e, s, 3, 1, 0, 0);
    x->unit = text(e, s, 5, 1, 2, 0);
    if (!x->unit)
        x->unit = text(e, s, 5, 1, 1, 0);
    x->route = rxr >= 0 ? text(e, rxr, 1, 1, 2, 0) : NULL;
    x->components = injection ? components(e, s) : NULL;
    x->days = -1;
    if (tq1 >= 0) {
        x->usage = usage_text(e, tq1);
        x->days = duration_days(e, tq1);
        x->start = date_of(e, ts_field(e, tq1, 7));
        x->end = date_of(e, ts_field(e, tq1, 8));
    }
    if (!x->start && orc >= 0)
        x->start = date_of(e, ts_field(e, orc, 9));
    if (!injection)
        x->end = x->days > 0 ? add_days(e, x->start, x->days - 1) : x->start;
    else if (!x->end)
        x->end = x->start;
}

static void extract_meds(struct ex *e, bool injection, struct x_rows *rows)
{
    long orc = -1;

    for (size_t i = 0; i < cv_hl7_segment_count(e->m); i++) {
        const char *id = cv_hl7_segment_id(e->m, i);

        if (strcmp(id, "ORC") == 0)
            orc = (long)i;
        else if (strcmp(id, "RXE") == 0)
            med_row(e, (long)i, orc, injection, rows);
    }
}

/* OBX-5 as written: a coded value's text, a structured numeric joined, else the field. */
static const char *obx_value(struct ex *e, long s, const char *vtype)
{
    if (vtype && (is(vtype, "CWE") || is(vtype, "CE") || is(vtype, "CNE"))) {
        const char *t = cv_hl7_text(e->m, s, 5, 1, 2, 0);

        return keep(e, t ? t : cv_hl7_text(e->m, s, 5, 1, 1, 0));
    }
    if (vtype && is(vtype, "SN")) {
        struct cv_buf b = CV_BUF_INIT(1 << 16);
        const char *res;

        for (int c = 1; c <= 4; c++)
            cv_buf_puts(&b, or_empty(cv_hl7_text(e->m, s, 5, 1, c, 0)));
        res = keep_buf(e, &b);
        cv_buf_free(&b);
        return res;
    }
    return text(e, s, 5, 1, 0, 0);
}

static void extract_labs(struct ex *e, struct x_rows *rows)
{
    long obr = -1, spm = -1;

    for (size_t i = 0; i < cv_hl7_segment_count(e->m); i++) {
        const char *id = cv_hl7_segment_id(e->m, i);
        struct x_lab *x;
        const char *vtype, *flag, *when;
        long s = (long)i;

        if (strcmp(id, "OBR") == 0)
            obr = s;
        if (strcmp(id, "SPM") == 0)
            spm = s;
        if (strcmp(id, "OBX") != 0 || !cv_hl7_text(e->m, s, 3, 1, 1, 0))
            continue;
        x = xa_push(e->a, (void **)&rows->labs, &rows->n_labs, &rows->cap_labs, sizeof(*x));
        if (!x) {
            e->oom = true;
            return;
        }
        vtype = cv_hl7_text(e->m, s, 2, 1, 1, 0);
        x->code = text(e, s, 3, 1, 1, 0);
        x->name = text(e, s, 3, 1, 2, 0);
        x->value = obx_value(e, s, vtype);
        x->unit = text(e, s, 6, 1, 1, 0);
        x->range = text(e, s, 7, 1, 0, 0);
        flag = cv_hl7_text(e->m, s, 8, 1, 1, 0);
        x->flag = flag && !is(flag, "N") ? keep(e, flag) : NULL;
        x->status = text(e, s, 11, 1, 1, 0);
        when = ts_field(e, s, 14);
        if (!when && spm >= 0)
            when = ts_field(e, spm, 17);
        if (!when && obr >= 0)
            when = ts_field(e, obr, 7);
        x->time = minutes_of(e, when ? when : e->file_time);
    }
}

static void extract_diet(struct ex *e, struct x_rows *rows)
{
    const char *start = NULL;

    for (size_t i = 0; i < cv_hl7_segment_count(e->m); i++) {
        const char *id = cv_hl7_segment_id(e->m, i);
        struct x_diet *x;
        long s = (long)i;

        if (strcmp(id, "TQ1") == 0)
            start = date_of(e, ts_field(e, s, 7));
        if (strcmp(id, "ODS") != 0)
            continue;
        x = xa_push(e->a, (void **)&rows->diets, &rows->n_diets, &rows->cap_diets, sizeof(*x));
        if (!x) {
            e->oom = true;
            return;
        }
        x->text = text(e, s, 4, 1, 0, 0);
        if (!x->text)
            x->text = text(e, s, 3, 1, 2, 0);
        x->start = start;
    }
}

/* The repetitions of a text field, one per line (walked once: fields may be long). */
static const char *lines(struct ex *e, long s, int f)
{
    struct cv_buf b = CV_BUF_INIT(1 << 24);
    struct cv_hl7_span rest, rep;
    const char *res;

    if (!cv_hl7_raw(e->m, s, f, 0, 0, 0, &rest))
        return NULL;
    while (cv_hl7_span_next(e->m, &rest, cv_hl7_delimiters(e->m)[2], &rep)) {
        const char *t = cv_hl7_span_text(e->m, rep);

        if (b.len)
            cv_buf_putc(&b, '\n');
        if (t)
            cv_buf_puts(&b, t);
    }
    res = keep_buf(e, &b);
    cv_buf_free(&b);
    return res;
}

static void extract_reports(struct ex *e, const char *kind, struct x_rows *rows)
{
    long obr = -1;

    for (size_t i = 0; i < cv_hl7_segment_count(e->m); i++) {
        const char *id = cv_hl7_segment_id(e->m, i), *vtype, *when;
        struct x_report *x;
        long s = (long)i;

        if (strcmp(id, "OBR") == 0)
            obr = s;
        if (strcmp(id, "OBX") != 0)
            continue;
        vtype = cv_hl7_text(e->m, s, 2, 1, 1, 0);
        if (!is(vtype, "TX") && !is(vtype, "FT"))
            continue;
        x = xa_push(e->a, (void **)&rows->reports, &rows->n_reports, &rows->cap_reports,
                    sizeof(*x));
        if (!x) {
            e->oom = true;
            return;
        }
        x->kind = kind;
        x->text = lines(e, s, 5);
        when = ts_field(e, s, 14);
        if (!when && obr >= 0)
            when = ts_field(e, obr, 7);
        x->time = minutes_of(e, when ? when : e->file_time);
    }
}

/* Lab, radiology, endoscopy and physiology orders: one row per OBR (what was asked, when). */
static void extract_orders(struct ex *e, const char *kind, struct x_rows *rows)
{
    long orc = -1;

    for (size_t i = 0; i < cv_hl7_segment_count(e->m); i++) {
        const char *id = cv_hl7_segment_id(e->m, i), *when;
        struct x_order *x;
        long s = (long)i;

        if (strcmp(id, "ORC") == 0)
            orc = s;
        if (strcmp(id, "OBR") != 0)
            continue;
        x = xa_push(e->a, (void **)&rows->orders, &rows->n_orders, &rows->cap_orders, sizeof(*x));
        if (!x) {
            e->oom = true;
            return;
        }
        x->kind = kind;
        x->order_no = text(e, s, 2, 1, 1, 0);
        x->control = orc >= 0 ? text(e, orc, 1, 1, 1, 0) : NULL;
        x->code = text(e, s, 4, 1, 1, 0);
        x->name = text(e, s, 4, 1, 2, 0);
        when = orc >= 0 ? ts_field(e, orc, 9) : NULL;
        if (!when)
            when = ts_field(e, s, 7);
        x->time = minutes_of(e, when ? when : e->file_time);
    }
}

enum cv_err index_extract(struct cv_hl7_msg *m, const struct cv_ssmix2_type *type,
                          const char *file_event_time, struct xarena *a, struct x_rows *rows)
{
    struct ex e = {.m = m, .a = a, .file_time = file_event_time};
    const char *code = type->code;

    memset(rows, 0, sizeof(*rows));
    if (strcmp(code, "ADT-00") == 0)
        extract_demographics(&e, rows);
    else if (strcmp(code, "ADT-61") == 0)
        extract_iam(&e, rows);
    else if (strcmp(code, "PPR-01") == 0)
        extract_diagnoses(&e, rows);
    else if (strncmp(code, "ADT-", 4) == 0)
        extract_adt(&e, type, rows);
    else if (strcmp(code, "OMP-01") == 0 || strcmp(code, "OMP-02") == 0)
        extract_meds(&e, code[5] == '2', rows);
    else if (strcmp(code, "OML-11") == 0)
        extract_labs(&e, rows);
    else if (strcmp(code, "OMD") == 0)
        extract_diet(&e, rows);
    else if (strcmp(code, "OMG-11") == 0)
        extract_reports(&e, "radiology", rows);
    else if (strcmp(code, "OMG-12") == 0)
        extract_reports(&e, "endoscopy", rows);
    else if (strcmp(code, "OMG-13") == 0)
        extract_reports(&e, "physiology", rows);
    else if (strcmp(code, "OML-01") == 0)
        extract_orders(&e, "lab", rows);
    else if (strcmp(code, "OMG-01") == 0)
        extract_orders(&e, "radiology", rows);
    else if (strcmp(code, "OMG-02") == 0)
        extract_orders(&e, "endoscopy", rows);
    else if (strcmp(code, "OMG-03") == 0)
        extract_orders(&e, "physiology", rows);
    if (e.oom || cv_hl7_oom(m))
        return cv_fail(CV_ENOMEM, "out of memory extracting a message");
    return CV_OK;
}
