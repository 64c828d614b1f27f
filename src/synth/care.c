/*
 * care.c: phase 3a, one patient's care plan as a list of events (one per SS-MIX2 file),
 * each pointing at what it carries (a demographics version, a stay, an order...). Updates
 * and cancels are decided here: a newer version of an order turns the older file into
 * _2, a cancel turns the original and the cancel message into _0. Events after the end of
 * the window never happen, so a result not back by then leaves its preliminary report
 * current. Finally the events are put in time order and given event times (milliseconds,
 * strictly increasing) and the writer quirks real systems have.
 */
#include "care.h"

#include <stdlib.h>
#include <string.h>

void *sy_push_(void **v, size_t *n, size_t *cap, size_t size, enum cv_err *err)
{
    void *e;

    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        void *nv = cv_reallocarray(*v, nc, size);

        if (!nv) {
            if (!*err)
                *err = cv_fail(CV_ENOMEM, "out of memory planning a patient's care");
            return NULL;
        }
        *v = nv;
        *cap = nc;
    }
    e = (char *)*v + (*n)++ * size;
    memset(e, 0, size);
    return e;
}

int64_t sy_last_minute(const struct synth *s)
{
    return s->end_min - 5;
}

int sy_ev_add(struct synth *s, struct patient *p, int64_t t, int type, int msg, int dept,
              int32_t ref, int32_t care_day)
{
    struct ev *e;
    unsigned u;

    if (t > sy_last_minute(s) || t < (int64_t)s->start_day * MIN_PER_DAY)
        return -1;
    e = PUSH(p, p->ev);
    if (!e)
        return -1;
    e->t = t;
    e->care_day = care_day;
    e->ref = ref;
    e->seq = (uint32_t)(p->ev.n - 1);
    e->type = (uint8_t)type;
    e->msg = (uint8_t)msg;
    e->dept = (uint8_t)dept;
    e->flag = '1';
    e->act = A_NEW;
    memcpy(e->order, "999999999999999", 16);
    u = sy_rng_below(&p->rng, 1000);
    e->msh7 = u < 550 ? 0 : u < 800 ? 1 : u < 920 ? 2 : u < 985 ? 3 : 4;
    u = sy_rng_below(&p->rng, 1000);
    e->ending = u < 880 ? 0 : u < 975 ? 1 : 2;
    return (int)(p->ev.n - 1);
}

void sy_ev_supersede(struct patient *p, int older, int newer)
{
    if (older >= 0 && newer >= 0)
        p->ev.v[older].flag = '2';
}

void sy_ev_cancel(struct patient *p, int orig, int cancel)
{
    if (orig >= 0 && cancel >= 0) {
        p->ev.v[orig].flag = '0';
        p->ev.v[cancel].flag = '0';
        p->ev.v[cancel].act = A_CANCEL;
        memcpy(p->ev.v[cancel].order, p->ev.v[orig].order, 16);
    }
}

/* 15 digits: the order date (YYMMDD), the patient's sequence number, a counter. */
void sy_order_number(struct patient *p, int32_t day, char out[16])
{
    int y, m, d;

    sy_day_ymd(day, &y, &m, &d);
    snprintf(out, 16, "%02u%02u%02u%06u%03u", (unsigned)y % 100u, (unsigned)m % 100u,
             (unsigned)d % 100u, (unsigned)(p->idx % 1000000), (unsigned)(p->order_seq++ % 1000));
}

uint16_t sy_dept_doctor(const struct synth *s, struct patient *p, int dept)
{
    return s->h.dept_doctors[dept][sy_rng_below(&p->rng, s->h.dept_ndoctors[dept])];
}

bool sy_has_condition(const struct patient *p, const char *icd10)
{
    for (size_t i = 0; i < p->nchronic; i++)
        if (strcmp(sy_tab_condition[p->chronic[i]].icd10, icd10) == 0)
            return true;
    return false;
}

/* ---- orders ------------------------------------------------------------------------------ */

int sy_rx_add(struct synth *s, struct patient *p, struct rx *proto, int *ev_out)
{
    struct rx *rx = PUSH(p, p->rx);
    int32_t idx, day = day_of(proto->ordered);
    int e;

    *ev_out = -1;
    if (!rx)
        return -1;
    *rx = *proto;
    idx = (int32_t)(p->rx.n - 1);
    e = sy_ev_add(s, p, proto->ordered, proto->kind ? T_OMP02 : T_OMP01, M_O11, proto->dept, idx,
                  day);
    if (e >= 0)
        sy_order_number(p, day, p->ev.v[e].order);
    *ev_out = e;
    return idx;
}

static int32_t lab_value(struct patient *p, int test, int acute)
{
    const struct labtest *lt = &sy_tab_lab[test];
    int32_t v = p->baseline[test];

    if (lt->qualitative) {
        v += sy_rng_pm(&p->rng, 100) ? 1 : 0;
        return v > 3 ? 3 : v;
    }
    v = sy_rng_gauss(&p->rng, v, lt->sd / 3 + 1) + acute;
    return v < 0 ? 0 : v;
}

