/*
 * care_reg.c: the patient's registration record over time. The first ADT-00 comes just
 * before the first visit or admission; later ones when the patient moves, changes phone,
 * marries, is weighed on admission or has an allergy recorded, each turning the previous
 * ADT-00 into _2. Allergies change through ADT-61 (IAM with action A add, U update,
 * D delete) and the next ADT-00 carries the current list in AL1. The diagnosis list
 * (PPR-01) is written whenever a diagnosis is added or closed, each one replacing the last;
 * for a patient whose records came through an older gateway, each diagnosis order has its
 * own PPR-01 instead (replaced only by the next version of the same diagnosis).
 */
#include "care.h"

#include <stdlib.h>
#include <string.h>

enum point_kind { PT_UPDATE, PT_WEIGHED, PT_ALLERGY_ADD, PT_ALLERGY_UPD, PT_ALLERGY_DEL };
struct point {
    int64_t t;
    int kind;
};

static int cmp_point(const void *a, const void *b)
{
    const struct point *x = a, *y = b;

    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return (x->kind > y->kind) - (x->kind < y->kind);
}

static int64_t first_event(const struct synth *s, const struct patient *p)
{
    int64_t t = INT64_MAX;

    for (size_t i = 0; i < p->ev.n; i++)
        if (p->ev.v[i].t < t)
            t = p->ev.v[i].t;
    if (t == INT64_MAX)
        t = (int64_t)(p->lite->first < s->start_day ? s->start_day : p->lite->first) * MIN_PER_DAY +
            9 * 60;
    return t;
}

/* A new demographics version at t, a copy of the last; NULL when out of memory. */
static struct demo *demo_new(struct patient *p, int64_t t)
{
    struct demo *d = PUSH(p, p->demo);

    if (!d)
        return NULL;
    *d = p->demo.v[p->demo.n - 2];
    d->t = t;
    return d;
}

static int adt00(struct synth *s, struct patient *p, int prev)
{
    const struct demo *d = &p->demo.v[p->demo.n - 1];
    int e;

    if (p->no_adt00) /* the versions still say what other messages' PIDs carry */
        return prev;
    e = sy_ev_add(s, p, d->t, T_ADT00, M_A08, 0xff, (int32_t)(p->demo.n - 1), -1);

    sy_ev_supersede(p, prev, e);
    return e >= 0 ? e : prev;
}

static void change_demographics(struct patient *p, struct demo *d, int age)
{
    unsigned u = sy_rng_below(&p->rng, 1000);

    if (u < 300) {
        sy_move_house(&p->rng, d);
    } else if (u < 500 && d->mobile[0]) {
        snprintf(d->mobile, sizeof(d->mobile), "0%u0-%04u-%04u", 7 + sy_rng_below(&p->rng, 3),
                 sy_rng_below(&p->rng, 10000), sy_rng_below(&p->rng, 10000));
    } else if (u < 650 && p->lite->sex == SEX_F && age >= 20 && age <= 45) {
        d->family = &sy_tab_family[RNG_PICK(&p->rng, sy_tab_family, sy_tab_family_len, w)];
    } else if (u < 800 && d->ncontacts) {
        struct contact *c = &d->contacts[sy_rng_below(&p->rng, d->ncontacts)];

        snprintf(c->phone, sizeof(c->phone), "090-%04u-%04u", sy_rng_below(&p->rng, 10000),
                 sy_rng_below(&p->rng, 10000));
    } else if (d->height10) {
        int w = d->weight10 + sy_rng_range(&p->rng, -40, 40);

        d->weight10 = (uint16_t)(w < 20 ? 20 : w);
    } else {
        d->employer = d->employer >= 0 ? -1 : d->employer;
    }
}

static bool allergen_held(const struct patient *p, const struct demo *d, uint16_t k)
{
    for (size_t j = 0; j < d->nallergies; j++)
        if (p->allergy.v[d->allergies[j]].allergen == k)
            return true;
    return false;
}

