/*
 * manifest.c: the ground truth, as of the end date, that the index and `query patient`
 * are tested against. Every value is derived from the files as written, by the rules of
 * docs/CURRENT-STATE.md (only _1 files count; the newest ADT-00; AL1 then IAM A/U/D in
 * event order; the newest PPR-01; movements by clinical time; ...), not from what the
 * generator meant, so a disagreement points at a real bug on one side. Patients are
 * streamed to a side file as they are generated and joined under the header (which needs
 * the final file count) at the end; the manifest appears atomically, only on success.
 */
#include "synth_internal.h"
#include "msg.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#define RECENT_DAYS 30  /* as `query patient`'s default */
#define MAX_MEDS    256 /* order lines of one patient current or recently ended */

/* One order line as the manifest lists it. */
struct medrow {
    bool injection;
    int32_t start, end;
    int64_t t0, t1; /* an injection's TQ1-7/8 to the minute */
    const struct injection *ij;
    const char *drug, *unit, *usage, *route;
    char dose[16];
    int days; /* -1: none */
};

struct manifest {
    char path[PATH_MAX], side[PATH_MAX + 32], tmp[PATH_MAX + 32];
    FILE *f;
    struct cv_buf buf;
    size_t count;
    struct medrow *meds; /* 4 x MAX_MEDS: all, current, recent, upcoming */
    char (*drugs)[160];  /* an injection's drugs joined, per row */
};

enum cv_err sy_manifest_open(struct synth *s, const char *path, struct manifest **out)
{
    struct manifest *m = cv_calloc(1, sizeof(*m));

