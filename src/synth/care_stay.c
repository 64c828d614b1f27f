/*
 * care_stay.c: what happens to a patient during each stay the bed simulation gave them:
 * the movement messages (admission, transfers, leave and return, discharge, and the ones
 * entered in error and cancelled), the admission diagnosis, the diet and its change, daily
 * injections, weekly ward prescriptions and the discharge prescription, blood tests on
 * admission and every few days, and the imaging the reason for admission calls for.
 */
#include "care.h"

#include <string.h>

static const uint8_t panel_ward[] = {L_TP,  L_ALB, L_TBIL, L_AST, L_ALT, L_LD, L_ALP,
                                     L_GGT, L_BUN, L_CRE,  L_UA,  L_NA,  L_K,  L_CL,
                                     L_CRP, L_GLU, L_WBC,  L_RBC, L_HB,  L_HT, L_PLT};

static int64_t stop_of(const struct synth *s, const struct stay *st)
{
    return st->discharge != NO_TIME ? st->discharge : sy_last_minute(s);
}

/* A movement message at t whose care date (PV1-44, EVN-6 or PV1-45) is the day of `care`. */
static void movement(struct synth *s, struct patient *p, int32_t k, int64_t t, int64_t care,
                     int type, int msg, int32_t aux, char flag)
{
    int e = sy_ev_add(s, p, t, type, msg, p->stays[k].dept, k, day_of(care));

    if (e >= 0) {
        p->ev.v[e].aux = aux;
        p->ev.v[e].flag = flag;
    }
}

static void plan_movements(struct synth *s, struct patient *p, int32_t k)
{
    const struct stay *st = &p->stays[k];

    int64_t ca = st->cancel_admit, ct = st->cancel_transfer, cd = st->cancel_discharge;

    if (ca != NO_TIME) {
        movement(s, p, k, ca, ca, T_ADT22, M_A01, 1, '0');
        movement(s, p, k, ca + 20, ca, T_ADT22, M_A11, 1, '0');
    }
    movement(s, p, k, st->admit, st->admit, T_ADT22, M_A01, 0, '1');
    if (ct != NO_TIME) {
        movement(s, p, k, ct, ct, T_ADT42, M_A02, -1, '0');
        movement(s, p, k, ct + 20, ct, T_ADT42, M_A12, -1, '0');
    }
    for (int i = 1; i < st->nseg; i++)
        movement(s, p, k, st->seg[i].from, st->seg[i].from, T_ADT42, M_A02, i, '1');
    if (st->leave_out != NO_TIME)
        movement(s, p, k, st->leave_out, st->leave_out, T_ADT31, M_A21, 0, '1');
    if (st->leave_in != NO_TIME)
        movement(s, p, k, st->leave_in, st->leave_in, T_ADT32, M_A22, 0, '1');
    if (cd != NO_TIME) {
        movement(s, p, k, cd, cd, T_ADT52, M_A03, 1, '0');
        movement(s, p, k, cd + 15, cd, T_ADT52, M_A13, 1, '0');
    }
    if (st->discharge != NO_TIME)
        movement(s, p, k, st->discharge, st->discharge, T_ADT52, M_A03, 0, '1');
}

/* The next meal (07:00, 12:00, 18:00) at least two hours after t. */
static int64_t next_meal(int64_t t)
{
    int64_t day = day_of(t + 120) * (int64_t)MIN_PER_DAY, m = t + 120 - day;

    if (m <= 7 * 60)
        return day + 7 * 60;
    if (m <= 12 * 60)
        return day + 12 * 60;
    if (m <= 18 * 60)
        return day + 18 * 60;
    return day + MIN_PER_DAY + 7 * 60;
}

static int diet_add(struct synth *s, struct patient *p, int32_t k, uint8_t diet, uint8_t comment,
                    int64_t t, int prev)
{
    const struct stay *st = &p->stays[k];
    struct dietord *d = PUSH(p, p->diet);
    int e;

    if (!d)
        return -1;
    d->diet = diet;
    d->comment = comment;
    d->stay = k;
    d->doctor = st->doctor;
    d->dept = st->dept;
    d->ordered = t;
    d->start = next_meal(t);
    e = sy_ev_add(s, p, t, T_OMD, M_O03, st->dept, (int32_t)(p->diet.n - 1), day_of(t));
    if (e < 0)
        return -1;
    if (prev >= 0) {
        memcpy(p->ev.v[e].order, p->ev.v[prev].order, 16);
        p->ev.v[e].act = A_CHANGE;
        sy_ev_supersede(p, prev, e);
    } else {
        sy_order_number(p, day_of(t), p->ev.v[e].order);
    }
    return e;
}

