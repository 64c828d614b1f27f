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

/* A time to the minute, only when the timestamp holds one (more than a date). */
static const char *time_of(struct ex *e, const char *ts)
{
    size_t digits = ts ? strspn(ts, "0123456789") : 0;

    return digits > 8 ? minutes_of(e, ts) : NULL;
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

/* A coded value folded for matching: full-width ASCII and the minus signs narrowed, ASCII
 * letters upper-cased, spaces (ASCII and U+3000) dropped. Other characters stay. */
static void fold(const char *s, char *out, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t k = 0;

    while (*p && k + 4 < n) {
        unsigned cp = 0;
        int len = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;

        if (len == 3 && p[1] && p[2])
            cp = (unsigned)(p[0] & 0x0F) << 12 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
        if (cp >= 0xFF01 && cp <= 0xFF5E) { /* full-width ASCII */
            out[k++] = (char)(cp - 0xFEE0);
        } else if (cp == 0x2212 || (cp >= 0x2010 && cp <= 0x2015)) { /* minus, dashes */
            out[k++] = '-';
        } else if (cp == 0x3000 || *p == ' ') {
            ;
        } else {
            for (int i = 0; i < len && p[i]; i++)
                out[k++] = (char)p[i];
        }
        for (int i = 0; i < len && *p; i++)
            p++;
    }
    out[k] = '\0';
    for (size_t i = 0; i < k; i++)
        if (out[i] >= 'a' && out[i] <= 'z')
            out[i] = (char)(out[i] - 'a' + 'A');
}

static bool strip_prefix(char *s, const char *prefix)
{
    size_t n = strlen(prefix);

    if (strncmp(s, prefix, n) != 0)
        return false;
    memmove(s, s + n, strlen(s + n) + 1);
    return true;
}

static bool strip_suffix(char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    if (n < k || strcmp(s + n - k, suffix) != 0)
        return false;
    s[n - k] = '\0';
    return true;
}

static void drop_chars(char *s, const char *chars)
{
    char *w = s;

    for (; *s; s++)
        if (!strchr(chars, *s))
            *w++ = *s;
    *w = '\0';
}

const char *index_abo(const char *value)
{
    static const char *const types[] = {"A", "B", "O", "AB"};
    char v[64];

    if (!value)
        return NULL;
    fold(value, v, sizeof(v));
    drop_chars(v, "()");
    strip_prefix(v, "ABO");
    strip_prefix(v, "\xE5\xBC\x8F"); /* 式 */
    strip_suffix(v, "\xE5\x9E\x8B"); /* 型 */
    if (strcmp(v, "0") == 0)         /* O written as a zero */
        return "O";
    for (size_t i = 0; i < CV_ARRAY_LEN(types); i++)
        if (strcmp(v, types[i]) == 0)
            return types[i];
    return NULL;
}

const char *index_rh(const char *value)
{
    static const char *const pos[] = {
        "+", "POS", "POSITIVE", "P", "\xE9\x99\xBD\xE6\x80\xA7", "\xE9\x99\xBD"}; /* 陽性, 陽 */
    static const char *const neg[] = {
        "-", "NEG", "NEGATIVE", "N", "\xE9\x99\xB0\xE6\x80\xA7", "\xE9\x99\xB0"}; /* 陰性, 陰 */
    char v[64];

    if (!value)
        return NULL;
    fold(value, v, sizeof(v));
    drop_chars(v, "()");
    if (!strip_prefix(v, "RHD"))
        strip_prefix(v, "RH");
    strip_prefix(v, "\xE5\xBC\x8F"); /* 式 */
    if (strcmp(v, "D+") == 0 || strcmp(v, "D-") == 0)
        memmove(v, v + 1, 2);
    strip_suffix(v, "\xE5\x9E\x8B"); /* 型 */
    for (size_t i = 0; i < CV_ARRAY_LEN(pos); i++) {
        if (strcmp(v, pos[i]) == 0)
            return "+";
        if (strcmp(v, neg[i]) == 0)
            return "-";
    }
    return NULL;
}

/* OBX-5 of a coded or plain value: the code if it is one we know, else the text, else the
 * value as written (an unknown blood type is shown as written, never dropped). */
static const char *typed_value(struct ex *e, long s, const char *(*known)(const char *))
{
    const char *code = cv_hl7_text(e->m, s, 5, 1, 1, 0), *txt = cv_hl7_text(e->m, s, 5, 1, 2, 0);
    const char *k = known(code);

    if (!k)
        k = known(txt);
    if (!k)
        k = known(cv_hl7_text(e->m, s, 5, 1, 0, 0));
    if (k)
        return k;
    if (txt)
        return keep(e, txt);
    return text(e, s, 5, 1, 0, 0);
}

/* Blood type from every JLAC10 code of the 5H010 (ABO) and 5H020 (Rh(D)) families: the
 * construction guideline's 5H010000001999911, the public samples' 5H010000009199911, and
 * other materials, methods and result codes alike. */
static void demo_obx(struct ex *e, long s, struct x_demo *d)
{
    const char *code = cv_hl7_text(e->m, s, 3, 1, 1, 0);

    if (!code)
        return;
    if (strncmp(code, "5H010", 5) == 0) {
        if (!d->blood_type)
            d->blood_type = typed_value(e, s, index_abo);
    } else if (strncmp(code, "5H020", 5) == 0) {
        if (!d->rh)
            d->rh = typed_value(e, s, index_rh);
    } else if (strncmp(code, "9N001", 5) == 0) {
        d->height_cm = number(cv_hl7_text(e->m, s, 5, 1, 0, 0));
    } else if (strncmp(code, "9N006", 5) == 0) {
        d->weight_kg = number(cv_hl7_text(e->m, s, 5, 1, 0, 0));
    }
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
        d->start = date_of(e, ts_field(e, s, 7));
        d->resolved = date_of(e, ts_field(e, s, 9));
        d->confirmation = text(e, s, 13, 1, 1, 0);
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

/* The RXC components of an injection, from segment `s` up to the next RXE/ORC: base
 * (RXC-1 "B") first, then the additives and anything else in message order. */
static void components(struct ex *e, long s, struct x_med *x)
{
    size_t nseg = cv_hl7_segment_count(e->m), cap = 0;

    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = (size_t)s + 1; i < nseg; i++) {
            const char *id = cv_hl7_segment_id(e->m, i);
            struct x_component *c;
            long r = (long)i;
            bool base;

            if (strcmp(id, "RXE") == 0 || strcmp(id, "ORC") == 0)
                break;
            if (strcmp(id, "RXC") != 0)
                continue;
            base = is(cv_hl7_text(e->m, r, 1, 1, 1, 0), "B");
            if (base != (pass == 0))
                continue;
            c = xa_push(e->a, (void **)&x->components, &x->ncomponents, &cap, sizeof(*c));
            if (!c) {
                e->oom = true;
                return;
            }
            c->type = text(e, r, 1, 1, 1, 0);
            c->code = text(e, r, 2, 1, 1, 0);
            c->name = text(e, r, 2, 1, 2, 0);
            c->amount = text(e, r, 3, 1, 0, 0);
            c->unit = text(e, r, 4, 1, 2, 0);
            if (!c->unit)
                c->unit = text(e, r, 4, 1, 1, 0);
        }
    }
}

