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

struct manifest {
    char path[PATH_MAX], side[PATH_MAX + 32], tmp[PATH_MAX + 32];
    FILE *f;
    struct cv_buf buf;
    size_t count;
};

enum cv_err manifest_open(struct synth *s, const char *path, struct manifest **out)
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
    m->f = fopen(m->side, "w+");
    if (!m->f) {
        enum cv_err err = cv_fail_errno(CV_EIO, "cannot create '%s'", m->side);

        cv_free(m);
        return err;
    }
    s->bed_patient = cv_calloc(s->h.nbeds, sizeof(int32_t));
    if (!s->bed_patient) {
        manifest_free(m);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    for (size_t b = 0; b < s->h.nbeds; b++)
        s->bed_patient[b] = -1;
    *out = m;
    return CV_OK;
}

void manifest_free(struct manifest *m)
{
    if (!m)
        return;
    if (m->f)
        fclose(m->f);
    unlink(m->side);
    unlink(m->tmp);
    cv_buf_free(&m->buf);
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

int32_t final_bed(const struct synth *s, const struct patient *p, const struct ev **set_by)
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
        bed = e->type == T_ADT52 ? -1 : adt_bed(s, p, e, &prior);
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
        cv_json_kv_string(j, "relationship", tab_relation[c->rel].name);
        put_phones(j, c->phone, c->work, NULL);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static void put_demographics(struct cv_json *j, const struct patient *p, const struct demo *d)
{
    static const char *const abo[] = {"A", "B", "O", "AB"};
    char buf[256];

    put_person_name(j, "name", d->family->kanji, d->given->kanji);
    put_person_name(j, "kana", d->family->kana, d->given->kana);
    iso_date(buf, p->lite->birth);
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
    cv_json_kv_string(j, "postcode", tab_town[d->town].post);
    address_text(d, buf, sizeof(buf));
    cv_json_kv_string(j, "address", buf);
    put_phones(j, d->home, d->mobile, d->work);
    put_contacts(j, d);
}

/* ---- allergies: AL1 of the newest ADT-00, then IAM of every ADT-61 by event time ---------- */

#define MAX_LIST 32

static int find_allergen(const struct allergy *list, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tab_allergen[list[i].allergen].code, code) == 0)
            return (int)i;
    return -1;
}

static int cmp_allergy(const void *a, const void *b)
{
    const struct allergen *x = &tab_allergen[((const struct allergy *)a)->allergen];
    const struct allergen *y = &tab_allergen[((const struct allergy *)b)->allergen];
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
            int at = find_allergen(list, n, tab_allergen[op->a.allergen].code);

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
        const struct allergen *g = &tab_allergen[list[i].allergen];

        cv_json_object_begin(j);
        cv_json_kv_string(j, "type", g->type);
        cv_json_kv_string(j, "allergen", g->name);
        cv_json_kv_string(j, "severity", tab_severity[list[i].severity].code);
        cv_json_kv_string(j, "reaction", tab_reaction[list[i].reaction]);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

/* ---- diagnoses: the newest PPR-01's unresolved problems ---------------------------------- */

struct dxrow {
    int32_t onset;
    const char *icd10, *name;
    bool main;
};

static int cmp_dxrow(const void *a, const void *b)
{
    const struct dxrow *x = a, *y = b;

    if (x->onset != y->onset)
        return x->onset < y->onset ? -1 : 1;
    return strcmp(x->icd10, y->icd10);
}

static void put_diagnoses(struct cv_json *j, const struct synth *s, const struct patient *p)
{
    const struct ev *e = newest_current(p, T_PPR01);
    struct dxrow rows[MAX_LIST];
    size_t n = 0;
    char date[11];

    if (e) {
        int64_t t = p->ppr.v[e->ref].t;
        int main = diag_main(s, p, t);

        for (size_t i = 0; i < p->diag.n && n < MAX_LIST; i++) {
            const struct diag *g = &p->diag.v[i];

            if (diag_listed(g, t) && diag_active(g, t))
                rows[n++] = (struct dxrow){g->onset, tab_dx[g->dx].icd10, tab_dx[g->dx].name,
                                           (int)i == main};
        }
    }
    qsort(rows, n, sizeof(rows[0]), cmp_dxrow);
    cv_json_key(j, "diagnoses");
    cv_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "name", rows[i].name);
        cv_json_kv_string(j, "icd10", rows[i].icd10);
        iso_date(date, rows[i].onset);
        cv_json_kv_string(j, "onset", date);
        cv_json_kv_bool(j, "main", rows[i].main);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

/* ---- where the patient is ------------------------------------------------------------------ */

static enum cv_err put_location(struct cv_json *j, struct synth *s, const struct patient *p)
{
    const struct ev *by;
    int32_t bed = final_bed(s, p, &by);
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
    iso_min(buf, p->stays[by->ref].admit);
    cv_json_kv_string(j, "admitted", buf);
    cv_json_object_end(j);
    doctor_name(s, p->stays[by->ref].doctor, buf, sizeof(buf));
    cv_json_kv_string(j, "attending", buf);
    return CV_OK;
}

/* ---- medications whose period covers the end date ----------------------------------------- */

struct medrow {
    bool injection;
    int32_t start;
    const char *drug, *unit, *usage;
    char dose[16];
    int days; /* -1: none */
};

static int cmp_medrow(const void *a, const void *b)
{
    const struct medrow *x = a, *y = b;

    if (x->injection != y->injection) /* "injection" < "prescription" */
        return x->injection ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return strcmp(x->drug, y->drug);
}

static size_t collect_meds(const struct synth *s, const struct patient *p, struct medrow *rows,
                           size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < p->ev.n; i++) {
        const struct ev *e = &p->ev.v[i];
        const struct rx *rx;

        if ((e->type != T_OMP01 && e->type != T_OMP02) || e->flag != '1')
            continue;
        rx = &p->rx.v[e->ref];
        if (rx->kind) {
            const struct injection *ij = &tab_inj[rx->inj];

            if (day_of(rx->start) > s->end_day || day_of(rx->end) < s->end_day || n >= cap)
                continue;
            rows[n] =
                (struct medrow){true, day_of(rx->start), ij->name, ij->unit_name, NULL, "", -1};
            snprintf(rows[n++].dose, sizeof(rows[0].dose), "%u", ij->amount);
            continue;
        }
        if (day_of(rx->start) > s->end_day || day_of(rx->start) + rx->days - 1 < s->end_day)
            continue;
        for (size_t k = 0; k < rx->nlines && n < cap; k++) {
            const struct drug *d = &tab_drug[rx->line[k].drug];

            rows[n] = (struct medrow){false,        day_of(rx->start),        d->name,
                                      d->unit_name, tab_usage[d->usage].text, "",
                                      rx->days};
            dose_text(rx->line[k].dose10, rows[n++].dose, sizeof(rows[0].dose));
        }
    }
    return n;
}