static void plan_diet(struct synth *s, struct patient *p, int32_t k)
{
    const struct stay *st = &p->stays[k];
    const struct reason *rs = &sy_tab_reason[st->reason];
    uint8_t d0 = rs->diet0, d1 = rs->diet1;
    int64_t change = st->admit + (2 + sy_rng_below(&p->rng, 3)) * MIN_PER_DAY;
    int e;

    if (sy_has_condition(p, "E119") && (d1 == DI_REG || d1 == DI_SOFT))
        d1 = DI_DM;
    else if (sy_has_condition(p, "N189") && d1 == DI_REG)
        d1 = DI_RENAL;
    e = diet_add(s, p, k, d0, 0, st->admit + 40, -1);
    change = day_of(change) * (int64_t)MIN_PER_DAY + 10 * 60 + sy_rng_below(&p->rng, 300);
    if (e < 0 || change >= stop_of(s, st))
        return;
    if (d1 != d0)
        diet_add(s, p, k, d1, 0, change, e);
    else if (sy_rng_pm(&p->rng, 300))
        diet_add(s, p, k, d0, (uint8_t)(1 + sy_rng_below(&p->rng, 4)), change, e);
}

static void plan_injections(struct synth *s, struct patient *p, int32_t k)
{
    const struct stay *st = &p->stays[k];
    const struct reason *rs = &sy_tab_reason[st->reason];
    int32_t day0 = day_of(st->admit);

    if (rs->iv == 0xff)
        return;
    for (int d = 0; d < rs->iv_days; d++) {
        const struct injection *ij = &sy_tab_inj[rs->iv];
        struct rx rx = {0};
        int ev;

        rx.kind = 1;
        rx.purpose = RXP_INJECTION;
        rx.dept = st->dept;
        rx.inout = 'I';
        rx.doctor = st->doctor;
        rx.stay = k;
        rx.inj = rs->iv;
        rx.ordered =
            d == 0 ? st->admit + 30
                   : (int64_t)(day0 + d - 1) * MIN_PER_DAY + 16 * 60 + sy_rng_below(&p->rng, 120);
        rx.start = d == 0 ? st->admit + 60 : (int64_t)(day0 + d) * MIN_PER_DAY + 10 * 60;
        rx.end = rx.start + (ij->hours ? ij->hours : 1) * 60 - (ij->hours >= 24 ? 1 : 0);
        if (rx.start >= stop_of(s, st))
            break;
        sy_rx_add(s, p, &rx, &ev);
    }
}

/* Chronic drugs plus the drug the reason for admission calls for, at most MAX_RX_DRUGS. */
static void stay_lines(struct patient *p, const struct reason *rs, bool discharge, struct rx *rx,
                       const int16_t *chronic_drugs, size_t nchronic)
{
    rx->nlines = 0;
    for (size_t i = 0; i < nchronic && rx->nlines < MAX_RX_DRUGS; i++) {
        rx->line[rx->nlines].drug = (uint16_t)chronic_drugs[i];
        rx->line[rx->nlines++].dose10 = sy_tab_drug[chronic_drugs[i]].dose10;
    }
    if (rs->drug && (!discharge || !rs->resolves) && rx->nlines < MAX_RX_DRUGS) {
        int d = sy_drug_find(rs->drug);
        bool dup = false;

        for (size_t i = 0; i < rx->nlines; i++)
            dup |= rx->line[i].drug == d;
        if (d >= 0 && !dup) {
            rx->line[rx->nlines].drug = (uint16_t)d;
            rx->line[rx->nlines++].dose10 = sy_tab_drug[d].dose10;
        }
    }
    (void)p;
}

