/*
 * wards.c: the hospital's structure, sized to its number of patients: about one bed per 60
 * patients in wards of about 45 beds (3E, 3W, 4E ... as Japanese hospitals name them by
 * floor and wing), rooms of 4, 2 and 1 beds, an ICU in larger hospitals, pediatric and
 * maternity wards, and the doctors of each department.
 */
#include "synth_internal.h"

#include <string.h>

struct ward_template {
    const char *code;
    uint8_t kind, floor;
    uint32_t depts;
};
#define B(d) (1u << (d))
static const struct ward_template ward_tpl[] = {
    {"3E", WK_GENERAL, 3, B(D_IM) | B(D_DM) | B(D_NEU)},
    {"3W", WK_GENERAL, 3, B(D_CAR) | B(D_RES)},
    {"4E", WK_GENERAL, 4, B(D_GI) | B(D_SUR)},
    {"4W", WK_GENERAL, 4, B(D_ORT) | B(D_NSU)},
    {"5E", WK_PEDS, 5, B(D_PED)},
    {"5W", WK_OBST, 5, B(D_OBG) | B(D_URO) | B(D_OPH) | B(D_ENT) | B(D_DER)},
    {"ICU", WK_ICU, 2, 0},
    {"6E", WK_GENERAL, 6, B(D_IM) | B(D_RES) | B(D_NEU)},
    {"6W", WK_GENERAL, 6, B(D_SUR) | B(D_ORT) | B(D_URO)},
    {"7E", WK_GENERAL, 7, B(D_IM) | B(D_CAR)},
    {"7W", WK_GENERAL, 7, B(D_GI) | B(D_SUR)},
    {"8E", WK_GENERAL, 8, B(D_IM)},
    {"8W", WK_GENERAL, 8, B(D_ORT)},
    {"9E", WK_GENERAL, 9, B(D_IM) | B(D_NEU)},
    {"9W", WK_GENERAL, 9, B(D_SUR)},
};
#define ICU_BEDS 8

/* ---- layout -------------------------------------------------------------------------- */

static enum cv_err layout_ward(struct hospital *h, uint16_t w, uint32_t nbeds, int floor)
{
    static const uint8_t pattern[] = {4, 4, 4, 1, 4, 4, 2, 1};
    bool icu = h->wards[w].kind == WK_ICU;
    uint32_t left = nbeds;
    int room = 1;

    h->wards[w].first_bed = (uint32_t)h->nbeds;
    h->wards[w].nbeds = nbeds;
    for (size_t k = 0; left > 0; k++, room++) {
        uint32_t cap = icu ? 1 : pattern[k % sizeof(pattern)];

        if (cap > left)
            cap = left;
        for (uint32_t b = 0; b < cap; b++) {
            struct bed *bed = &h->beds[h->nbeds++];

            bed->ward = w;
            if ((size_t)snprintf(bed->room, sizeof(bed->room), "%d%02d", floor, room) >=
                    sizeof(bed->room) ||
                (size_t)snprintf(bed->label, sizeof(bed->label), "%u", b + 1) >= sizeof(bed->label))
                return cv_fail(CV_ETOOBIG, "ward %s: room %d%02d does not fit its label",
                               h->wards[w].code, floor, room);
            bed->stay = -1;
            bed->free_from = INT64_MIN;
        }
        left -= cap;
    }
    return CV_OK;
}

static enum cv_err ward_code(char *buf, size_t n, size_t i, int *floor)
{
    int len;

    if (i < CV_ARRAY_LEN(ward_tpl)) {
        *floor = ward_tpl[i].floor;
        len = snprintf(buf, n, "%s", ward_tpl[i].code);
    } else {
        *floor = 10 + (int)(i - CV_ARRAY_LEN(ward_tpl)) / 2;
        len = snprintf(buf, n, "%d%c", *floor, (i - CV_ARRAY_LEN(ward_tpl)) % 2 ? 'W' : 'E');
    }
    if (len < 0 || (size_t)len >= n)
        return cv_fail(CV_ETOOBIG, "ward %zu: its code does not fit %zu bytes", i, n - 1);
    return CV_OK;
}

