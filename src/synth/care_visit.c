/*
 * care_visit.c: the outpatient clinic. Patients with chronic conditions come back every 4
 * to 12 weeks for a prescription that lasts until the next visit, blood tests every few
 * visits and a yearly X-ray; everyone falls ill now and then and comes in with a cold, a
 * sprain or cystitis, gets a few days of medicine and a diagnosis that the doctor closes
 * at a later visit (or forgets to). No visits while in hospital or just after.
 */
#include "care.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t panel_clinic[] = {L_AST, L_ALT, L_GGT, L_BUN, L_CRE, L_UA, L_NA, L_K,
                                       L_CL,  L_CRP, L_WBC, L_RBC, L_HB,  L_HT, L_PLT};

static bool blocked(const struct patient *p, int32_t day)
{
    for (size_t k = 0; k < p->nstays; k++) {
        const struct stay *st = &p->stays[k];
        int32_t a = day_of(st->admit) - 1;
        int32_t b = st->discharge != NO_TIME ? day_of(st->discharge) + 3 : INT32_MAX;

        if (day >= a && day <= b)
            return true;
    }
    return false;
}

/* Clinics are open Monday to Friday. */
static int32_t clinic_day(const struct synth *s, int32_t day)
{
    int wd = weekday(day);

    if (wd == 6)
        day -= 1;
    else if (wd == 0)
        day += 1;
    if (day > s->end_day)
        day -= 3;
    return day;
}

static void visit_add(struct synth *s, struct patient *p, int32_t day, int acute)
{
    struct visit *v;
    int dept;

    day = clinic_day(s, day);
    if (day < s->start_day || day > s->end_day || day < p->lite->first || blocked(p, day))
        return;
    for (size_t i = 0; i < p->visit.n; i++)
        if (day_of(p->visit.v[i].t) == day)
            return;
    if (!(v = PUSH(p, p->visit)))
        return;
    v->t = (int64_t)day * MIN_PER_DAY + 8 * 60 + 30 + rng_below(&p->rng, 420);
    v->acute = (int16_t)acute;
    v->diag = -1;
    if (acute < 0) {
        v->dept = p->chronic_dept;
        v->doctor = p->chronic_doctor;
        return;
    }
    dept = tab_dx[dx_find(tab_acute[acute].icd10)].dept;
    if (dept == D_IM && age_at(p->lite->birth, day) < 15)
        dept = D_PED;
    v->dept = (uint8_t)dept;
    v->doctor = dept_doctor(s, p, dept);
}

static int pick_acute(struct patient *p, int age)
{
    uint32_t total = 0, pick;

    for (size_t i = 0; i < tab_acute_len; i++)
        if (age >= tab_acute[i].age_lo && age <= tab_acute[i].age_hi)
            total += tab_acute[i].w;
    pick = rng_below(&p->rng, total);
    for (size_t i = 0; i < tab_acute_len; i++)
        if (age >= tab_acute[i].age_lo && age <= tab_acute[i].age_hi) {
            if (pick < tab_acute[i].w)
                return (int)i;
            pick -= tab_acute[i].w;
        }
    return 0;
}

static int cmp_visit(const void *a, const void *b)
{
    const struct visit *x = a, *y = b;

    return (x->t > y->t) - (x->t < y->t);
}

static void schedule_visits(struct synth *s, struct patient *p)
{
    int32_t first = p->lite->first < s->start_day ? s->start_day : p->lite->first;
    int32_t span = s->end_day - first + 1;
    unsigned n;

    if (p->nchronic)
        for (int32_t d = first; d <= s->end_day;
             d += p->chronic_interval + rng_range(&p->rng, -3, 3))
            visit_add(s, p, d, -1);
    if (p->lite->profile == PR_RARE)
        n = 1 + rng_pm(&p->rng, 300);
    else
        n = (unsigned)((int64_t)span * (p->lite->profile == PR_OCCASIONAL ? 15 : 4) / 3650) +
            rng_pm(&p->rng, 500);
    for (unsigned i = 0; i < n; i++) {
        int32_t day = first + (int32_t)rng_below(&p->rng, (uint32_t)span);

        visit_add(s, p, day, pick_acute(p, age_at(p->lite->birth, day)));
    }
    if (!p->visit.n && !p->nstays)
        visit_add(s, p, first, pick_acute(p, age_at(p->lite->birth, first)));
    if (p->visit.n)
        qsort(p->visit.v, p->visit.n, sizeof(struct visit), cmp_visit);
}