    *out = NULL;
    if (!m)
        return cv_fail(CV_ENOMEM, "out of memory");
    if (cv_strlcpy(m->path, path, sizeof(m->path)) >= sizeof(m->path)) {
        cv_free(m);
        return cv_fail(CV_EINVAL, "manifest path too long: '%s'", path);
    }
    snprintf(m->side, sizeof(m->side), "%s.patients.%ld", path, (long)getpid());
    snprintf(m->tmp, sizeof(m->tmp), "%s.tmp.%ld", path, (long)getpid());
    cv_buf_init(&m->buf, 64u << 20);
    m->meds = cv_calloc(4 * MAX_MEDS, sizeof(struct medrow));
    m->drugs = cv_calloc(MAX_MEDS, sizeof(*m->drugs));
    if (!m->meds || !m->drugs) {
        cv_free(m->meds);
        cv_free(m->drugs);
        cv_free(m);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    m->f = fopen(m->side, "w+");
    if (!m->f) {
        enum cv_err err = cv_fail_errno(CV_EIO, "cannot create '%s'", m->side);

        cv_free(m);
        return err;
    }
    s->bed_patient = cv_calloc(s->h.nbeds, sizeof(int32_t));
    if (!s->bed_patient) {
        sy_manifest_free(m);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    for (size_t b = 0; b < s->h.nbeds; b++)
        s->bed_patient[b] = -1;
    *out = m;
    return CV_OK;
}

void sy_manifest_free(struct manifest *m)
{
    if (!m)
        return;
    if (m->f)
        fclose(m->f);
    unlink(m->side);
    unlink(m->tmp);
    cv_buf_free(&m->buf);
    cv_free(m->meds);
    cv_free(m->drugs);
    cv_free(m);
}

/* ---- facts ------------------------------------------------------------------------------ */

static const struct ev *newest_current(const struct patient *p, int type)
{
    const struct ev *best = NULL;

    for (size_t i = 0; i < p->ev.n; i++) {
        const struct ev *e = &p->ev.v[i];

        if (e->type == type && e->flag == '1' && (!best || e->ms > best->ms))
            best = e;
    }
    return best;
}

int32_t sy_final_bed(const struct synth *s, const struct patient *p, const struct ev **set_by)
{
    const struct ev *last = NULL;
    int32_t bed = -1, prior;

    /* The events are in clinical order already (a current movement's event time is its
     * EVN-6/PV1-44/PV1-45 time); cancelled ones (_0) never count. */
    for (size_t i = 0; i < p->ev.n; i++) {
        const struct ev *e = &p->ev.v[i];

        if (e->flag != '1' || e->type < T_ADT22 || e->type > T_ADT52)
            continue;
        last = e;
        bed = e->type == T_ADT52 ? -1 : sy_adt_bed(s, p, e, &prior);
    }
    *set_by = bed >= 0 ? last : NULL;
    return bed;
}

static void kv_null(struct cv_json *j, const char *key)
{
    cv_json_key(j, key);
    cv_json_null(j);
}

static void put_person_name(struct cv_json *j, const char *key, const char *family,
                            const char *given)
{
    cv_json_key(j, key);
    cv_json_object_begin(j);
    cv_json_kv_string(j, "family", family);
    cv_json_kv_string(j, "given", given);
    cv_json_object_end(j);
}

static void put_phones(struct cv_json *j, const char *a, const char *b, const char *c)
{
    const char *v[] = {a, b, c};

    cv_json_key(j, "phones");
    cv_json_array_begin(j);
    for (size_t i = 0; i < 3; i++)
        if (v[i] && v[i][0])
            cv_json_string(j, v[i]);
    cv_json_array_end(j);
}

static void put_contacts(struct cv_json *j, const struct demo *d)
{
    char name[96];

    cv_json_key(j, "contacts");
    cv_json_array_begin(j);
    if (d->employer >= 0) {
        cv_json_object_begin(j);
        snprintf(name, sizeof(name), "%s %s", d->family->kanji, d->given->kanji);
        cv_json_kv_string(j, "name", name);
        cv_json_kv_string(j, "relationship", "本人");
        put_phones(j, d->home, d->work, NULL);
        cv_json_object_end(j);
    }
    for (size_t i = 0; i < d->ncontacts; i++) {
        const struct contact *c = &d->contacts[i];

        cv_json_object_begin(j);
        snprintf(name, sizeof(name), "%s %s", c->family->kanji, c->given->kanji);
        cv_json_kv_string(j, "name", name);
        cv_json_kv_string(j, "relationship", sy_tab_relation[c->rel].name);
        put_phones(j, c->phone, c->work, NULL);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

/* The newest current message of any kind: whose PID names a patient without an ADT-00. */
static const struct ev *newest_any(const struct patient *p)
{
    const struct ev *best = NULL;

    for (size_t i = 0; i < p->ev.n; i++)
        if (p->ev.v[i].flag == '1' && (!best || p->ev.v[i].ms > best->ms))
            best = &p->ev.v[i];
    return best;
}

/* A patient without ADT-00: name, kana, birth date and sex of the newest PID, marked as such;
 * everything only ADT-00 carries is absent. */
static void put_pid_demographics(struct cv_json *j, const struct patient *p)
{
    const struct ev *e = newest_any(p);
    const struct demo *d = e ? sy_demo_at(p, e->t) : NULL;
    const char *nulls[] = {"blood_type", "rh", "height_cm", "weight_kg", "postcode", "address"};
    char buf[16];

    if (d) {
        put_person_name(j, "name", d->family->kanji, d->given->kanji);
        put_person_name(j, "kana", d->family->kana, d->given->kana);
        cv_json_kv_string(j, "demographics_source", "PID");
        sy_iso_date(buf, p->lite->birth);
        cv_json_kv_string(j, "birth_date", buf);
        cv_json_kv_string(j, "sex", p->lite->sex == SEX_F ? "F" : "M");
    } else {
        const char *none[] = {"name", "kana", "demographics_source", "birth_date", "sex"};

        for (size_t i = 0; i < CV_ARRAY_LEN(none); i++)
            kv_null(j, none[i]);
    }
    for (size_t i = 0; i < CV_ARRAY_LEN(nulls); i++)
        kv_null(j, nulls[i]);
    cv_json_key(j, "phones");
    cv_json_array_begin(j);
    cv_json_array_end(j);
    cv_json_key(j, "contacts");
    cv_json_array_begin(j);
    cv_json_array_end(j);
}

static void put_demographics(struct cv_json *j, const struct patient *p, const struct demo *d)
{
    static const char *const abo[] = {"A", "B", "O", "AB"};
    char buf[256];

    put_person_name(j, "name", d->family->kanji, d->given->kanji);
    put_person_name(j, "kana", d->family->kana, d->given->kana);
    cv_json_kv_string(j, "demographics_source", "ADT-00");
    sy_iso_date(buf, p->lite->birth);
    cv_json_kv_string(j, "birth_date", buf);
    cv_json_kv_string(j, "sex", p->lite->sex == SEX_F ? "F" : "M");
    cv_json_kv_string(j, "blood_type", p->blood < 4 ? abo[p->blood] : NULL);
    cv_json_kv_string(j, "rh", p->blood < 4 ? (p->rh_neg ? "-" : "+") : NULL);
    if (d->height10) {
        cv_json_kv_double(j, "height_cm", d->height10 / 10.0);
        cv_json_kv_double(j, "weight_kg", d->weight10 / 10.0);
    } else {
        kv_null(j, "height_cm");
        kv_null(j, "weight_kg");
    }
    cv_json_kv_string(j, "postcode", sy_tab_town[d->town].post);
    cv_json_kv_string(j, "address", d->address);
    put_phones(j, d->home, d->mobile, d->work);
    put_contacts(j, d);
}

/* ---- allergies: AL1 of the newest ADT-00, then IAM of every ADT-61 by event time ---------- */

#define MAX_LIST 32

static int find_allergen(const struct allergy *list, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(sy_tab_allergen[list[i].allergen].code, code) == 0)
            return (int)i;
    return -1;
}

static int cmp_allergy(const void *a, const void *b)
{
    const struct allergen *x = &sy_tab_allergen[((const struct allergy *)a)->allergen];
    const struct allergen *y = &sy_tab_allergen[((const struct allergy *)b)->allergen];
    int c = strcmp(x->type, y->type);

    return c ? c : strcmp(x->name, y->name);
}

static void put_allergies(struct cv_json *j, const struct patient *p, const struct demo *d)
{
    struct allergy list[MAX_LIST];
    size_t n = 0;

    for (size_t i = 0; d && i < d->nallergies && n < MAX_LIST; i++)
        list[n++] = p->allergy.v[d->allergies[i]];
    for (size_t i = 0; i < p->ev.n; i++) { /* events are in event-time order */
        const struct ev *e = &p->ev.v[i];
        const struct iam_msg *m;

        if (e->type != T_ADT61 || e->flag != '1')
            continue;
        m = &p->iam.v[e->ref];
        for (size_t k = 0; k < m->nops; k++) {
            const struct iam_op *op = &m->ops[k];
            int at = find_allergen(list, n, sy_tab_allergen[op->a.allergen].code);

            if (op->action == 'D') {
                if (at >= 0)
                    list[at] = list[--n];
            } else if (at >= 0) {
                list[at] = op->a;
            } else if (n < MAX_LIST) {
                list[n++] = op->a;
            }
        }
    }
    qsort(list, n, sizeof(list[0]), cmp_allergy);
    cv_json_kv_string(j, "allergy_status", n ? "recorded" : "none_recorded");
    cv_json_key(j, "allergies");
    cv_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        const struct allergen *g = &sy_tab_allergen[list[i].allergen];

        cv_json_object_begin(j);
        cv_json_kv_string(j, "type", g->type);
        cv_json_kv_string(j, "allergen", g->name);
        cv_json_kv_string(j, "severity", sy_tab_severity[list[i].severity].code);
        cv_json_kv_string(j, "reaction", sy_tab_reaction[list[i].reaction]);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

/* ---- diagnoses: the newest PPR-01's unresolved problems, then those only in older ones ---- */

struct dxrow {
    int32_t onset, start;
    const char *icd10, *name;
    bool main, suspected;
};

static int cmp_dxrow(const void *a, const void *b)
{
    const struct dxrow *x = a, *y = b;

    if (x->onset != y->onset)
        return x->onset < y->onset ? -1 : 1;
    return strcmp(x->icd10, y->icd10);
}

/* The diagnoses a PPR-01 written at t lists (all of them, or its one diagnosis). */
static bool ppr_lists(const struct ppr *r, const struct diag *g, size_t i)
{
    return r->only >= 0 ? (size_t)r->only == i : sy_diag_listed(g, r->t);
}

/* Active rows of one PPR-01 whose diagnosis is not in `seen`; every row it holds goes into
 * `seen` (matched on the MEDIS code, as the index matches PRB-3.1). */
static size_t ppr_rows(const struct synth *s, const struct patient *p, const struct ppr *r,
                       bool *seen, struct dxrow *rows, size_t n, size_t cap)
{
    int main = sy_diag_main(s, p, r->t);

    for (size_t i = 0; i < p->diag.n; i++) { /* against the newer files only */
        const struct diag *g = &p->diag.v[i];

        if (ppr_lists(r, g, i) && !seen[g->dx] && sy_diag_active(g, r->t) && n < cap)
            rows[n++] = (struct dxrow){
                g->onset,       day_of(g->added), sy_tab_dx[g->dx].icd10, sy_tab_dx[g->dx].name,
                (int)i == main, g->suspected};
    }
    for (size_t i = 0; i < p->diag.n; i++) /* then this file's diagnoses count too */
        if (ppr_lists(r, &p->diag.v[i], i))
            seen[p->diag.v[i].dx] = true;
    return n;
}

static void put_dxrows(struct cv_json *j, const char *key, struct dxrow *rows, size_t n)
{
    char date[11];

    qsort(rows, n, sizeof(rows[0]), cmp_dxrow);
    cv_json_key(j, key);
    cv_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "name", rows[i].name);
        cv_json_kv_string(j, "icd10", rows[i].icd10);
        sy_iso_date(date, rows[i].onset);
        cv_json_kv_string(j, "onset", date);
        cv_json_kv_bool(j, "main", rows[i].main);
        cv_json_kv_bool(j, "suspected", rows[i].suspected);
        cv_json_kv_string(j, "confirmation", rows[i].suspected ? "1" : NULL);
        sy_iso_date(date, rows[i].start);
        cv_json_kv_string(j, "start", date);
        kv_null(j, "end"); /* only unresolved ones are listed: no PRB-9 */
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static void put_diagnoses(struct cv_json *j, const struct synth *s, const struct patient *p)
{
    const struct ev *e = newest_current(p, T_PPR01);
    struct dxrow rows[MAX_LIST], older[MAX_LIST];
    bool seen[SY_MAX_DX] = {false};
    size_t n = 0, nolder = 0;

    if (e) {
        n = ppr_rows(s, p, &p->ppr.v[e->ref], seen, rows, 0, MAX_LIST);
        for (size_t i = p->ev.n; i-- > 0;) { /* the other current files, newest first */
            const struct ev *o = &p->ev.v[i];

            if (o->type == T_PPR01 && o->flag == '1' && o != e)
                nolder = ppr_rows(s, p, &p->ppr.v[o->ref], seen, older, nolder, MAX_LIST);
        }
    }
    put_dxrows(j, "diagnoses", rows, n);
    put_dxrows(j, "older_diagnoses", older, nolder);
}

/* ---- where the patient is ------------------------------------------------------------------ */

static enum cv_err put_location(struct cv_json *j, struct synth *s, const struct patient *p)
{
    const struct ev *by;
    int32_t bed = sy_final_bed(s, p, &by);
    char buf[96];

    cv_json_key(j, "location");
    if (bed < 0) {
        cv_json_null(j);
        kv_null(j, "attending");
        return CV_OK;
    }
    if (s->bed_patient[bed] >= 0)
        return cv_fail(CV_ECORRUPT, "internal error: bed %s %s-%s given to two patients",
                       s->h.wards[s->h.beds[bed].ward].code, s->h.beds[bed].room,
                       s->h.beds[bed].label);
    s->bed_patient[bed] = (int32_t)p->idx;
    cv_json_object_begin(j);
    cv_json_kv_string(j, "ward", s->h.wards[s->h.beds[bed].ward].code);
    cv_json_kv_string(j, "room", s->h.beds[bed].room);
    cv_json_kv_string(j, "bed", s->h.beds[bed].label);
    sy_iso_min(buf, p->stays[by->ref].admit);
    cv_json_kv_string(j, "admitted", buf);
    cv_json_object_end(j);
    sy_doctor_name(s, p->stays[by->ref].doctor, buf, sizeof(buf));
    cv_json_kv_string(j, "attending", buf);
    return CV_OK;
}

/* ---- medications: current on the end date, and ended in the 30 days before it ------------- */

static void medrow_key(const struct medrow *m, char *buf, size_t n)
{
    if (m->injection)
        sy_iso_min(buf, m->t0);
    else
        snprintf(buf, n, "%s", "");
}

static int cmp_medrow(const void *a, const void *b)
{
    const struct medrow *x = a, *y = b;
    char tx[20], ty[20];

    if (x->injection != y->injection) /* "injection" < "prescription" */
        return x->injection ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    medrow_key(x, tx, sizeof(tx));
    medrow_key(y, ty, sizeof(ty));
    if (strcmp(tx, ty))
        return strcmp(tx, ty);
    return strcmp(x->drug, y->drug);
}

static int cmp_recent_medrow(const void *a, const void *b)
{
    const struct medrow *x = a, *y = b;

    if (x->end != y->end) /* the newest end first */
        return x->end > y->end ? -1 : 1;
    return cmp_medrow(a, b);
}

/* The injection's drugs as the index joins them: the RXC names, base first. */
static void injection_drug(const struct injection *ij, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s%s%s", ij->base ? ij->base : "", ij->base ? " + " : "", ij->name,
             ij->extra ? " + " : "", ij->extra ? ij->extra : "");
}

/* Every current order line whose period ends on or after `from` and starts at the latest
 * RECENT_DAYS after the end date. */
static size_t collect_meds(const struct synth *s, const struct patient *p, int32_t from,
                           struct medrow *rows, char (*drugs)[160], size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < p->ev.n; i++) {
        const struct ev *e = &p->ev.v[i];
        const struct rx *rx;

        if ((e->type != T_OMP01 && e->type != T_OMP02) || e->flag != '1')
            continue;
        rx = &p->rx.v[e->ref];
        if (rx->kind) {
            const struct injection *ij = &sy_tab_inj[rx->inj];

            if (day_of(rx->start) > s->end_day + RECENT_DAYS || day_of(rx->end) < from || n >= cap)
                continue;
            injection_drug(ij, drugs[n], sizeof(drugs[0]));
            rows[n] = (struct medrow){true,
                                      day_of(rx->start),
                                      day_of(rx->end),
                                      rx->start,
                                      rx->end,
                                      ij,
                                      drugs[n],
                                      ij->volume ? "ミリリットル" : ij->unit_name,
                                      NULL,
                                      sy_tab_route[ij->route].name,
                                      "",
                                      -1};
            snprintf(rows[n++].dose, sizeof(rows[0].dose), "%u",
                     ij->volume ? ij->volume : ij->amount);
            continue;
        }
        if (day_of(rx->start) > s->end_day + RECENT_DAYS || day_of(rx->start) + rx->days - 1 < from)
            continue;
        for (size_t k = 0; k < rx->nlines && n < cap; k++) {
            const struct drug *d = &sy_tab_drug[rx->line[k].drug];

            rows[n] = (struct medrow){false,
                                      day_of(rx->start),
                                      day_of(rx->start) + rx->days - 1,
                                      0,
                                      0,
                                      NULL,
                                      d->name,
                                      d->unit_name,
                                      sy_tab_usage[d->usage].text,
                                      sy_tab_route[d->route].name,
                                      "",
                                      rx->days};
            sy_dose_text(rx->line[k].dose10, rows[n++].dose, sizeof(rows[0].dose));
        }
    }
    return n;
}

static void put_component(struct cv_json *j, const char *type, const char *name, const char *hot,
                          unsigned amount, const char *unit)
{
    char buf[16];

    snprintf(buf, sizeof(buf), "%u", amount);
    cv_json_object_begin(j);
    cv_json_kv_string(j, "type", type);
    cv_json_kv_string(j, "name", name);
    cv_json_kv_string(j, "code", hot);
    cv_json_kv_string(j, "amount", buf);
    cv_json_kv_string(j, "unit", unit);
    cv_json_object_end(j);
}

static void put_injection_fields(struct cv_json *j, const struct medrow *m)
{
    const struct injection *ij = m->ij;
    char buf[64];

    if (ij->hours && ij->volume) {
        snprintf(buf, sizeof(buf), "%u ml/hr", (ij->volume + ij->hours / 2u) / ij->hours);
        cv_json_kv_string(j, "rate", buf);
    } else {
        kv_null(j, "rate");
    }
    sy_injection_instruction(ij, buf, sizeof(buf));
    cv_json_kv_string(j, "instructions", buf);
    cv_json_kv_string(j, "order_type", "一般");
    cv_json_key(j, "components");
    cv_json_array_begin(j);
    if (ij->base) {
        put_component(j, "B", ij->base, ij->base_hot, 1, "本");
        put_component(j, "A", ij->name, ij->hot, ij->amount, ij->unit_name);
    } else {
        put_component(j, "B", ij->name, ij->hot, ij->amount, ij->unit_name);
    }
    if (ij->extra)
        put_component(j, "A", ij->extra, ij->extra_hot, 1, ij->extra_unit_name);
    cv_json_array_end(j);
}

static void put_medrows(struct cv_json *j, const char *key, const struct medrow *rows, size_t n)
{
    char date[20];

    cv_json_key(j, key);
    cv_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        const struct medrow *m = &rows[i];

        cv_json_object_begin(j);
        cv_json_kv_string(j, "kind", m->injection ? "injection" : "prescription");
        cv_json_kv_string(j, "drug", m->drug);
        cv_json_kv_string(j, "dose", m->dose);
        cv_json_kv_string(j, "unit", m->unit);
        cv_json_kv_string(j, "usage", m->usage);
        sy_iso_date(date, m->start);
        cv_json_kv_string(j, "start", date);
        if (m->days >= 0)
            cv_json_kv_int(j, "days", m->days);
        else
            kv_null(j, "days");
        sy_iso_date(date, m->end);
        cv_json_kv_string(j, "end", date);
        if (m->injection) {
            sy_iso_min(date, m->t0);
            cv_json_kv_string(j, "start_time", date);
            sy_iso_min(date, m->t1);
            cv_json_kv_string(j, "end_time", date);
        } else {
            kv_null(j, "start_time");
            kv_null(j, "end_time");
        }
        cv_json_kv_string(j, "route", m->route);
        if (m->injection) {
            put_injection_fields(j, m);
        } else {
            kv_null(j, "rate");
            kv_null(j, "instructions");
            kv_null(j, "order_type");
            cv_json_key(j, "components");
            cv_json_array_begin(j);
            cv_json_array_end(j);
        }
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static void put_medications(struct cv_json *j, struct manifest *mf, const struct synth *s,
                            const struct patient *p)
{
    struct medrow *rows = mf->meds, *current = mf->meds + MAX_MEDS,
                  *recent = mf->meds + 2 * MAX_MEDS, *upcoming = mf->meds + 3 * MAX_MEDS;
    size_t n = collect_meds(s, p, s->end_day - RECENT_DAYS, rows, mf->drugs, MAX_MEDS), nc = 0,
           nr = 0, nu = 0;

    for (size_t i = 0; i < n; i++) {
        if (rows[i].start > s->end_day)
            upcoming[nu++] = rows[i];
        else if (rows[i].end >= s->end_day)
            current[nc++] = rows[i];
        else
            recent[nr++] = rows[i];
    }
    qsort(current, nc, sizeof(current[0]), cmp_medrow);
    qsort(recent, nr, sizeof(recent[0]), cmp_recent_medrow);
    qsort(upcoming, nu, sizeof(upcoming[0]), cmp_medrow);
    put_medrows(j, "medications", current, nc);
    put_medrows(j, "recent_medications", recent, nr);
    put_medrows(j, "upcoming_medications", upcoming, nu);
    cv_json_kv_int(j, "recent_days", RECENT_DAYS);
}

/* ---- the newest result of each test --------------------------------------------------------- */

struct labrow {
    int test;
    int32_t value;
    int64_t time, ms;
};

/* The newest current result of each test, indexed by test. */
static void newest_results(const struct patient *p, struct labrow best[64])
{
    for (size_t t = 0; t < 64; t++)
        best[t].test = -1;
    for (size_t i = 0; i < p->ev.n; i++) {
        const struct ev *e = &p->ev.v[i];
        const struct lab *lab;

        if (e->type != T_OML11 || e->msg == M_R22C || e->flag != '1')
            continue;
        lab = &p->lab.v[e->ref];
        for (size_t k = 0; k < lab->ntests; k++) {
            struct labrow *b = &best[lab->test[k]];

            if (e->act == A_PRELIM && lab->prelim_missing[k])
                continue;
            if (b->test < 0 || lab->drawn > b->time || (lab->drawn == b->time && e->ms > b->ms))
                *b = (struct labrow){lab->test[k], lab->value[k], lab->drawn, e->ms};
        }
    }
}

static void put_lab(struct cv_json *j, const struct patient *p, const struct labrow *r)
{
    const struct labtest *lt = &sy_tab_lab[r->test];
    char buf[40], flag[2] = {0, 0};

    cv_json_object_begin(j);
    cv_json_kv_string(j, "code", lt->code);
    cv_json_kv_string(j, "name", lt->name);
    sy_lab_value_text(lt, r->value, buf, sizeof(buf));
    cv_json_kv_string(j, "value", buf);
    cv_json_kv_string(j, "unit", lt->unit);
    if (lt->qualitative) {
        cv_json_kv_string(j, "range", "（−）");
    } else {
        struct out o = {.p = buf, .cap = sizeof(buf) - 1};

        sy_out_fix(&o, lt->lo[p->lite->sex == SEX_F], lt->dec);
        sy_out_c(&o, '-');
        sy_out_fix(&o, lt->hi[p->lite->sex == SEX_F], lt->dec);
        buf[o.len] = '\0';
        cv_json_kv_string(j, "range", buf);
    }
    flag[0] = sy_lab_flag(lt, p->lite->sex, r->value);
    cv_json_kv_string(j, "flag", flag[0] ? flag : NULL);
    sy_iso_min(buf, r->time);
    cv_json_kv_string(j, "time", buf);
    cv_json_object_end(j);
}

static void put_labs(struct cv_json *j, const struct patient *p)
{
    struct labrow best[64];

    newest_results(p, best);
    cv_json_key(j, "labs");
    cv_json_array_begin(j);
    for (;;) { /* the table is not in code order: take the smallest code left */
        struct labrow *next = NULL;

        for (size_t t = 0; t < sy_tab_lab_len && t < 64; t++)
            if (best[t].test >= 0 &&
                (!next || strcmp(sy_tab_lab[t].code, sy_tab_lab[next->test].code) < 0))
                next = &best[t];
        if (!next)
            break;
        put_lab(j, p, next);
        next->test = -1;
    }
    cv_json_array_end(j);
}

/* ---- cultures: the latest report of each test and specimen, organisms and susceptibility -- */

static void put_result(struct cv_json *j, const char *sub_id, const char *code, const char *name,
                       const char *value, const char *unit, const char *flag)
{
    cv_json_object_begin(j);
    cv_json_kv_string(j, "sub_id", sub_id);
    cv_json_kv_string(j, "code", code);
    cv_json_kv_string(j, "name", name);
    cv_json_kv_string(j, "value", value);
    cv_json_kv_string(j, "unit", unit);
    cv_json_kv_string(j, "flag", flag);
    cv_json_object_end(j);
}

static void put_culture(struct cv_json *j, const struct culture *c, const struct culture **earlier,
                        size_t nearlier)
{
    static const char *const sir[] = {"S", "I", "R"};
    char buf[24];

    cv_json_object_begin(j);
    cv_json_kv_string(j, "test", CULTURE_TEST_NAME);
    cv_json_kv_string(j, "code", CULTURE_TEST_CODE);
    cv_json_kv_string(j, "specimen", sy_tab_culture_spec[c->spec].name);
    sy_iso_min(buf, c->drawn);
    cv_json_kv_string(j, "time", buf);
    cv_json_key(j, "results");
    cv_json_array_begin(j);
    cv_json_array_end(j);
    cv_json_key(j, "organisms");
    cv_json_array_begin(j);
    for (int i = 0; i < c->norg; i++) {
        const struct culture_org *o = &c->org[i];
        char group[4];

        snprintf(group, sizeof(group), "%d", i + 1);
        cv_json_object_begin(j);
        cv_json_kv_string(j, "group", group);
        cv_json_kv_string(j, "organism", sy_tab_organism[o->org].name);
        cv_json_key(j, "details");
        cv_json_array_begin(j);
        put_result(j, group, CULTURE_AMOUNT_CODE, CULTURE_AMOUNT_NAME, sy_tab_amount[o->amount],
                   NULL, NULL);
        cv_json_array_end(j);
        cv_json_key(j, "susceptibility");
        cv_json_array_begin(j);
        for (int d = 0; d < o->ndrugs; d++) {
            const struct abx *a = &sy_tab_abx[o->drug[d]];
            const char *mic[] = {a->mic_s, a->mic_i, a->mic_r};

            snprintf(buf, sizeof(buf), "%d.%d", i + 1, d + 1);
            put_result(j, buf, a->code, a->name, mic[o->sir[d]], "ug/mL", sir[o->sir[d]]);
        }
        cv_json_array_end(j);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
    cv_json_key(j, "earlier");
    cv_json_array_begin(j);
    for (size_t k = 0; k < nearlier; k++) {
        cv_json_object_begin(j);
        sy_iso_min(buf, earlier[k]->drawn);
        cv_json_kv_string(j, "time", buf);
        cv_json_key(j, "organisms");
        cv_json_array_begin(j);
        for (int i = 0; i < earlier[k]->norg; i++)
            cv_json_string(j, sy_tab_organism[earlier[k]->org[i].org].name);
        cv_json_array_end(j);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
    cv_json_object_end(j);
}

#define MAX_CULTURES 64

/* Newest first: by the time drawn (a report's time), then by event time. */
static void put_cultures(struct cv_json *j, const struct patient *p)
{
    const struct culture *v[MAX_CULTURES];
    size_t n = 0;

    for (size_t i = p->ev.n; i-- > 0 && n < MAX_CULTURES;) { /* newest event first */
        const struct ev *e = &p->ev.v[i];

        if (e->type == T_OML11 && e->msg == M_R22C && e->flag == '1')
            v[n++] = &p->cult.v[e->ref];
    }
    for (size_t a = 1; a < n; a++) /* stable: equal draw times keep the newer event first */
        for (size_t b = a; b > 0 && v[b]->drawn > v[b - 1]->drawn; b--) {
            const struct culture *t = v[b];

            v[b] = v[b - 1];
            v[b - 1] = t;
        }
    cv_json_key(j, "cultures");
    cv_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        const struct culture *earlier[3];
        size_t ne = 0;
        bool shown = false;

        for (size_t k = 0; k < i && !shown; k++) /* a newer report of this specimen is shown */
            shown = v[k]->spec == v[i]->spec;
        if (shown)
            continue;
        for (size_t k = i + 1; k < n && ne < 3; k++)
            if (v[k]->spec == v[i]->spec)
                earlier[ne++] = v[k];
        put_culture(j, v[i], earlier, ne);
    }
    cv_json_array_end(j);
}

/* ---- diet orders and reports, newest first ---------------------------------------------- */

static void put_diet(struct cv_json *j, const struct patient *p)
{
    char text[128], date[11];

    cv_json_key(j, "diet");
    cv_json_array_begin(j);
    for (size_t i = p->ev.n; i-- > 0;) { /* by event time; starts follow the same order */
        const struct ev *e = &p->ev.v[i];
        const struct dietord *d;

        if (e->type != T_OMD || e->flag != '1')
            continue;
        d = &p->diet.v[e->ref];
        sy_diet_text(d, text, sizeof(text));
        sy_iso_date(date, day_of(d->start));
        cv_json_object_begin(j);
        cv_json_kv_string(j, "text", text);
        cv_json_kv_string(j, "start", date);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static void put_reports(struct cv_json *j, const struct patient *p)
{
    char time[20];

    cv_json_key(j, "reports");
    cv_json_array_begin(j);
    for (size_t i = p->ev.n; i-- > 0;) {
        const struct ev *e = &p->ev.v[i];
        const struct rad *r;

        if (e->type != T_OMG11 || e->flag != '1')
            continue;
        r = &p->rad.v[e->ref];
        sy_iso_min(time, r->done);
        cv_json_object_begin(j);
        cv_json_kv_string(j, "kind", "radiology");
        cv_json_kv_string(j, "text", r->finding);
        cv_json_kv_string(j, "time", time);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static bool pid3_mismatch(const struct patient *p)
{
    for (size_t i = 0; i < p->ev.n; i++)
        if (p->ev.v[i].flag == '1' && p->ev.v[i].pid3 != P3_SAME)
            return true;
    return false;
}

enum cv_err sy_manifest_patient(struct manifest *m, struct synth *s, const struct patient *p)
{
    const struct ev *a08 = newest_current(p, T_ADT00);
    const struct demo *d = a08 ? &p->demo.v[a08->ref] : &p->demo.v[0];
    struct cv_json j;
    enum cv_err err;

    cv_buf_reset(&m->buf);
    if (m->count && (err = cv_buf_puts(&m->buf, ",\n")))
        return err;
    cv_json_init(&j, &m->buf, false);
    cv_json_object_begin(&j);
    cv_json_kv_string(&j, "id", p->id);
    if (a08)
        put_demographics(&j, p, d);
    else
        put_pid_demographics(&j, p);
    put_allergies(&j, p, a08 ? d : NULL);
    put_diagnoses(&j, s, p);
    if ((err = put_location(&j, s, p)))
        return err;
    put_medications(&j, m, s, p);
    put_labs(&j, p);
    put_cultures(&j, p);
    put_diet(&j, p);
    put_reports(&j, p);
    cv_json_kv_bool(&j, "pid3_mismatch", pid3_mismatch(p));
    cv_json_object_end(&j);
    if ((err = cv_json_finish(&j)))
        return err;
    if (fwrite(m->buf.data, 1, m->buf.len, m->f) != m->buf.len)
        return cv_fail_errno(CV_EIO, "cannot write '%s'", m->side);
    m->count++;
    return CV_OK;
}

/* ---- the census and the whole file -------------------------------------------------------- */

static int cmp_ward(const void *a, const void *b, void *arg)
{
    const struct hospital *h = arg;

    return strcmp(h->wards[*(const uint16_t *)a].code, h->wards[*(const uint16_t *)b].code);
}

static void put_ward(struct cv_json *j, const struct synth *s, const struct ward *w)
{
    const struct hospital *h = &s->h;
    long occupied = 0;

    for (uint32_t i = w->first_bed; i < w->first_bed + w->nbeds; i++)
        occupied += s->bed_patient[i] >= 0;
    cv_json_object_begin(j);
    cv_json_kv_string(j, "ward", w->code);
    cv_json_kv_int(j, "beds", w->nbeds);
    cv_json_kv_int(j, "occupied", occupied);
    cv_json_key(j, "patients");
    cv_json_array_begin(j);
    /* beds are laid out by room, then bed: already the (room, bed) order */
    for (uint32_t i = w->first_bed; i < w->first_bed + w->nbeds; i++) {
        if (s->bed_patient[i] < 0)
            continue;
        cv_json_object_begin(j);
        cv_json_kv_string(j, "room", h->beds[i].room);
        cv_json_kv_string(j, "bed", h->beds[i].label);
        cv_json_kv_string(j, "id", s->ids[s->bed_patient[i]]);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
    cv_json_object_end(j);
}

/* One ward per line, sorted by ward code. */
static enum cv_err put_census(struct cv_buf *b, const struct synth *s)
{
    const struct hospital *h = &s->h;
    size_t nw = h->nwards;
    uint16_t *order = cv_calloc(nw, sizeof(*order));
    enum cv_err err = order ? cv_buf_puts(b, "[") : cv_fail(CV_ENOMEM, "out of memory");

    for (size_t i = 0; order && i < nw; i++)
        order[i] = (uint16_t)i;
    if (order)
        qsort_r(order, nw, sizeof(order[0]), cmp_ward, (void *)h);
    for (size_t k = 0; k < nw && !err; k++) {
        struct cv_json j;

        if ((err = cv_buf_puts(b, k ? ",\n" : "\n")))
            break;
        cv_json_init(&j, b, false);
        put_ward(&j, s, &h->wards[order[k]]);
        err = cv_json_finish(&j);
    }
    cv_free(order);
    return err ? err : cv_buf_puts(b, "\n]");
}

static enum cv_err put_header(struct cv_buf *b, const struct synth *s)
{
    struct cv_json j;
    char date[11];

    sy_iso_date(date, s->end_day);
    cv_json_init(&j, b, false);
    cv_json_object_begin(&j);
    cv_json_kv_string(&j, "generator", "chartvault synth " CV_VERSION);
    cv_json_kv_int(&j, "seed", (long long)s->opt->seed);
    cv_json_kv_int(&j, "patients_requested", (long long)s->npatients);
    cv_json_kv_int(&j, "years", s->opt->years);
    cv_json_kv_string(&j, "end_date", date);
    cv_json_kv_int(&j, "files", (long long)s->files);
    cv_json_kv_int(&j, "bytes", (long long)s->bytes);
    cv_json_key(&j, "patients");
    return cv_json_finish(&j);
}

static enum cv_err copy_side(struct manifest *m, FILE *out)
{
    char chunk[1 << 16];
    size_t n;

    if (fflush(m->f) != 0 || fseek(m->f, 0, SEEK_SET) != 0)
        return cv_fail_errno(CV_EIO, "cannot read back '%s'", m->side);
    while ((n = fread(chunk, 1, sizeof(chunk), m->f)) > 0)
        if (fwrite(chunk, 1, n, out) != n)
            return cv_fail_errno(CV_EIO, "cannot write '%s'", m->tmp);
    if (ferror(m->f))
        return cv_fail_errno(CV_EIO, "cannot read back '%s'", m->side);
    return CV_OK;
}

/* Header, patients, census into a temporary file; then sync and rename into place. */
enum cv_err sy_manifest_finish(struct manifest *m, struct synth *s)
{
    FILE *out = fopen(m->tmp, "w");
    enum cv_err err;

    if (!out)
        return cv_fail_errno(CV_EIO, "cannot create '%s'", m->tmp);
    cv_buf_reset(&m->buf);
    if ((err = put_header(&m->buf, s)) || (err = cv_buf_puts(&m->buf, "[\n")))
        goto out_close;
    if (fwrite(m->buf.data, 1, m->buf.len, out) != m->buf.len) {
        err = cv_fail_errno(CV_EIO, "cannot write '%s'", m->tmp);
        goto out_close;
    }
    if ((err = copy_side(m, out)))
        goto out_close;
    cv_buf_reset(&m->buf);
    if ((err = cv_buf_puts(&m->buf, "\n],\n\"census\":")) || (err = put_census(&m->buf, s)) ||
        (err = cv_buf_puts(&m->buf, "}\n")))
        goto out_close;
    if (fwrite(m->buf.data, 1, m->buf.len, out) != m->buf.len || fflush(out) != 0 ||
        fsync(fileno(out)) != 0)
        err = cv_fail_errno(CV_EIO, "cannot write '%s'", m->tmp);
out_close:
    if (fclose(out) != 0 && !err)
        err = cv_fail_errno(CV_EIO, "cannot write '%s'", m->tmp);
    if (!err && rename(m->tmp, m->path) != 0)
        err = cv_fail_errno(CV_EIO, "cannot rename '%s' to '%s'", m->tmp, m->path);
    return err;
}