static void plan_ward_rx(struct synth *s, struct patient *p, int32_t k)
{
    const int16_t *drugs = p->chronic_drug;
    size_t ndrugs = p->nchronic_drug;
    const struct stay *st = &p->stays[k];
    const struct reason *rs = &sy_tab_reason[st->reason];
    int32_t day0 = day_of(st->admit);
    struct rx rx = {0};
    int ev;

    rx.dept = st->dept;
    rx.inout = 'I';
    rx.doctor = st->doctor;
    rx.stay = k;
    rx.purpose = RXP_WARD;
    stay_lines(p, rs, false, &rx, drugs, ndrugs);
    if (!rx.nlines)
        return;
    for (int w = 0;; w++) {
        int32_t start = day0 + 1 + 7 * w;
        int64_t ordered = (int64_t)(start - 1) * MIN_PER_DAY + 14 * 60 + sy_rng_below(&p->rng, 180);

        if ((int64_t)start * MIN_PER_DAY >= stop_of(s, st))
            break;
        rx.ordered = ordered < st->admit + 90 ? st->admit + 90 : ordered;
        rx.start = (int64_t)start * MIN_PER_DAY + 7 * 60;
        rx.days = 7;
        rx.start_hour_only = sy_rng_pm(&p->rng, 500);
        sy_rx_add(s, p, &rx, &ev);
    }
    if (st->discharge == NO_TIME)
        return;
    stay_lines(p, rs, true, &rx, drugs, ndrugs);
    if (!rx.nlines)
        return;
    rx.purpose = RXP_DISCHARGE;
    rx.ordered = st->discharge - 120 > st->admit ? st->discharge - 120 : st->admit + 1;
    rx.start = (int64_t)(day_of(st->discharge) + 1) * MIN_PER_DAY + 7 * 60;
    rx.days = ndrugs ? 28 : 14;
    sy_rx_add(s, p, &rx, &ev);
}

static void plan_ward_labs(struct synth *s, struct patient *p, int32_t k)
{
    const struct stay *st = &p->stays[k];
    const struct reason *rs = &sy_tab_reason[st->reason];
    uint8_t tests[MAX_TESTS];
    size_t n = CV_ARRAY_LEN(panel_ward);
    int64_t stop = stop_of(s, st);
    int32_t day0 = day_of(st->admit);

    memcpy(tests, panel_ward, n);
    if (sy_has_condition(p, "I500") || strcmp(rs->icd10, "I509") == 0)
        tests[n++] = L_NTBNP;
    for (int d = 0;; d += 3 + (int)sy_rng_below(&p->rng, 2)) {
        struct lab lab = {0};
        int acute = rs->acute_labs ? (10 - d > 0 ? 10 - d : 0) : 0;

        lab.dept = st->dept;
        lab.inout = 'I';
        lab.doctor = st->doctor;
        lab.stay = k;
        lab.drawn = d == 0 ? st->admit + 30
                           : (int64_t)(day0 + d) * MIN_PER_DAY + 6 * 60 + sy_rng_below(&p->rng, 40);
        if (lab.drawn >= stop)
            break;
        lab.ordered = d == 0 ? st->admit + 20 : lab.drawn - 600 - sy_rng_below(&p->rng, 300);
        lab.resulted = lab.drawn + 90 + sy_rng_below(&p->rng, 150);
        sy_lab_add(s, p, &lab, tests, n, acute * (90 + (int)sy_rng_below(&p->rng, 60)),
                   acute * (500 + (int)sy_rng_below(&p->rng, 400)));
    }
}

/* The specimen an infection is cultured from: sputum for a chest infection, urine for a
 * urinary one; -1 for reasons without a culture. */
static int culture_specimen(const struct reason *rs)
{
    if (!rs->acute_labs)
        return -1;
    if (rs->icd10[0] == 'J')
        return CS_SPUTUM;
    if (strncmp(rs->icd10, "N39", 3) == 0 || strncmp(rs->icd10, "N10", 3) == 0)
        return CS_URINE;
    return -1;
}