/* A prescription, sometimes changed or cancelled minutes later as doctors do. */
static void clinic_rx(struct synth *s, struct patient *p, struct rx *rx)
{
    int e, c;

    rx_add(s, p, rx, &e);
    if (e < 0)
        return;
    if (rng_pm(&p->rng, 15)) {
        struct rx cancel = *rx;

        cancel.ordered += 5 + rng_below(&p->rng, 55);
        c = ev_add(s, p, cancel.ordered, T_OMP01, M_O11, rx->dept, p->ev.v[e].ref,
                   p->ev.v[e].care_day);
        ev_cancel(p, e, c);
    } else if (rng_pm(&p->rng, 20)) {
        struct rx change = *rx;
        int idx;

        change.ordered += 5 + rng_below(&p->rng, 25);
        change.line[0].dose10 = (uint16_t)(change.line[0].dose10 * 2);
        idx = rx_add(s, p, &change, &c);
        if (c >= 0 && idx >= 0) {
            memcpy(p->ev.v[c].order, p->ev.v[e].order, 16);
            p->ev.v[c].act = A_CHANGE;
            ev_supersede(p, e, c);
        }
    }
}

static void add_line(struct rx *rx, const char *name, int age)
{
    int d = name ? drug_find(name) : -1;

    if (d < 0 || rx->nlines >= MAX_RX_DRUGS)
        return;
    if (age < 12 && tab_drug[d].route == RT_PO && !tab_drug[d].form_code)
        return; /* children get powders */
    for (size_t i = 0; i < rx->nlines; i++)
        if (rx->line[i].drug == d)
            return;
    rx->line[rx->nlines].drug = (uint16_t)d;
    rx->line[rx->nlines++].dose10 = tab_drug[d].dose10;
}

static void clinic_labs(struct synth *s, struct patient *p, const struct visit *v, bool chronic)
{
    uint8_t tests[MAX_TESTS];
    size_t n = 0;
    struct lab lab = {0};

    if (chronic) {
        memcpy(tests, panel_clinic, sizeof(panel_clinic));
        n = sizeof(panel_clinic);
        if (has_condition(p, "E785")) {
            tests[n++] = L_TC;
            tests[n++] = L_TG;
            tests[n++] = L_HDL;
            tests[n++] = L_LDL;
        }
        if (has_condition(p, "E119")) {
            tests[n++] = L_GLU;
            tests[n++] = L_HBA1C;
        }
        if (has_condition(p, "I500"))
            tests[n++] = L_NTBNP;
        if (has_condition(p, "E119") || has_condition(p, "N189")) {
            tests[n++] = L_UPRO;
            tests[n++] = L_UGLU;
        }
    } else {
        static const uint8_t acute[] = {L_CRP, L_WBC, L_RBC, L_HB, L_HT, L_PLT, L_UPRO};

        memcpy(tests, acute, sizeof(acute));
        n = sizeof(acute);
    }
    lab.dept = v->dept;
    lab.inout = 'O';
    lab.doctor = v->doctor;
    lab.stay = -1;
    lab.ordered = v->t - 50;
    lab.drawn = v->t - 40 + rng_below(&p->rng, 15);
    lab.resulted = v->t + 20 + rng_below(&p->rng, 60);
    lab_add(s, p, &lab, tests, n, chronic ? 0 : 150 + (int)rng_below(&p->rng, 400),
            chronic ? 0 : 2000 + (int)rng_below(&p->rng, 3000));
}

static void clinic_imaging(struct synth *s, struct patient *p, const struct visit *v, int exam,
                           const char *finding)
{
    struct rad rad = {0};

    rad.exam = (uint8_t)exam;
    rad.dept = v->dept;
    rad.inout = 'O';
    rad.doctor = v->doctor;
    rad.stay = -1;
    rad.ordered = v->t + 5;
    rad.done = v->t + 20 + rng_below(&p->rng, 60);
    rad.finding = finding ? finding : tab_exam[exam].normal;
    rad_add(s, p, &rad, rad.done + 20 + rng_below(&p->rng, 180));
}

