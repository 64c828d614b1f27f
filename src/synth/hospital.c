/*
 * hospital.c: phase 2, one simulation of every admission, transfer, leave and discharge
 * over the whole care window, day by day, so that a bed is only ever given to a patient
 * after its previous occupant left it: within a day discharges (09:00-11:30) come before
 * transfers (11:00-12:59) and those before admissions (13:00-23:30), and every choice also
 * checks the bed's free-from time. Each day's admissions refill the wards to a target
 * occupancy that wanders between 83% and 92%, so that at the end date the census sits in
 * the 80-95% a real hospital runs at. A few admissions, transfers and discharges are
 * entered in error and cancelled, as clerks do.
 */
#include "synth_internal.h"

#include <string.h>

struct sim {
    struct synth *s;
    struct hospital *h;
    struct rng r;
    size_t cap;
    int32_t *next_dis, *next_tr; /* per stay: next in its day's list */
    int32_t *dis_head, *tr_head; /* per day of the window */
    size_t ndays;
    int32_t *last_out; /* per patient: day of the last discharge */
    uint8_t *in;       /* per patient: admitted now */
    size_t occupied;
    int target_pm;
    bool oom;
    int64_t *times;          /* scratch: admission times of a day */
    struct timed *transfers; /* scratch: transfers of a day */
};

struct timed {
    int64_t t;
    int32_t stay;
};

static struct stay *stay_new(struct sim *m)
{
    struct hospital *h = m->h;

    if (h->nstays == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        struct stay *v = cv_reallocarray(h->stays, cap, sizeof(*v));
        int32_t *a, *b;

        if (!v)
            goto out_oom;
        h->stays = v;
        a = cv_reallocarray(m->next_dis, cap, sizeof(*a));
        if (!a)
            goto out_oom;
        m->next_dis = a;
        b = cv_reallocarray(m->next_tr, cap, sizeof(*b));
        if (!b)
            goto out_oom;
        m->next_tr = b;
        m->cap = cap;
    }
    memset(&h->stays[h->nstays], 0, sizeof(struct stay));
    m->next_dis[h->nstays] = -1;
    m->next_tr[h->nstays] = -1;
    return &h->stays[h->nstays++];
out_oom:
    m->oom = true;
    return NULL;
}

static bool bed_free(const struct sim *m, uint32_t b, int64_t t, int32_t avoid_room_of)
{
    const struct bed *bed = &m->h->beds[b];

    return bed->stay < 0 && bed->free_from <= t &&
           (avoid_room_of < 0 || strcmp(bed->room, m->h->beds[avoid_room_of].room) != 0 ||
            bed->ward != m->h->beds[avoid_room_of].ward);
}

/* A random free bed of ward `w` at minute t, not in the room of bed `avoid_room_of`. */
static int32_t free_bed_in(struct sim *m, size_t w, int64_t t, int32_t avoid_room_of)
{
    const struct ward *wd = &m->h->wards[w];
    uint32_t nfree = 0, pick;

    for (uint32_t b = wd->first_bed; b < wd->first_bed + wd->nbeds; b++)
        nfree += bed_free(m, b, t, avoid_room_of);
    if (!nfree)
        return -1;
    pick = rng_below(&m->r, nfree);
    for (uint32_t b = wd->first_bed; b < wd->first_bed + wd->nbeds; b++)
        if (bed_free(m, b, t, avoid_room_of) && pick-- == 0)
            return (int32_t)b;
    return -1;
}

/* A free bed in ward `w`, else in any ward that takes overflow (never the ICU). */
static int32_t free_bed(struct sim *m, size_t w, int64_t t)
{
    size_t nw = m->h->nwards, start;
    int32_t b = free_bed_in(m, w, t, -1);

    if (b >= 0)
        return b;
    start = rng_below(&m->r, (uint32_t)nw);
    for (size_t k = 0; k < nw && b < 0; k++) {
        size_t i = (start + k) % nw;

        if (m->h->wards[i].kind != WK_ICU && i != w)
            b = free_bed_in(m, i, t, -1);
    }
    return b;
}

static void occupy(struct sim *m, struct stay *st, int32_t bed, int64_t t)
{
    struct seg *sg = &st->seg[st->nseg++];

    sg->bed = bed;
    sg->from = t;
    m->h->beds[bed].stay = (int32_t)(st - m->h->stays);
}

static void release(struct sim *m, int32_t bed, int64_t t)
{
    m->h->beds[bed].stay = -1;
    m->h->beds[bed].free_from = t;
}