static void put_medications(struct cv_json *j, const struct synth *s, const struct patient *p)
{
    struct medrow rows[64];
    size_t n = collect_meds(s, p, rows, CV_ARRAY_LEN(rows));
    char date[11];

    qsort(rows, n, sizeof(rows[0]), cmp_medrow);
    cv_json_key(j, "medications");
    cv_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "kind", rows[i].injection ? "injection" : "prescription");
        cv_json_kv_string(j, "drug", rows[i].drug);
        cv_json_kv_string(j, "dose", rows[i].dose);
        cv_json_kv_string(j, "unit", rows[i].unit);
        cv_json_kv_string(j, "usage", rows[i].usage);
        iso_date(date, rows[i].start);
        cv_json_kv_string(j, "start", date);
        if (rows[i].days >= 0)
            cv_json_kv_int(j, "days", rows[i].days);
        else
            kv_null(j, "days");
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

/* ---- the newest result of each test --------------------------------------------------------- */

struct labrow {
    int test;
    int32_t value;
    int64_t time, ms;
};

static void put_labs(struct cv_json *j, const struct patient *p)
{
    struct labrow best[64];
    char buf[40];

    for (size_t t = 0; t < tab_lab_len && t < 64; t++)
        best[t].test = -1;
    for (size_t i = 0; i < p->ev.n; i++) {
        const struct ev *e = &p->ev.v[i];
        const struct lab *lab;

        if (e->type != T_OML11 || e->flag != '1')
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
    cv_json_key(j, "labs");
    cv_json_array_begin(j);
    /* tab_lab is not in code order: walk the codes sorted */
    for (;;) {
        const struct labrow *next = NULL;
        const struct labtest *lt;
        char flag[2] = {0, 0};

        for (size_t t = 0; t < tab_lab_len && t < 64; t++)
            if (best[t].test >= 0 &&
                (!next || strcmp(tab_lab[t].code, tab_lab[next->test].code) < 0))
                next = &best[t];
        if (!next)
            break;
        lt = &tab_lab[next->test];
        cv_json_object_begin(j);
        cv_json_kv_string(j, "code", lt->code);
        cv_json_kv_string(j, "name", lt->name);
        lab_value_text(lt, next->value, buf, sizeof(buf));
        cv_json_kv_string(j, "value", buf);
        cv_json_kv_string(j, "unit", lt->unit);
        if (lt->qualitative)
            cv_json_kv_string(j, "range", "（−）");
        else {
            struct out o = {buf, 0, sizeof(buf) - 1, false, false};

            out_fix(&o, lt->lo[p->lite->sex == SEX_F], lt->dec);
            out_c(&o, '-');
            out_fix(&o, lt->hi[p->lite->sex == SEX_F], lt->dec);
            buf[o.len] = '\0';
            cv_json_kv_string(j, "range", buf);
        }
        flag[0] = lab_flag(lt, p->lite->sex, next->value);
        cv_json_kv_string(j, "flag", flag[0] ? flag : NULL);
        iso_min(buf, next->time);
        cv_json_kv_string(j, "time", buf);
        cv_json_object_end(j);
        best[next->test].test = -1;
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
        diet_text(d, text, sizeof(text));
        iso_date(date, day_of(d->start));
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
        iso_min(time, r->done);
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

enum cv_err manifest_patient(struct manifest *m, struct synth *s, const struct patient *p)
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
    put_demographics(&j, p, d);
    put_allergies(&j, p, a08 ? d : NULL);
    put_diagnoses(&j, s, p);
    if ((err = put_location(&j, s, p)))
        return err;
    put_medications(&j, s, p);
    put_labs(&j, p);
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

    iso_date(date, s->end_day);
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
enum cv_err manifest_finish(struct manifest *m, struct synth *s)
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