static void add_culture(struct synth *s, struct patient *p, int32_t k, int spec, int64_t drawn)
{
    const struct stay *st = &p->stays[k];
    const struct culture_spec_info *cs = &sy_tab_culture_spec[spec];
    struct rng *r = &p->forms;
    struct culture *c = PUSH(p, p->cult);
    unsigned u = sy_rng_below(r, 10);
    int e;

    if (!c)
        return;
    c->spec = (uint8_t)spec;
    c->dept = st->dept;
    c->doctor = st->doctor;
    c->stay = k;
    c->drawn = drawn;
    c->resulted = drawn + 3 * MIN_PER_DAY + 60 * (int64_t)sy_rng_below(r, 8);
    c->norg = spec == CS_BLOOD ? 1 : u < 6 ? 1 : u < 9 ? 2 : 3;
    for (int i = 0; i < c->norg; i++) {
        struct culture_org *o = &c->org[i];
        unsigned at = sy_rng_below(r, cs->norgs);
        uint8_t pick;

        for (int j = 0; j < i; j++) /* a different organism each time (norg < norgs) */
            if (c->org[j].org == cs->orgs[at]) {
                at = (at + 1) % cs->norgs;
                j = -1;
            }
        pick = cs->orgs[at];
        o->org = pick;
        o->amount = (uint8_t)sy_rng_below(r, 3);
        o->ndrugs = sy_tab_organism[pick].ndrugs;
        for (int d = 0; d < o->ndrugs; d++) {
            unsigned v = sy_rng_below(r, 10);

            o->drug[d] = sy_tab_organism[pick].drugs[d];
            o->sir[d] = (uint8_t)(v < 7 ? 0 : v < 8 ? 1 : 2);
        }
    }
    e = sy_ev_add(s, p, c->resulted, T_OML11, M_R22C, st->dept, (int32_t)(p->cult.n - 1),
                  day_of(drawn));
    if (e >= 0)
        sy_order_number(p, day_of(drawn), p->ev.v[e].order);
}

/* Cultures of an infection: on admission (and blood for a third of them), and again a week
 * later in a long stay; each reported three days after it was drawn. */
static void plan_cultures(struct synth *s, struct patient *p, int32_t k)
{
    const struct stay *st = &p->stays[k];
    int spec = culture_specimen(&sy_tab_reason[st->reason]);
    int64_t stop = stop_of(s, st);

    if (spec < 0)
        return;
    add_culture(s, p, k, spec, st->admit + 40);
    if (sy_rng_pm(&p->forms, 330))
        add_culture(s, p, k, CS_BLOOD, st->admit + 45);
    if (st->admit + 7 * MIN_PER_DAY + 600 < stop)
        add_culture(s, p, k, spec, st->admit + 7 * MIN_PER_DAY + 300);
}

static void plan_ward_imaging(struct synth *s, struct patient *p, int32_t k)
{
    const struct stay *st = &p->stays[k];
    const struct reason *rs = &sy_tab_reason[st->reason];
    struct rad rad = {0};

    if (rs->exam == 0xff)
        return;
    rad.exam = rs->exam;
    rad.dept = st->dept;
    rad.inout = 'I';
    rad.doctor = st->doctor;
    rad.stay = k;
    rad.ordered = st->admit + 20;
    rad.done = st->admit + 60 + sy_rng_below(&p->rng, 120);
    rad.finding = rs->finding;
    sy_rad_add(s, p, &rad, rad.done + 30 + sy_rng_below(&p->rng, 200));
    if (rs->exam == EX_CXR && rs->acute_labs) {
        rad.ordered = st->admit + 6 * MIN_PER_DAY + sy_rng_below(&p->rng, 600);
        rad.done = rad.ordered + 60 + sy_rng_below(&p->rng, 120);
        rad.finding = "浸潤影は前回と比較して改善している。";
        if (rad.done + 240 < stop_of(s, st))
            sy_rad_add(s, p, &rad, rad.done + 30 + sy_rng_below(&p->rng, 200));
    }
}

void sy_plan_stays(struct synth *s, struct patient *p)
{
    for (size_t k = 0; k < p->nstays; k++) {
        const struct stay *st = &p->stays[k];
        const struct reason *rs = &sy_tab_reason[st->reason];
        int g;

        plan_movements(s, p, (int32_t)k);
        g = sy_diag_add(s, p, sy_dx_find(rs->icd10), st->dept, 'I', st->admit + 60,
                        day_of(st->admit), st->doctor);
        if (g >= 0 && rs->resolves && st->discharge != NO_TIME)
            p->diag.v[g].resolved = st->discharge + 30;
        plan_diet(s, p, (int32_t)k);
        plan_injections(s, p, (int32_t)k);
        plan_ward_rx(s, p, (int32_t)k);
        plan_ward_labs(s, p, (int32_t)k);
        plan_ward_imaging(s, p, (int32_t)k);
        plan_cultures(s, p, (int32_t)k);
    }
}