/* "name + name", base first: what an injection gives, for lists that show one line. */
static const char *component_names(struct ex *e, const struct x_med *x)
{
    struct cv_buf b = CV_BUF_INIT(1 << 16);
    const char *res;

    for (size_t i = 0; i < x->ncomponents; i++) {
        const struct x_component *c = &x->components[i];

        if (b.len)
            cv_buf_puts(&b, " + ");
        cv_buf_puts(&b, c->name ? c->name : c->code ? c->code : "?");
    }
    res = keep_buf(e, &b);
    cv_buf_free(&b);
    return res;
}

/* RXE-23 rate with its RXE-24 unit ("102 ml/hr"), as written. */
static const char *rate_of(struct ex *e, long s)
{
    const char *amount = cv_hl7_text(e->m, s, 23, 1, 0, 0), *unit;
    char buf[256];

    if (!amount)
        return NULL;
    unit = cv_hl7_text(e->m, s, 24, 1, 1, 0);
    if (!unit)
        unit = cv_hl7_text(e->m, s, 24, 1, 2, 0);
    snprintf(buf, sizeof(buf), "%s%s%s", amount, unit ? " " : "", unit ? unit : "");
    return keep(e, buf);
}

/* A CWE's text, else its code. */
static const char *cwe_text(struct ex *e, long s, int f)
{
    const char *t = cv_hl7_text(e->m, s, f, 1, 2, 0);

    return keep(e, t ? t : cv_hl7_text(e->m, s, f, 1, 1, 0));
}