static void chronic_visit(struct synth *s, struct patient *p, size_t vi)
{
    const struct visit *v = &p->visit.v[vi];
    struct rx rx = {0};
    int days = p->chronic_interval + rng_range(&p->rng, 0, 7);

    rx.dept = v->dept;
    rx.inout = 'O';
    rx.doctor = v->doctor;
    rx.stay = -1;
    rx.ordered = v->t + 15 + rng_below(&p->rng, 25);
    rx.start = (int64_t)day_of(v->t) * MIN_PER_DAY;
    rx.days = (uint16_t)(days > 90 ? 90 : days);
    rx.start_hour_only = rng_pm(&p->rng, 500);
    for (size_t i = 0; i < p->nchronic_drug; i++) {
        rx.line[rx.nlines].drug = (uint16_t)p->chronic_drug[i];
        rx.line[rx.nlines++].dose10 = tab_drug[p->chronic_drug[i]].dose10;
    }
    if (rx.nlines)
        clinic_rx(s, p, &rx);
    if (rng_pm(&p->rng, vi == 0 ? 800 : 400))
        clinic_labs(s, p, v, true);
    if (rng_pm(&p->rng, 100))
        clinic_imaging(s, p, v, EX_CXR, NULL);
    else if (has_condition(p, "M179") && rng_pm(&p->rng, 50))
        clinic_imaging(s, p, v, EX_KNEEXR, NULL);
    else if (has_condition(p, "M819") && rng_pm(&p->rng, 80))
        clinic_imaging(s, p, v, EX_DXA, NULL);
}

static void acute_visit(struct synth *s, struct patient *p, size_t vi)
{
    struct visit *v = &p->visit.v[vi];
    const struct acute *a = &tab_acute[v->acute];
    int age = age_at(p->lite->birth, day_of(v->t));
    struct rx rx = {0};

    v->diag = (int16_t)diag_add(s, p, dx_find(a->icd10), v->dept, 'O', v->t + 20, day_of(v->t),
                                v->doctor);
    rx.dept = v->dept;
    rx.inout = 'O';
    rx.doctor = v->doctor;
    rx.stay = -1;
    rx.ordered = v->t + 15 + rng_below(&p->rng, 25);
    rx.start = (int64_t)day_of(v->t) * MIN_PER_DAY;
    rx.days = a->days;
    rx.start_hour_only = rng_pm(&p->rng, 500);
    add_line(&rx, a->drug1, age);
    add_line(&rx, a->drug2, age);
    if (!rx.nlines && age < 12)
        add_line(&rx, "カルボシステインＤＳ", age);
    if (rx.nlines)
        clinic_rx(s, p, &rx);
    if (a->labs && rng_pm(&p->rng, 500))
        clinic_labs(s, p, v, false);
    if (a->xray && rng_pm(&p->rng, 300))
        clinic_imaging(s, p, v, EX_CXR,
                       rng_pm(&p->rng, 400) ? "気管支壁の肥厚を認める。浸潤影なし。" : NULL);
}

/* An illness is closed at the first visit after it should be over, or by a doctor tidying
 * the list a month later; some stay open for ever, as in real records. */
static void close_acute(struct patient *p)
{
    for (size_t i = 0; i < p->visit.n; i++) {
        const struct visit *v = &p->visit.v[i];
        struct diag *g;
        int32_t over;

        if (v->acute < 0 || v->diag < 0)
            continue;
        g = &p->diag.v[v->diag];
        if (g->resolved != NO_TIME || g->added != v->t + 20)
            continue;
        over = day_of(v->t) + tab_acute[v->acute].days;
        for (size_t j = i + 1; j < p->visit.n && g->resolved == NO_TIME; j++)
            if (day_of(p->visit.v[j].t) >= over)
                g->resolved = p->visit.v[j].t + 25;
        if (g->resolved == NO_TIME && rng_pm(&p->rng, 500))
            g->resolved = (int64_t)(over + 30) * MIN_PER_DAY + 17 * 60;
    }
}

void plan_visits(struct synth *s, struct patient *p)
{
    schedule_visits(s, p);
    for (size_t i = 0; i < p->visit.n; i++) {
        ev_add(s, p, p->visit.v[i].t, T_ADT12, M_A04, p->visit.v[i].dept, (int32_t)i,
               day_of(p->visit.v[i].t));
        if (p->visit.v[i].acute < 0)
            chronic_visit(s, p, i);
        else
            acute_visit(s, p, i);
    }
    close_acute(p);
}