enum cv_err sy_make_wards(struct synth *s)
{
    struct hospital *h = &s->h;
    uint32_t beds = (uint32_t)(s->npatients / 60);
    size_t nw, ngeneral;
    bool icu;

    if (beds < 8)
        beds = 8;
    nw = (beds + 22) / 45;
    if (nw < 1)
        nw = 1;
    icu = nw >= 7;
    ngeneral = nw - (icu ? 1 : 0);
    h->wards = cv_calloc(nw, sizeof(*h->wards));
    h->beds = cv_calloc(beds + 8, sizeof(*h->beds));
    if (!h->wards || !h->beds)
        return cv_fail(CV_ENOMEM, "out of memory for %u beds", beds);
    h->nwards = nw;
    for (size_t i = 0; i < nw; i++) {
        uint32_t share = icu ? beds - ICU_BEDS : beds;
        uint32_t n = share / (uint32_t)ngeneral;
        int floor;
        enum cv_err err = ward_code(h->wards[i].code, sizeof(h->wards[i].code), i, &floor);

        if (err)
            return err;
        h->wards[i].kind = i < CV_ARRAY_LEN(ward_tpl) ? ward_tpl[i].kind : WK_GENERAL;
        h->wards[i].dept_mask = i < CV_ARRAY_LEN(ward_tpl) ? ward_tpl[i].depts : ~0u;
        if (nw == 1) {
            h->wards[i].kind = WK_GENERAL;
            h->wards[i].dept_mask = ~0u;
        }
        if (h->wards[i].kind == WK_ICU)
            n = ICU_BEDS;
        else if (i == 0)
            n += share % (uint32_t)ngeneral;
        err = layout_ward(h, (uint16_t)i, n, floor);
        if (err)
            return err;
    }
    for (int d = 0; d < D_COUNT; d++) {
        h->dept_ward[d] = 0;
        for (size_t i = 0; i < nw; i++)
            if (h->wards[i].dept_mask & B(d)) {
                h->dept_ward[d] = (uint16_t)i;
                break;
            }
    }
    return CV_OK;
}

enum cv_err sy_make_doctors(struct synth *s, struct rng *r)
{
    struct hospital *h = &s->h;
    size_t per = s->npatients / 3000;

    if (per < 1)
        per = 1;
    if (per > 6)
        per = 6;
    h->doctors = cv_calloc(D_COUNT * per, sizeof(*h->doctors));
    if (!h->doctors)
        return cv_fail(CV_ENOMEM, "out of memory for doctors");
    for (int d = 0; d < D_COUNT; d++)
        for (size_t k = 0; k < per; k++) {
            struct doctor *doc = &h->doctors[h->ndoctors];
            size_t ng;
            const struct given_name *g;

            g = sy_given_names(sy_rng_pm(r, 250) ? SEX_F : SEX_M,
                               sy_rng_pm(r, 500) ? ERA_1965 : ERA_1985, &ng);
            if ((size_t)snprintf(doc->id, sizeof(doc->id), "%d", 100 + d * 20 + (int)k) >=
                sizeof(doc->id))
                return cv_fail(CV_ETOOBIG, "doctor number %d does not fit its ID",
                               100 + d * 20 + (int)k);
            doc->family = &sy_tab_family[RNG_PICK(r, sy_tab_family, sy_tab_family_len, w)];
            doc->given = &g[RNG_PICK(r, g, ng, w)];
            doc->dept = (uint8_t)d;
            h->dept_doctors[d][h->dept_ndoctors[d]++] = (uint16_t)h->ndoctors;
            h->ndoctors++;
        }
    return CV_OK;
}

void sy_hospital_free(struct hospital *h)
{
    cv_free(h->wards);
    cv_free(h->beds);
    cv_free(h->doctors);
    cv_free(h->stays);
    cv_free(h->patient_first);
    memset(h, 0, sizeof(*h));
}