/* One medication from the RXE at `s` and the TQ1/RXR/RXC after it. An injection's drugs are
 * its RXC components (RXE-2 then names the kind of order, JHSI0002 "一般"); without RXC the
 * drug is RXE-2, as for prescriptions. */
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
    if (injection)
        components(e, s, x);
    if (x->ncomponents) {
        x->order_type = x->drug ? x->drug : x->drug_code;
        x->drug_code = NULL;
        x->drug = component_names(e, x);
    }
    x->dose = text(e, s, 3, 1, 0, 0);
    x->unit = text(e, s, 5, 1, 2, 0);
    if (!x->unit)
        x->unit = text(e, s, 5, 1, 1, 0);
    x->instructions = cwe_text(e, s, 7);
    x->rate = rate_of(e, s);
    x->route = rxr >= 0 ? cwe_text(e, rxr, 1) : NULL;
    x->days = -1;
    if (tq1 >= 0) {
        x->usage = usage_text(e, tq1);
        x->days = duration_days(e, tq1);
        x->start = date_of(e, ts_field(e, tq1, 7));
        x->end = date_of(e, ts_field(e, tq1, 8));
        if (injection) { /* a drip's hours matter; a prescription's days do */
            x->start_time = time_of(e, ts_field(e, tq1, 7));
            x->end_time = time_of(e, ts_field(e, tq1, 8));
        }
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

/* Whether an OBX-4 is nested ("1.1", "1-2", "1_3": a susceptibility under organism 1). */
static bool nested_sub_id(const char *sub)
{
    size_t head = strcspn(sub, ".-_");

    return head > 0 && sub[head] && sub[head + 1];
}

static bool same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The results of one OBR keep their OBX-4 only when it groups them: a nested sub-ID (a
 * susceptibility under its organism) or a test code repeated under different sub-IDs (two
 * organisms of one culture). Otherwise OBX-4 says nothing (some writers number every OBX)
 * and they stay plain results, newest per test. In a grouped OBR, a result without OBX-4
 * belongs to the report as a whole (sub-ID ""). Repeats are looked for among the first
 * 1000 results only, so that a hostile message cannot make this quadratic. */
static void settle_groups(struct x_rows *rows, size_t from)
{
    struct x_lab *l = rows->labs;
    size_t n = rows->n_labs;
    bool grouped = false;

    for (size_t i = from; i < n && !grouped; i++) {
        if (l[i].sub_id && nested_sub_id(l[i].sub_id))
            grouped = true;
        for (size_t k = from; k < i && i - from < 1000 && !grouped; k++)
            grouped = same_str(l[k].code, l[i].code) && !same_str(l[k].sub_id, l[i].sub_id);
    }
    for (size_t i = from; i < n; i++) {
        if (grouped && !l[i].sub_id) /* a result of the whole report (a comment): kept with it */
            l[i].sub_id = "";
        if (grouped)
            continue;
        /* a plain result needs none of it: the index stays the size it was */
        l[i].sub_id = l[i].test_code = l[i].test_name = l[i].specimen = NULL;
        l[i].obr = 0;
    }
}

static void extract_labs(struct ex *e, struct x_rows *rows)
{
    long obr = -1, spm = -1;
    size_t group_from = 0;
    int nobr = 0;

    for (size_t i = 0; i < cv_hl7_segment_count(e->m); i++) {
        const char *id = cv_hl7_segment_id(e->m, i);
        struct x_lab *x;
        const char *vtype, *flag, *when;
        long s = (long)i;

        if (strcmp(id, "OBR") == 0) {
            settle_groups(rows, group_from);
            group_from = rows->n_labs;
            obr = s;
            nobr++;
        }
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
        x->sub_id = text(e, s, 4, 1, 0, 0);
        x->obr = nobr;
        if (obr >= 0) {
            x->test_code = text(e, obr, 4, 1, 1, 0);
            x->test_name = text(e, obr, 4, 1, 2, 0);
        }
        if (spm >= 0) {
            x->specimen = text(e, spm, 4, 1, 2, 0);
            if (!x->specimen)
                x->specimen = text(e, spm, 4, 1, 1, 0);
        }
        when = ts_field(e, s, 14);
        if (!when && spm >= 0)
            when = ts_field(e, spm, 17);
        if (!when && obr >= 0)
            when = ts_field(e, obr, 7);
        x->time = minutes_of(e, when ? when : e->file_time);
    }
    settle_groups(rows, group_from);
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

/* Most files of a patient carry the same PID bytes: the last decoding is kept per thread
 * (keyed on the delimiters, MSH-18 and the raw PID-5, 7 and 8), so that reading who every
 * message names costs a memcmp, not four charset conversions. */
struct pid_memo {
    char key[1024];
    size_t keylen;
    bool valid;
    char v[6][256];
    bool has[6];
};
static _Thread_local struct pid_memo memo;

static size_t pid_key(struct cv_hl7_msg *m, long pid, char *key, size_t cap)
{
    const struct {
        long seg;
        int field;
    } parts[] = {{0, 18}, {pid, 5}, {pid, 7}, {pid, 8}};
    const char *delims = cv_hl7_delimiters(m);
    size_t n = strlen(delims);

    if (n + 1 > cap)
        return 0;
    memcpy(key, delims, n);
    for (size_t i = 0; i < CV_ARRAY_LEN(parts); i++) {
        struct cv_hl7_span sp = {0};

        cv_hl7_raw(m, parts[i].seg, parts[i].field, 0, 0, 0, &sp);
        if (n + sp.n + 1 > cap)
            return 0;
        key[n++] = '\x1f';
        if (sp.n) /* an absent field has no bytes (and no pointer) */
            memcpy(key + n, sp.p, sp.n);
        n += sp.n;
    }
    return n;
}

bool index_extract_pid(struct cv_hl7_msg *m, struct xarena *a, struct x_demo *out, bool *oom)
{
    struct ex e = {.m = m, .a = a};
    long pid = cv_hl7_find(m, "PID", 0);
    const char **v[6] = {&out->family,     &out->given,      &out->kana_family,
                         &out->kana_given, &out->birth_date, &out->sex};
    char key[sizeof(memo.key)];
    size_t keylen;

    memset(out, 0, sizeof(*out));
    out->height_cm = out->weight_kg = -1;
    if (pid < 0)
        return false;
    keylen = pid_key(m, pid, key, sizeof(key));
    if (keylen && memo.valid && memo.keylen == keylen && memcmp(memo.key, key, keylen) == 0) {
        for (int i = 0; i < 6; i++)
            *v[i] = memo.has[i] ? keep(&e, memo.v[i]) : NULL;
        *oom |= e.oom;
        return true;
    }
    person_name(&e, pid, 5, 'I', &out->family, &out->given);
    person_name(&e, pid, 5, 'P', &out->kana_family, &out->kana_given);
    out->birth_date = date_of(&e, ts_field(&e, pid, 7));
    out->sex = text(&e, pid, 8, 1, 1, 0);
    *oom |= e.oom;
    memo.valid = keylen > 0;
    for (int i = 0; i < 6 && memo.valid; i++) {
        memo.has[i] = *v[i] != NULL;
        memo.valid = !*v[i] || cv_strlcpy(memo.v[i], *v[i], sizeof(memo.v[i])) < sizeof(memo.v[i]);
    }
    if (memo.valid) {
        memcpy(memo.key, key, keylen);
        memo.keylen = keylen;
    }
    return true;
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
    if (strcmp(code, "ADT-00") != 0) {
        rows->pid = xa_alloc(a, sizeof(*rows->pid));
        if (!rows->pid)
            e.oom = true;
        else if (!index_extract_pid(m, a, rows->pid, &e.oom))
            rows->pid = NULL;
    }
    if (e.oom || cv_hl7_oom(m))
        return cv_fail(CV_ENOMEM, "out of memory extracting a message");
    return CV_OK;
}
