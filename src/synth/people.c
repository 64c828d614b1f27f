/*
 * people.c: phase 1, the few facts about every patient that the hospital-wide bed
 * simulation needs before anyone's care is planned: sex, birth date, first contact with
 * the hospital, how much care they need, and their ID. A general hospital's patients are
 * older than the population: about half are over 65.
 */
#include "synth_internal.h"

int age_at(int32_t birth, int32_t day)
{
    int by, bm, bd, y, m, d, age;

    day_ymd(birth, &by, &bm, &bd);
    day_ymd(day, &y, &m, &d);
    age = y - by;
    if (m < bm || (m == bm && d < bd))
        age--;
    return age < 0 ? 0 : age;
}

/* Age at the end date: a hospital's mix, 0..100. */
static int draw_age(struct rng *r)
{
    unsigned u = rng_below(r, 1000);

    if (u < 100)
        return rng_range(r, 0, 14);
    if (u < 250)
        return rng_range(r, 15, 39);
    if (u < 530)
        return rng_range(r, 40, 64);
    if (u < 900)
        return rng_range(r, 65, 84);
    return rng_range(r, 85, 100);
}

static uint8_t draw_profile(struct rng *r, int age)
{
    unsigned chronic_pm = age < 15 ? 100 : age < 40 ? 200 : age < 65 ? 450 : 700;

    if (rng_pm(r, chronic_pm))
        return PR_CHRONIC;
    return rng_pm(r, 650) ? PR_OCCASIONAL : PR_RARE;
}

static void person_make(struct synth *s, struct person_lite *pl, struct rng *r)
{
    int age = draw_age(r);
    int32_t birth = s->end_day - age * 365 - age / 4 - (int32_t)rng_below(r, 365);
    int32_t span = s->end_day - s->start_day;

    if (birth > s->end_day)
        birth = s->end_day;
    if (age_at(birth, s->end_day) > 100)
        birth += 366;
    pl->birth = birth;
    pl->sex = rng_pm(r, 470) ? SEX_M : SEX_F;
    pl->profile = draw_profile(r, age);
    /* most are already patients when the window opens; the rest come later */
    if (rng_pm(r, 550))
        pl->first = s->start_day + (int32_t)rng_below(r, span < 90 ? (uint32_t)span + 1 : 90);
    else
        pl->first = s->start_day + (int32_t)rng_below(r, (uint32_t)span + 1);
    if (pl->first < birth)
        pl->first = birth + (int32_t)rng_below(r, 30);
    if (pl->first > s->end_day)
        pl->first = s->end_day;
    pl->frailty = (uint8_t)(1 + age / 8 + (pl->profile == PR_CHRONIC ? 4 : 0) + (age < 4 ? 3 : 0));
}

enum cv_err people_make(struct synth *s)
{
    struct rng ids;
    uint64_t next;

    s->people = cv_calloc(s->npatients, sizeof(*s->people));
    s->ids = cv_calloc(s->npatients, sizeof(*s->ids));
    if (!s->people || !s->ids)
        return cv_fail(CV_ENOMEM, "out of memory for %zu patients", s->npatients);
    /* IDs are handed out in order of registration over decades: ascending with gaps */
    rng_init(&ids, s->opt->seed, RS_PEOPLE, UINT64_MAX);
    next = 1000000 + rng_below(&ids, 200000);
    for (size_t i = 0; i < s->npatients; i++) {
        struct rng r;

        rng_init(&r, s->opt->seed, RS_PEOPLE, i);
        person_make(s, &s->people[i], &r);
        snprintf(s->ids[i], sizeof(s->ids[i]), "%010llu", (unsigned long long)next);
        next += 1 + rng_below(&ids, 40);
    }
    return CV_OK;
}