/* Order `tests` for drawing at proto->drawn; the result comes at proto->resulted. */
int sy_lab_add(struct synth *s, struct patient *p, struct lab *proto, const uint8_t *tests,
               size_t ntests, int acute_crp, int acute_wbc)
{
    struct lab *lab = PUSH(p, p->lab);
    int32_t idx;
    int order, prelim = -1, fin;

    if (!lab)
        return -1;
    *lab = *proto;
    idx = (int32_t)(p->lab.n - 1);
    lab->ntests = 0;
    for (size_t i = 0; i < ntests && lab->ntests < MAX_TESTS; i++) {
        int t = tests[i];

        lab->test[lab->ntests] = (uint8_t)t;
        lab->value[lab->ntests] = lab_value(p, t,
                                            t == L_CRP   ? acute_crp
                                            : t == L_WBC ? acute_wbc
                                                         : 0);
        lab->prelim_missing[lab->ntests] = t == L_CRP || sy_rng_pm(&p->rng, 300);
        lab->ntests++;
    }
    if (lab->ntests)
        lab->prelim_missing[lab->ntests - 1] = false; /* a preliminary report has something */
    order = sy_ev_add(s, p, lab->ordered, T_OML01, M_O33, lab->dept, idx, day_of(lab->ordered));
    if (order < 0)
        return idx;
    sy_order_number(p, day_of(lab->ordered), p->ev.v[order].order);
    if (sy_rng_pm(&p->rng, 10)) { /* cancelled before drawing */
        int c = sy_ev_add(s, p, lab->ordered + 5 + sy_rng_below(&p->rng, 60), T_OML01, M_O33,
                          lab->dept, idx, day_of(lab->ordered));

        sy_ev_cancel(p, order, c);
        return idx;
    }
    if (sy_rng_pm(&p->rng, 60)) {
        prelim =
            sy_ev_add(s, p, lab->drawn + 60, T_OML11, M_R22, lab->dept, idx, day_of(lab->drawn));
        if (prelim >= 0) {
            p->ev.v[prelim].act = A_PRELIM;
            memcpy(p->ev.v[prelim].order, p->ev.v[order].order, 16);
        }
    }
    fin = sy_ev_add(s, p, lab->resulted, T_OML11, M_R22, lab->dept, idx, day_of(lab->drawn));
    if (fin >= 0) {
        p->ev.v[fin].act = A_FINAL;
        memcpy(p->ev.v[fin].order, p->ev.v[order].order, 16);
        sy_ev_supersede(p, prelim, fin);
    }
    return idx;
}

int sy_rad_add(struct synth *s, struct patient *p, struct rad *proto, int64_t reported)
{
    struct rad *rad = PUSH(p, p->rad);
    int32_t idx;
    int o, r;
    int y, m, d;

    if (!rad)
        return -1;
    *rad = *proto;
    idx = (int32_t)(p->rad.n - 1);
    sy_day_ymd(day_of(rad->ordered), &y, &m, &d);
    snprintf(rad->order13, sizeof(rad->order13), "%04d%02d%02d%05u", y, m, d,
             (unsigned)((p->idx * 37 + p->order_seq++) % 100000));
    o = sy_ev_add(s, p, rad->ordered, T_OMG01, M_O19, rad->dept, idx, day_of(rad->ordered));
    r = sy_ev_add(s, p, reported, T_OMG11, M_Z23, rad->dept, idx, day_of(rad->done));
    if (o >= 0)
        snprintf(p->ev.v[o].order, 16, "%s", rad->order13);
    if (r >= 0)
        snprintf(p->ev.v[r].order, 16, "%s", rad->order13);
    return idx;
}

int sy_diag_add(struct synth *s, struct patient *p, int dx, int dept, char inout, int64_t t,
                int32_t onset, uint16_t doctor)
{
    struct diag *g;

    (void)s;
    if (dx < 0)
        return -1;
    for (size_t i = 0; i < p->diag.n; i++)
        if (p->diag.v[i].dx == dx && p->diag.v[i].resolved == NO_TIME)
            return (int)i;
    g = PUSH(p, p->diag);
    if (!g)
        return -1;
    g->dx = (uint16_t)dx;
    g->dept = (uint8_t)dept;
    g->inout = (uint8_t)inout;
    g->onset = onset;
    g->added = t;
    g->resolved = NO_TIME;
    g->doctor = doctor;
    g->instance = (uint64_t)p->idx * 1000 + p->order_seq++ % 1000;
    g->suspected = sy_tab_dx[dx].kind != DXK_CHRONIC && sy_rng_pm(&p->forms, 120);
    return (int)(p->diag.n - 1);
}

/* ---- reading the plan back ------------------------------------------------------------- */

int32_t sy_patient_bed_at(const struct synth *s, const struct patient *p, int64_t t, int32_t *stay)
{
    (void)s;
    for (size_t k = 0; k < p->nstays; k++) {
        const struct stay *st = &p->stays[k];

        if (t < st->admit || (st->discharge != NO_TIME && t >= st->discharge))
            continue;
        if (stay)
            *stay = (int32_t)k;
        for (int i = st->nseg - 1; i >= 0; i--)
            if (st->seg[i].from <= t)
                return st->seg[i].bed;
        return st->seg[0].bed;
    }
    if (stay)
        *stay = -1;
    return -1;
}

