/*
 * care_person.c: who the patient is: name by sex and birth era, home address and phones,
 * next of kin that fit their age (parents for children, a spouse and children for the
 * old), blood type (Japanese ABO shares, Rh- 0.5%), height and weight, the chronic
 * conditions that bring them to the clinic with the drugs that go with them, their usual
 * lab values, and allergies known at registration. Then how the hospital's systems wrote
 * them: which blood-type codes, one diagnosis file per order, no registration record.
 */
#include "care.h"

#include <string.h>

static void phone_fixed(struct rng *r, const char *area, char out[16])
{
    unsigned a = 2 + sy_rng_below(r, 8), b = sy_rng_below(r, 10000);

    switch (strlen(area)) {
    case 2:
        snprintf(out, 16, "%s-%u%03u-%04u", area, a, sy_rng_below(r, 1000), b);
        break;
    case 4:
        snprintf(out, 16, "%s-%u%u-%04u", area, a, sy_rng_below(r, 10), b);
        break;
    default:
        snprintf(out, 16, "%s-%u%02u-%04u", area, a, sy_rng_below(r, 100), b);
    }
}

static void phone_mobile(struct rng *r, char out[16])
{
    static const char *const prefix[] = {"090", "080", "070"};

    snprintf(out, 16, "%s-%04u-%04u", prefix[sy_rng_below(r, 3)], sy_rng_below(r, 10000),
             sy_rng_below(r, 10000));
}

static const struct given_name *pick_given(struct rng *r, int sex, int year)
{
    size_t n;
    const struct given_name *g = sy_given_names(sex, sy_era_of_year(year), &n);

    return &g[RNG_PICK(r, g, n, w)];
}

static const struct family_name *pick_family(struct rng *r)
{
    return &sy_tab_family[RNG_PICK(r, sy_tab_family, sy_tab_family_len, w)];
}

void sy_move_house(struct rng *r, struct demo *d)
{
    const struct town *t;

    d->town = (uint16_t)RNG_PICK(r, sy_tab_town, sy_tab_town_len, w);
    t = &sy_tab_town[d->town];
    d->banchi[0] = (uint16_t)sy_rng_range(r, 1, 6);
    d->banchi[1] = (uint16_t)sy_rng_range(r, 1, 30);
    d->banchi[2] = (uint16_t)sy_rng_range(r, 1, 20);
    d->building = sy_rng_pm(r, 250) ? (int16_t)sy_rng_below(r, (uint32_t)sy_tab_building_len) : -1;
    d->room_no = (uint16_t)(sy_rng_range(r, 1, 8) * 100 + sy_rng_range(r, 1, 12));
    if (sy_rng_pm(r, 750))
        phone_fixed(r, t->area, d->home);
    else
        d->home[0] = '\0';
    sy_address_text(d, d->address, sizeof(d->address));
}

static void body(struct rng *r, int sex, int age, struct demo *d)
{
    int h, bmi;

    if (age < 1) {
        h = 500 + (int)sy_rng_below(r, 250);
        bmi = 150 + (int)sy_rng_below(r, 30);
    } else if (age < 18) {
        h = 750 + age * (sex == SEX_F ? 60 : 64) + sy_rng_gauss(r, 0, 40);
        if (h > (sex == SEX_F ? 1600 : 1720))
            h = sex == SEX_F ? 1600 : 1720;
        bmi = sy_rng_gauss(r, 170, 20);
    } else {
        h = sy_rng_gauss(r, sex == SEX_F ? 1580 : 1710, 60) - (age > 70 ? 30 : 0);
        bmi = sy_rng_gauss(r, sex == SEX_F ? 215 : 235, 30);
    }
    if (bmi < 130)
        bmi = 130;
    d->height10 = (uint16_t)h;
    d->weight10 = (uint16_t)((int64_t)bmi * h * h / 1000000);
}

static void contact_add(struct rng *r, struct demo *d, const struct family_name *family, int sex,
                        int year, int rel, bool same_address)
{
    struct contact *c;

    if (d->ncontacts >= MAX_CONTACTS)
        return;
    c = &d->contacts[d->ncontacts++];
    c->family = family;
    c->given = pick_given(r, sex, year);
    c->rel = (uint8_t)rel;
    c->same_address = same_address;
    phone_mobile(r, c->phone);
    if (sy_rng_pm(r, 200))
        phone_fixed(r, "054", c->work);
    else
        c->work[0] = '\0';
}

/* relation table rows, see places.c */
enum {
    R_WIFE,
    R_HUSBAND,
    R_SON,
    R_DAUGHTER,
    R_SON2,
    R_DAUGHTER2,
    R_MOTHER,
    R_FATHER,
    R_SISTER,
    R_BROTHER,
    R_GRANDCHILD
};