static void allergy_op(struct synth *s, struct patient *p, struct demo *d, int kind, int64_t t)
{
    struct iam_msg *m;
    struct iam_op *op;
    size_t pick;

    if (kind != PT_ALLERGY_ADD && !d->nallergies)
        return;
    if (kind == PT_ALLERGY_ADD && d->nallergies >= CV_ARRAY_LEN(d->allergies))
        return;
    if (!(m = PUSH(p, p->iam)))
        return;
    op = &m->ops[m->nops++];
    if (kind == PT_ALLERGY_ADD) {
        struct allergy *a = PUSH(p, p->allergy);
        uint16_t k = (uint16_t)RNG_PICK(&p->rng, sy_tab_allergen, sy_tab_allergen_len, w);

        if (!a)
            return;
        for (size_t tries = 0; tries < sy_tab_allergen_len && allergen_held(p, d, k); tries++)
            k = (uint16_t)((k + 1) % sy_tab_allergen_len);
        a->allergen = k;
        a->severity = (uint8_t)sy_rng_below(&p->rng, 3);
        a->reaction = (uint8_t)sy_rng_below(&p->rng, (uint32_t)sy_tab_reaction_len);
        a->onset = day_of(t);
        op->action = 'A';
        op->a = *a;
        d->allergies[d->nallergies++] = (uint16_t)(p->allergy.n - 1);
    } else {
        pick = sy_rng_below(&p->rng, d->nallergies);
        op->a = p->allergy.v[d->allergies[pick]];
        if (kind == PT_ALLERGY_UPD) {
            struct allergy *a = PUSH(p, p->allergy);

            if (!a)
                return;
            op->action = 'U';
            op->a.severity = (uint8_t)((op->a.severity + 1) % 3);
            op->a.reaction = (uint8_t)sy_rng_below(&p->rng, (uint32_t)sy_tab_reaction_len);
            *a = op->a;
            d->allergies[pick] = (uint16_t)(p->allergy.n - 1);
        } else {
            op->action = 'D';
            d->allergies[pick] = d->allergies[--d->nallergies];
        }
    }
    sy_ev_add(s, p, t, T_ADT61, M_A60, 0xff, (int32_t)(p->iam.n - 1), -1);
}

static size_t registration_points(struct synth *s, struct patient *p, int64_t reg,
                                  struct point *pts, size_t cap)
{
    int64_t span = sy_last_minute(s) - reg - MIN_PER_DAY;
    size_t n = 0;
    unsigned u = sy_rng_below(&p->rng, 1000);
    int updates = u < 600 ? 0 : u < 880 ? 1 : 2;

    if (span <= 0)
        return 0;
    for (int i = 0; i < updates && n < cap; i++)
        pts[n++] =
            (struct point){reg + MIN_PER_DAY + (int64_t)(sy_rng_u64(&p->rng) % span), PT_UPDATE};
    for (size_t k = 0; k < p->nstays && n < cap; k++)
        if (sy_rng_pm(&p->rng, 250))
            pts[n++] = (struct point){p->stays[k].admit + 120, PT_WEIGHED};
    if (sy_rng_pm(&p->rng, 80) && n < cap)
        pts[n++] = (struct point){reg + MIN_PER_DAY + (int64_t)(sy_rng_u64(&p->rng) % span),
                                  PT_ALLERGY_ADD};
    if (sy_rng_pm(&p->rng, 40) && n < cap)
        pts[n++] = (struct point){reg + MIN_PER_DAY + (int64_t)(sy_rng_u64(&p->rng) % span),
                                  PT_ALLERGY_UPD};
    if (sy_rng_pm(&p->rng, 25) && n < cap)
        pts[n++] = (struct point){reg + MIN_PER_DAY + (int64_t)(sy_rng_u64(&p->rng) % span),
                                  PT_ALLERGY_DEL};
    qsort(pts, n, sizeof(pts[0]), cmp_point);
    return n;
}

static void first_iam(struct synth *s, struct patient *p, const struct demo *d)
{
    struct iam_msg *m;

    if (!d->nallergies || !sy_rng_pm(&p->rng, 500) || !(m = PUSH(p, p->iam)))
        return;
    for (size_t i = 0; i < d->nallergies && m->nops < MAX_IAM_OPS; i++) {
        m->ops[m->nops].action = 'A';
        m->ops[m->nops++].a = p->allergy.v[d->allergies[i]];
    }
    sy_ev_add(s, p, d->t + 2, T_ADT61, M_A60, 0xff, (int32_t)(p->iam.n - 1), -1);
}