const struct demo *sy_demo_at(const struct patient *p, int64_t t)
{
    size_t i = p->demo.n;

    while (i > 1 && p->demo.v[i - 1].t > t)
        i--;
    return &p->demo.v[i - 1];
}

static const char *const qualitative[] = {"（−）", "（±）", "（＋）", "（２＋）"};

void sy_lab_value_text(const struct labtest *lt, int32_t v, char *buf, size_t n)
{
    struct out o = {.p = buf, .cap = n - 1};

    if (lt->qualitative) {
        snprintf(buf, n, "%s", qualitative[v < 0 ? 0 : v > 3 ? 3 : v]);
        return;
    }
    sy_out_fix(&o, v, lt->dec);
    buf[o.len] = '\0';
}

char sy_lab_flag(const struct labtest *lt, int sex, int32_t v)
{
    int k = sex == SEX_F;

    if (lt->qualitative)
        return v >= 2 ? 'H' : 0;
    if (v < lt->lo[k])
        return 'L';
    if (v > lt->hi[k])
        return 'H';
    return 0;
}

/* Forget the previous patient entirely, keeping only the memory of the lists. */
void sy_patient_reset(struct patient *p)
{
    struct patient keep = *p;

    memset(p, 0, sizeof(*p));
#define KEEP(list) (p->list.v = keep.list.v, p->list.cap = keep.list.cap)
    KEEP(ev), KEEP(demo), KEEP(allergy), KEEP(iam), KEEP(diag), KEEP(ppr);
    KEEP(rx), KEEP(lab), KEEP(rad), KEEP(diet), KEEP(visit), KEEP(cult);
#undef KEEP
}

void sy_patient_free(struct patient *p)
{
    cv_free(p->ev.v);
    cv_free(p->demo.v);
    cv_free(p->allergy.v);
    cv_free(p->iam.v);
    cv_free(p->diag.v);
    cv_free(p->ppr.v);
    cv_free(p->rx.v);
    cv_free(p->lab.v);
    cv_free(p->rad.v);
    cv_free(p->diet.v);
    cv_free(p->visit.v);
    cv_free(p->cult.v);
    memset(p, 0, sizeof(*p));
}

/* ---- putting the plan in order ------------------------------------------------------------ */

static int cmp_ev(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Event times: a little after the clinical time, strictly increasing, never past the end. */
static void assign_times(struct synth *s, struct patient *p)
{
    int64_t last = INT64_MIN;

    qsort(p->ev.v, p->ev.n, sizeof(struct ev), cmp_ev);
    for (size_t i = 0; i < p->ev.n; i++) {
        struct ev *e = &p->ev.v[i];
        int64_t ms = e->t * 60000 + 1000 + sy_rng_below(&p->rng, 120000);

        if (ms <= last)
            ms = last + 1 + sy_rng_below(&p->rng, 900);
        if (ms > s->end_min * 60000 + 59999)
            ms = last + 1;
        e->ms = last = ms;
    }
}

/* A lab system that drops the leading zeros of IDs, and a message misfiled under the wrong
 * patient: PID-3 that does not match the folder. */
static void pid3_traps(struct synth *s, struct patient *p)
{
    if (sy_rng_pm(&p->rng, 15)) {
        for (size_t i = 0; i < p->ev.n; i++)
            if (p->ev.v[i].type == T_OML11)
                p->ev.v[i].pid3 = P3_UNPADDED;
    }
    /* at least one in every 50 patients, so that small test hospitals have some */
    if (s->npatients > 1 && p->ev.n > 1 && (sy_rng_pm(&p->rng, 8) || p->idx % 50 == 1)) {
        size_t i = 1 + sy_rng_below(&p->rng, (uint32_t)p->ev.n - 1);

        while (p->ev.v[i].type == T_ADT00 && i + 1 < p->ev.n)
            i++;
        if (p->ev.v[i].type != T_ADT00)
            p->ev.v[i].pid3 = P3_OTHER;
    }
}

enum cv_err sy_care_plan(struct synth *s, struct patient *p, uint32_t idx)
{
    sy_patient_reset(p);
    p->idx = idx;
    p->id = s->ids[idx];
    p->lite = &s->people[idx];
    sy_rng_init(&p->rng, s->opt->seed, RS_CARE, idx);
    sy_rng_init(&p->forms, s->opt->seed, RS_FORMS, idx);
    p->stays = sy_patient_stays(s, idx, &p->nstays);
    sy_plan_person(s, p);
    sy_plan_stays(s, p);
    sy_plan_visits(s, p);
    sy_plan_registration(s, p);
    sy_plan_diagnosis_list(s, p);
    if (p->err)
        return p->err;
    pid3_traps(s, p);
    assign_times(s, p);
    return CV_OK;
}