static void make_contacts(struct rng *r, struct demo *d, int sex, int age, int year)
{
    const struct family_name *other = pick_family(r);

    if (age < 18) {
        contact_add(r, d, d->family, SEX_F, year - 30, R_MOTHER, true);
        if (sy_rng_pm(r, 600))
            contact_add(r, d, d->family, SEX_M, year - 32, R_FATHER, true);
        return;
    }
    if (age < 65) {
        if (sy_rng_pm(r, 650))
            contact_add(r, d, d->family, sex == SEX_M ? SEX_F : SEX_M, year,
                        sex == SEX_M ? R_WIFE : R_HUSBAND, true);
        else if (age < 45)
            contact_add(r, d, d->family, SEX_F, year - 28, R_MOTHER, false);
        else
            contact_add(r, d, other, SEX_F, year - 3, R_SISTER, false);
        return;
    }
    if (sy_rng_pm(r, 550))
        contact_add(r, d, d->family, sex == SEX_M ? SEX_F : SEX_M, year,
                    sex == SEX_M ? R_WIFE : R_HUSBAND, true);
    if (sy_rng_pm(r, 500))
        contact_add(r, d, d->family, SEX_M, year + 30, R_SON, false);
    else
        contact_add(r, d, sy_rng_pm(r, 700) ? other : d->family, SEX_F, year + 30, R_DAUGHTER,
                    false);
    if (age >= 85 && sy_rng_pm(r, 300))
        contact_add(r, d, d->family, sy_rng_pm(r, 500) ? SEX_M : SEX_F, year + 58, R_GRANDCHILD,
                    false);
}

static void chronic_conditions(struct synth *s, struct patient *p, int age)
{
    int sexcode = p->lite->sex == SEX_M ? 1 : 2;
    static const uint16_t intervals[] = {28, 28, 28, 42, 42, 56, 56, 84};

    if (p->lite->profile != PR_CHRONIC)
        return;
    for (size_t i = 0; i < sy_tab_condition_len && p->nchronic < MAX_CHRONIC; i++) {
        const struct condition *c = &sy_tab_condition[i];
        unsigned pm = age >= 65 ? c->pm_old : age >= c->age_lo ? c->pm_mid : 0;

        if ((c->sex == 0 || c->sex == sexcode) && sy_rng_pm(&p->rng, pm))
            p->chronic[p->nchronic++] = (uint16_t)i;
    }
    if (!p->nchronic)
        p->chronic[p->nchronic++] = (uint16_t)(age >= 35  ? 0
                                               : age >= 5 ? 16
                                                          : 15); /* I10, J304, L209 */
    for (size_t i = 0; i < p->nchronic; i++) {
        const struct condition *c = &sy_tab_condition[p->chronic[i]];
        const char *names[2] = {c->drug1, sy_rng_pm(&p->rng, 400) ? c->drug2 : NULL};

        for (int k = 0; k < 2; k++) {
            int d = names[k] ? sy_drug_find(names[k]) : -1;
            bool dup = false;

            for (size_t j = 0; j < p->nchronic_drug; j++)
                dup |= p->chronic_drug[j] == d;
            if (d >= 0 && !dup && p->nchronic_drug < MAX_RX_DRUGS)
                p->chronic_drug[p->nchronic_drug++] = (int16_t)d;
        }
    }
    p->chronic_dept = sy_tab_dx[sy_dx_find(sy_tab_condition[p->chronic[0]].icd10)].dept;
    if (age < 15)
        p->chronic_dept = D_PED;
    p->chronic_doctor = sy_dept_doctor(s, p, p->chronic_dept);
    p->chronic_interval = intervals[sy_rng_below(&p->rng, CV_ARRAY_LEN(intervals))];
}

static void lab_baselines(struct patient *p, int age)
{
    int sex = p->lite->sex == SEX_F;

    for (size_t i = 0; i < sy_tab_lab_len && i < CV_ARRAY_LEN(p->baseline); i++) {
        const struct labtest *lt = &sy_tab_lab[i];
        int v = lt->qualitative ? 0 : sy_rng_gauss(&p->rng, lt->mean[sex], lt->sd);

        p->baseline[i] = v < 0 ? 0 : v;
    }
    if (sy_has_condition(p, "E119")) {
        p->baseline[L_GLU] += 45 + (int)sy_rng_below(&p->rng, 60);
        p->baseline[L_HBA1C] += 10 + (int)sy_rng_below(&p->rng, 20);
        p->baseline[L_UGLU] = (int)sy_rng_below(&p->rng, 3);
    }
    if (sy_has_condition(p, "N189")) {
        p->baseline[L_CRE] = p->baseline[L_CRE] * 2 + (int)sy_rng_below(&p->rng, 60);
        p->baseline[L_BUN] += 90;
        p->baseline[L_UPRO] = 1 + (int)sy_rng_below(&p->rng, 2);
    }
    if (sy_has_condition(p, "I500"))
        p->baseline[L_NTBNP] += 600 + (int)sy_rng_below(&p->rng, 1500);
    if (sy_has_condition(p, "E785")) {
        p->baseline[L_LDL] += 35;
        p->baseline[L_TC] += 35;
        p->baseline[L_TG] += 50;
    }
    if (sy_has_condition(p, "E790"))
        p->baseline[L_UA] += 20;
    if (age >= 75) {
        p->baseline[L_ALB] -= 4;
        p->baseline[L_HB] -= 12;
    }
}