void sy_plan_registration(struct synth *s, struct patient *p)
{
    struct point pts[32];
    int64_t reg = first_event(s, p) - 10 - sy_rng_below(&p->rng, 30);
    int32_t regday;
    size_t n;
    int last;

    if (reg < (int64_t)s->start_day * MIN_PER_DAY)
        reg = (int64_t)s->start_day * MIN_PER_DAY;
    if (!p->demo.n)
        return;
    regday = day_of(reg);
    p->demo.v[0].t = reg;
    for (size_t i = 0; i < p->nchronic; i++)
        sy_diag_add(s, p, sy_dx_find(sy_tab_condition[p->chronic[i]].icd10), p->chronic_dept, 'O',
                    reg + 20, regday - 100 - (int32_t)sy_rng_below(&p->rng, 5000),
                    p->chronic_doctor);
    last = p->no_adt00 ? -1 : sy_ev_add(s, p, reg, T_ADT00, M_A08, 0xff, 0, -1);
    first_iam(s, p, &p->demo.v[0]);
    n = registration_points(s, p, reg, pts, CV_ARRAY_LEN(pts));
    for (size_t i = 0; i < n; i++) {
        struct demo *d = demo_new(p, pts[i].t);

        if (!d)
            return;
        if (pts[i].kind == PT_UPDATE) {
            change_demographics(p, d, sy_age_at(p->lite->birth, day_of(pts[i].t)));
        } else if (pts[i].kind == PT_WEIGHED && d->height10) {
            int w = d->weight10 + sy_rng_range(&p->rng, -30, 20);

            d->weight10 = (uint16_t)(w < 20 ? 20 : w);
        } else if (pts[i].kind >= PT_ALLERGY_ADD) {
            allergy_op(s, p, d, pts[i].kind, pts[i].t);
            if (!sy_rng_pm(&p->rng, 500)) {
                /* the registration record is not touched this time: keep the version for
                 * the allergy list, written with the next update */
                d->t = pts[i].t;
                continue;
            }
            d->t = pts[i].t + 5;
        }
        last = adt00(s, p, last);
    }
}

/* ---- the diagnosis list ------------------------------------------------------------------- */

bool sy_diag_listed(const struct diag *g, int64_t t)
{
    return g->added <= t && (g->resolved == NO_TIME || g->resolved > t - 365LL * MIN_PER_DAY);
}

bool sy_diag_active(const struct diag *g, int64_t t)
{
    return g->added <= t && (g->resolved == NO_TIME || g->resolved > t);
}

/* The main diagnosis at t: the reason for the current stay, else the first chronic
 * condition, else the latest illness. */
int sy_diag_main(const struct synth *s, const struct patient *p, int64_t t)
{
    int32_t stay;
    int best = -1;

    if (sy_patient_bed_at(s, p, t, &stay) >= 0) {
        int dx = sy_dx_find(sy_tab_reason[p->stays[stay].reason].icd10);

        for (size_t i = 0; i < p->diag.n; i++)
            if (p->diag.v[i].dx == dx && sy_diag_active(&p->diag.v[i], t))
                return (int)i;
    }
    for (size_t i = 0; i < p->diag.n; i++) {
        const struct diag *g = &p->diag.v[i];

        if (!sy_diag_active(g, t))
            continue;
        if (sy_tab_dx[g->dx].kind == DXK_CHRONIC)
            return (int)i;
        if (best < 0 || g->added >= p->diag.v[best].added)
            best = (int)i;
    }
    return best;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* One file per diagnosis: written when it is added, and again when it is closed. */
static int ppr_file(struct synth *s, struct patient *p, int64_t t, int32_t only)
{
    struct ppr *r = PUSH(p, p->ppr);
    int main, e;

    if (!r)
        return -1;
    r->t = t;
    r->only = only;
    main = only >= 0 ? only : sy_diag_main(s, p, t);
    e = sy_ev_add(s, p, t, T_PPR01, M_ZD1, main >= 0 ? p->diag.v[main].dept : p->chronic_dept,
                  (int32_t)(p->ppr.n - 1), -1);
    if (e >= 0 && only >= 0)
        snprintf(p->ev.v[e].order, 16, "%015llu", (unsigned long long)p->diag.v[only].instance);
    return e;
}

static void split_diagnosis_files(struct synth *s, struct patient *p)
{
    for (size_t i = 0; i < p->diag.n; i++) {
        const struct diag *g = &p->diag.v[i];
        int e = ppr_file(s, p, g->added, (int32_t)i);

        if (g->resolved != NO_TIME)
            sy_ev_supersede(p, e, ppr_file(s, p, g->resolved, (int32_t)i));
    }
}

void sy_plan_diagnosis_list(struct synth *s, struct patient *p)
{
    int64_t *times;
    size_t n = 0;
    int last = -1;

    if (!p->diag.n || p->err)
        return;
    if (p->split_ppr) {
        split_diagnosis_files(s, p);
        return;
    }
    times = cv_calloc(p->diag.n * 2, sizeof(int64_t));
    if (!times) {
        p->err = cv_fail(CV_ENOMEM, "out of memory for a diagnosis list");
        return;
    }
    for (size_t i = 0; i < p->diag.n; i++) {
        times[n++] = p->diag.v[i].added;
        if (p->diag.v[i].resolved != NO_TIME)
            times[n++] = p->diag.v[i].resolved;
    }
    qsort(times, n, sizeof(int64_t), cmp_i64);
    for (size_t i = 0; i < n; i++) {
        int e;

        if (i && times[i] == times[i - 1])
            continue;
        e = ppr_file(s, p, times[i], -1);
        sy_ev_supersede(p, last, e);
        if (e >= 0)
            last = e;
    }
    cv_free(times);
}