static void schedule(struct sim *m, int32_t *head, int32_t *next, int32_t day, int32_t stay)
{
    int32_t i = day - m->s->start_day;

    if (i < 0 || (size_t)i >= m->ndays)
        return;
    next[stay] = head[i];
    head[i] = stay;
}

/* ---- one day ------------------------------------------------------------------------- */

static void discharge_day(struct sim *m, int32_t day)
{
    int32_t i = m->dis_head[day - m->s->start_day];

    for (; i >= 0; i = m->next_dis[i]) {
        struct stay *st = &m->h->stays[i];
        int64_t t = (int64_t)day * MIN_PER_DAY + 9 * 60 + rng_below(&m->r, 150);

        st->discharge = t;
        if (rng_pm(&m->r, 25))
            st->cancel_discharge = t - 30 - rng_below(&m->r, 60);
        release(m, st->seg[st->nseg - 1].bed, t);
        m->in[st->patient] = 0;
        m->last_out[st->patient] = day;
        m->occupied--;
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

static int cmp_timed(const void *a, const void *b)
{
    const struct timed *x = a, *y = b;

    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return (x->stay > y->stay) - (x->stay < y->stay);
}

/* Where a transfer goes: out of the ICU to the department's ward, else another room of the
 * same ward or another ward. */
static int32_t transfer_target(struct sim *m, const struct stay *st, int64_t t)
{
    int32_t cur = st->seg[st->nseg - 1].bed;
    size_t w = m->h->beds[cur].ward;

    if (m->h->wards[w].kind == WK_ICU)
        return free_bed(m, m->h->dept_ward[st->dept], t);
    if (rng_pm(&m->r, 500) || m->h->nwards == 1)
        return free_bed_in(m, w, t, cur);
    return free_bed_in(m, rng_below(&m->r, (uint32_t)m->h->nwards), t, cur);
}

static void transfer_day(struct sim *m, int32_t day)
{
    struct timed *order = m->transfers;
    size_t n = 0;

    /* time each transfer, then do them in time order */
    for (int32_t i = m->tr_head[day - m->s->start_day]; i >= 0 && n < m->h->nbeds;
         i = m->next_tr[i]) {
        order[n].t = (int64_t)day * MIN_PER_DAY + 11 * 60 + rng_below(&m->r, 120);
        order[n++].stay = i;
    }
    qsort(order, n, sizeof(order[0]), cmp_timed);
    for (size_t k = 0; k < n; k++) {
        struct stay *st = &m->h->stays[order[k].stay];
        int64_t t = order[k].t;
        int32_t to, from = st->seg[st->nseg - 1].bed;

        if (st->nseg >= MAX_SEGS || st->discharge != NO_TIME)
            continue;
        to = transfer_target(m, st, t);
        if (to < 0 || m->h->wards[m->h->beds[to].ward].kind == WK_ICU)
            continue;
        if (rng_pm(&m->r, 40) && st->cancel_transfer == NO_TIME) {
            int32_t wrong = free_bed_in(m, rng_below(&m->r, (uint32_t)m->h->nwards), t - 90, from);

            if (wrong >= 0 && wrong != to) {
                st->cancel_transfer = t - 90;
                st->cancel_transfer_bed = wrong;
            }
        }
        release(m, from, t);
        occupy(m, st, to, t);
    }
}

/* How likely patient i is to be admitted (0..20), 0 when they cannot be. */
static int admit_weight(struct sim *m, size_t i, int32_t day)
{
    const struct person_lite *p = &m->s->people[i];

    if (p->birth > day || p->first > day || m->in[i] || day - m->last_out[i] < 3)
        return 0;
    return p->frailty > 20 ? 20 : p->frailty;
}

static int32_t pick_patient(struct sim *m, int32_t day)
{
    for (int tries = 0; tries < 400; tries++) {
        size_t i = rng_below(&m->r, (uint32_t)m->s->npatients);
        int w = admit_weight(m, i, day);

        if (w && (int)rng_below(&m->r, 20) < w)
            return (int32_t)i;
    }
    return -1;
}

static int pick_reason(struct sim *m, size_t patient, int32_t day)
{
    const struct person_lite *p = &m->s->people[patient];
    int age = age_at(p->birth, day);
    uint32_t total = 0, pick;

    for (size_t k = 0; k < tab_reason_len; k++) {
        const struct reason *r = &tab_reason[k];

        if (age >= r->age_lo && age <= r->age_hi &&
            (r->sex == 0 || r->sex == (p->sex == SEX_M ? 1 : 2)))
            total += r->w;
    }
    if (!total)
        return 0;
    pick = rng_below(&m->r, total);
    for (size_t k = 0; k < tab_reason_len; k++) {
        const struct reason *r = &tab_reason[k];

        if (age >= r->age_lo && age <= r->age_hi &&
            (r->sex == 0 || r->sex == (p->sex == SEX_M ? 1 : 2))) {
            if (pick < r->w)
                return (int)k;
            pick -= r->w;
        }
    }
    return 0;
}

static int32_t icu_ward(const struct hospital *h)
{
    for (size_t i = 0; i < h->nwards; i++)
        if (h->wards[i].kind == WK_ICU)
            return (int32_t)i;
    return -1;
}

/* Plan the stay's movements: discharge, a transfer (always out of the ICU), a leave. */
static void plan_movements(struct sim *m, struct stay *st, int32_t day, int los, bool in_icu)
{
    int32_t id = (int32_t)(st - m->h->stays), tr_day = -1;

    schedule(m, m->dis_head, m->next_dis, day + los, id);
    if (in_icu)
        tr_day = day + 1 + (int32_t)rng_below(&m->r, 3);
    else if (los >= 4 && rng_pm(&m->r, 200))
        tr_day = day + 1 + (int32_t)rng_below(&m->r, (uint32_t)los - 2);
    if (tr_day > day && tr_day < day + los)
        schedule(m, m->tr_head, m->next_tr, tr_day, id);
    else
        tr_day = -1;
    if (tr_day < 0 && los >= 10 && rng_pm(&m->r, 150)) {
        int32_t out = day + 3 + (int32_t)rng_below(&m->r, (uint32_t)los - 6);
        int32_t back = out + 1 + (int32_t)rng_below(&m->r, 2);

        if (back < day + los && out <= m->s->end_day) {
            st->leave_out = (int64_t)out * MIN_PER_DAY + 10 * 60 + rng_below(&m->r, 240);
            st->leave_in = back > m->s->end_day
                               ? NO_TIME
                               : (int64_t)back * MIN_PER_DAY + 15 * 60 + rng_below(&m->r, 180);
        }
    }
}

static void admit(struct sim *m, int32_t day, int64_t t)
{
    int32_t patient = pick_patient(m, day), icu = icu_ward(m->h), bed = -1;
    const struct reason *rs;
    struct stay *st;
    bool in_icu = false;
    int reason, los;

    if (patient < 0)
        return;
    reason = pick_reason(m, (size_t)patient, day);
    rs = &tab_reason[reason];
    los = rng_range(&m->r, rs->los_lo, rs->los_hi);
    if (icu >= 0 && los >= 4 && rng_pm(&m->r, rs->icu_pm)) {
        bed = free_bed_in(m, (size_t)icu, t, -1);
        in_icu = bed >= 0;
    }
    if (bed < 0)
        bed = free_bed(m, m->h->dept_ward[rs->dept], t);
    if (bed < 0 || !(st = stay_new(m)))
        return;
    st->patient = (uint32_t)patient;
    st->reason = (uint8_t)reason;
    st->dept = rs->dept;
    st->emergency = rng_pm(&m->r, rs->emergency_pm);
    st->doctor = m->h->dept_doctors[rs->dept][rng_below(&m->r, m->h->dept_ndoctors[rs->dept])];
    st->admit = t;
    st->discharge = st->leave_out = st->leave_in = NO_TIME;
    st->cancel_admit = st->cancel_discharge = st->cancel_transfer = NO_TIME;
    st->cancel_admit_bed = st->cancel_transfer_bed = -1;
    if (rng_pm(&m->r, 20)) {
        int32_t wrong = free_bed(m, rng_below(&m->r, (uint32_t)m->h->nwards), t - 45);

        if (wrong >= 0 && wrong != bed) {
            st->cancel_admit = t - 45;
            st->cancel_admit_bed = wrong;
        }
    }
    occupy(m, st, bed, t);
    m->in[patient] = 1;
    m->occupied++;
    plan_movements(m, st, day, los, in_icu);
}

static void admission_day(struct sim *m, int32_t day)
{
    int64_t *times = m->times;
    size_t beds = m->h->nbeds, n, cap = 2 + beds / 5;
    long want;

    m->target_pm += rng_range(&m->r, -8, 8);
    if (m->target_pm < 830 || m->target_pm > 920)
        m->target_pm = 875;
    if (day == m->s->end_day)
        m->target_pm = rng_range(&m->r, 830, 920);
    want = (long)((beds * (size_t)m->target_pm + 500) / 1000) - (long)m->occupied;
    n = want < 0 ? 0 : (size_t)want;
    if (n > cap)
        n = cap;
    for (size_t k = 0; k < n; k++)
        times[k] = (int64_t)day * MIN_PER_DAY + 13 * 60 + rng_below(&m->r, 630);
    qsort(times, n, sizeof(times[0]), cmp_i64);
    for (size_t k = 0; k < n; k++)
        admit(m, day, times[k]);
}

/* ---- the whole window ------------------------------------------------------------------ */

static void sim_free(struct sim *m)
{
    cv_free(m->next_dis);
    cv_free(m->next_tr);
    cv_free(m->dis_head);
    cv_free(m->tr_head);
    cv_free(m->last_out);
    cv_free(m->in);
    cv_free(m->times);
    cv_free(m->transfers);
}

static enum cv_err sim_init(struct sim *m, struct synth *s)
{
    memset(m, 0, sizeof(*m));
    m->s = s;
    m->h = &s->h;
    rng_init(&m->r, s->opt->seed, RS_SIM, 0);
    m->ndays = (size_t)(s->end_day - s->start_day + 1);
    m->dis_head = cv_calloc(m->ndays, sizeof(int32_t));
    m->tr_head = cv_calloc(m->ndays, sizeof(int32_t));
    m->last_out = cv_calloc(s->npatients, sizeof(int32_t));
    m->in = cv_calloc(s->npatients, 1);
    m->times = cv_calloc(2 + s->h.nbeds / 5, sizeof(int64_t));
    m->transfers = cv_calloc(s->h.nbeds, sizeof(struct timed));
    if (!m->dis_head || !m->tr_head || !m->last_out || !m->in || !m->times || !m->transfers)
        return cv_fail(CV_ENOMEM, "out of memory for the bed simulation");
    for (size_t d = 0; d < m->ndays; d++)
        m->dis_head[d] = m->tr_head[d] = -1;
    for (size_t i = 0; i < s->npatients; i++)
        m->last_out[i] = INT32_MIN / 2;
    m->target_pm = 875;
    return CV_OK;
}

/* Order the stays by patient (a counting sort, which keeps each patient's stays in
 * admission order) and index where each patient's begin. */
static enum cv_err sort_stays(struct synth *s)
{
    struct hospital *h = &s->h;
    struct stay *sorted;
    uint32_t *fill;

    h->patient_first = cv_calloc(s->npatients + 1, sizeof(uint32_t));
    sorted = cv_calloc(h->nstays ? h->nstays : 1, sizeof(*sorted));
    fill = cv_calloc(s->npatients + 1, sizeof(uint32_t));
    if (!h->patient_first || !sorted || !fill) {
        cv_free(fill);
        cv_free(sorted);
        return cv_fail(CV_ENOMEM, "out of memory sorting %zu stays", h->nstays);
    }
    for (size_t i = 0; i < h->nstays; i++)
        h->patient_first[h->stays[i].patient + 1]++;
    for (size_t p = 0; p < s->npatients; p++)
        h->patient_first[p + 1] += h->patient_first[p];
    for (size_t i = 0; i < h->nstays; i++) {
        uint32_t p = h->stays[i].patient;

        sorted[h->patient_first[p] + fill[p]++] = h->stays[i];
    }
    cv_free(fill);
    cv_free(h->stays);
    h->stays = sorted;
    for (size_t b = 0; b < h->nbeds; b++)
        h->beds[b].stay = -1; /* indices into the old order; not needed any more */
    return CV_OK;
}

enum cv_err hospital_make(struct synth *s)
{
    struct rng r;
    struct sim m;
    enum cv_err err;

    rng_init(&r, s->opt->seed, RS_HOSPITAL, 0);
    s->h.name = &tab_hospital[rng_below(&r, (uint32_t)tab_hospital_len)];
    if ((err = make_wards(s)) || (err = make_doctors(s, &r)))
        return err;
    if ((err = sim_init(&m, s)))
        goto out_free_sim;
    for (int32_t day = s->start_day; day <= s->end_day && !m.oom; day++) {
        discharge_day(&m, day);
        transfer_day(&m, day);
        admission_day(&m, day);
    }
    if (m.oom)
        err = cv_fail(CV_ENOMEM, "out of memory for %zu stays", s->h.nstays);
    else
        err = sort_stays(s);
out_free_sim:
    sim_free(&m);
    return err;
}

const struct stay *patient_stays(const struct synth *s, uint32_t patient, size_t *n)
{
    const struct hospital *h = &s->h;

    *n = h->patient_first[patient + 1] - h->patient_first[patient];
    return *n ? &h->stays[h->patient_first[patient]] : NULL;
}