static void first_allergies(struct patient *p, struct demo *d, int age)
{
    int n = sy_rng_pm(&p->rng, 200) ? (sy_rng_pm(&p->rng, 300) ? 2 : 1) : 0;

    for (int i = 0; i < n; i++) {
        struct allergy *a = PUSH(p, p->allergy);
        uint16_t k = (uint16_t)RNG_PICK(&p->rng, sy_tab_allergen, sy_tab_allergen_len, w);
        bool dup = false;

        if (!a)
            return;
        if (age < 15 && sy_tab_allergen[k].type[0] == 'D')
            k = (uint16_t)RNG_PICK(&p->rng, sy_tab_allergen, sy_tab_allergen_len, w);
        for (size_t j = 0; j < d->nallergies; j++)
            dup |= p->allergy.v[d->allergies[j]].allergen == k;
        if (dup) {
            p->allergy.n--;
            continue;
        }
        a->allergen = k;
        a->severity = (uint8_t)(sy_rng_pm(&p->rng, 500) ? 0 : sy_rng_pm(&p->rng, 700) ? 1 : 2);
        a->reaction = (uint8_t)sy_rng_below(&p->rng, (uint32_t)sy_tab_reaction_len);
        a->onset = p->lite->birth + (int32_t)sy_rng_below(&p->rng, (uint32_t)age * 365 + 1);
        d->allergies[d->nallergies++] = (uint16_t)(p->allergy.n - 1);
    }
}

void sy_plan_person(struct synth *s, struct patient *p)
{
    const struct person_lite *pl = p->lite;
    int first = pl->first < s->start_day ? s->start_day : pl->first;
    int age = sy_age_at(pl->birth, first), year, m, dd;
    unsigned u = sy_rng_below(&p->rng, 1000);
    struct demo *d = PUSH(p, p->demo);

    if (!d)
        return;
    sy_day_ymd(pl->birth, &year, &m, &dd);
    d->family = pick_family(&p->rng);
    d->given = pick_given(&p->rng, pl->sex, year);
    sy_move_house(&p->rng, d);
    if (age >= 12 && sy_rng_pm(&p->rng, 850))
        phone_mobile(&p->rng, d->mobile);
    d->employer = -1;
    if (age >= 22 && age < 65 && sy_rng_pm(&p->rng, 500)) {
        phone_fixed(&p->rng, sy_tab_town[d->town].area, d->work);
        if (sy_rng_pm(&p->rng, 400))
            d->employer = (int16_t)sy_rng_below(&p->rng, (uint32_t)sy_tab_employer_len);
    }
    if (sy_rng_pm(&p->rng, 850))
        body(&p->rng, pl->sex, age, d);
    make_contacts(&p->rng, d, pl->sex, age, year);
    p->blood = u < 150 ? 4 : u < 480 ? 0 : u < 670 ? 1 : u < 915 ? 2 : 3;
    p->rh_neg = p->blood != 4 && sy_rng_pm(&p->rng, 5);
    chronic_conditions(s, p, age);
    lab_baselines(p, age);
    first_allergies(p, d, age);
    /* how this patient's records were written (at least one of each in a small hospital) */
    p->blood_form = (uint8_t)sy_rng_below(&p->forms, 5);
    p->no_adt00 = s->npatients > 1 && (sy_rng_pm(&p->forms, 5) || p->idx % 100 == 7);
    p->split_ppr = sy_rng_pm(&p->forms, 40) || p->idx % 50 == 11;
}

/* Digits and hyphens of an address in full width, as Japanese registration screens keep
 * them. */
static void put_wide_number(char **w, char *end, unsigned v)
{
    char digits[12];
    int n = snprintf(digits, sizeof(digits), "%u", v);

    for (int i = 0; i < n && *w + 3 < end; i++) {
        /* U+FF10.. FULLWIDTH DIGIT: EF BC 90+d */
        *(*w)++ = (char)0xEF;
        *(*w)++ = (char)0xBC;
        *(*w)++ = (char)(0x90 + digits[i] - '0');
    }
}

void sy_address_text(const struct demo *d, char *buf, size_t n)
{
    const struct town *t = &sy_tab_town[d->town];
    char *w = buf, *end = buf + n;
    int len = snprintf(buf, n, "%s%s%s", t->pref, t->city, t->town);

    if (len < 0 || (size_t)len >= n)
        return;
    w += len;
    for (int i = 0; i < 3; i++) {
        if (i && w + 4 < end) {
            memcpy(w, "\xE2\x88\x92", 3); /* − U+2212 */
            w += 3;
        }
        put_wide_number(&w, end, d->banchi[i]);
    }
    if (d->building >= 0 && w + 4 < end) {
        len = snprintf(w, (size_t)(end - w), "\xE3\x80\x80%s", sy_tab_building[d->building]);
        if (len > 0 && len < end - w)
            w += len;
        put_wide_number(&w, end, d->room_no);
    }
    *w = '\0';
}
