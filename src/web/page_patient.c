/*
 * page_patient.c: the patient summary, on screen and for print: a banner with who this is,
 * the allergy box first (never "none" when nothing is recorded: only "no record, not
 * confirmed"), then location, contacts, diagnoses, current medications, labs with earlier
 * values beside them, diet, reports and admissions. Every look is audited before anything
 * is shown.
 */
#include "web_internal.h"

#include <chartvault/index.h>

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#define EARLIER_LABS 3

static const char *dash(const char *s)
{
    return s && *s ? s : "-";
}

bool web_patient_id_ok(const char *id)
{
    size_t n = strlen(id);

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];

        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

const char *web_sex_text(struct web_req *r, const char *sex)
{
    if (!sex)
        return "-";
    switch (sex[0]) {
    case 'M':
        return T(r, M_SEX_M);
    case 'F':
        return T(r, M_SEX_F);
    case 'O':
        return T(r, M_SEX_O);
    default:
        return T(r, M_SEX_U);
    }
}

/* Whole years from "YYYY-MM-DD" to today at the facility (the census's today); -1 when
 * unknown. */
int web_age(const char *birth)
{
    return cv_index_age(birth, NULL);
}

static void banner(struct web_req *r, const struct cv_patient *p)
{
    int age = web_age(p->birth_date);

    html(r,
         "<section class=\"banner\" aria-label=\"%s\"><span class=\"pname\">%s %s</span>"
         "<span class=\"pkana\">%s %s</span>",
         T(r, M_PATIENT), dash(p->name.family), p->name.given ? p->name.given : "",
         p->kana.family ? p->kana.family : "", p->kana.given ? p->kana.given : "");
    html(r, "<span class=\"field\"><b>%s</b>%s</span>", T(r, M_PATIENT_ID), p->id);
    html(r, "<span class=\"field\"><b>%s</b>%s", T(r, M_BIRTH), dash(p->birth_date));
    if (age >= 0)
        html(r, "（%d%s）", age, T(r, M_AGE_UNIT));
    html(r, "</span><span class=\"field\"><b>%s</b>%s</span>", T(r, M_SEX),
         web_sex_text(r, p->sex));
    html(r, "<span class=\"field\"><b>%s</b>%s%s</span></section>", T(r, M_BLOOD),
         p->blood_type ? p->blood_type : T(r, M_UNKNOWN), p->rh ? p->rh : "");
    if (p->pid3_mismatch)
        html(r, "<p class=\"warn\">%s</p>", T(r, M_PID3));
}

/* HL7 tables 0127 (allergen type) and 0128 (severity) in words; unknown codes as they are. */
static const char *allergy_code_text(struct web_req *r, const char *code)
{
    static const struct {
        const char *code;
        enum web_msg msg;
    } words[] = {
        {"DA", M_AL_DRUG},   {"FA", M_AL_FOOD},     {"EA", M_AL_ENV},   {"AA", M_AL_ANIMAL},
        {"PA", M_AL_PLANT},  {"LA", M_AL_POLLEN},   {"MA", M_AL_OTHER}, {"MC", M_AL_CONTRA},
        {"SV", M_AL_SEVERE}, {"MO", M_AL_MODERATE}, {"MI", M_AL_MILD},
    };

    for (size_t i = 0; code && i < CV_ARRAY_LEN(words); i++)
        if (strcmp(code, words[i].code) == 0)
            return T(r, words[i].msg);
    return code;
}

static void allergies(struct web_req *r, const struct cv_patient *p)
{
    if (!p->allergies_recorded || p->nallergies == 0) {
        html(r,
             "<section class=\"allergy none\" role=\"alert\"><h2>%s</h2>"
             "<p class=\"unconfirmed\">%s</p></section>",
             T(r, M_ALLERGY), T(r, M_ALLERGY_NONE));
        return;
    }
    html(r, "<section class=\"allergy\" role=\"alert\"><h2>&#9888; %s</h2><ul>", T(r, M_ALLERGY));
    for (size_t i = 0; i < p->nallergies; i++) {
        const struct cv_allergy *a = &p->allergies[i];

        html(r, "<li>%s", dash(a->allergen));
        if (a->type)
            html(r, " <small>(%s)</small>", allergy_code_text(r, a->type));
        if (a->severity)
            html(r, " <small>%s</small>", allergy_code_text(r, a->severity));
        if (a->reaction)
            html(r, " — %s", a->reaction);
        html(r, "</li>");
    }
    html(r, "</ul></section>");
}

static void location(struct web_req *r, const struct cv_patient *p)
{
    const struct cv_location *l = p->location;
    char t[32];

    html(r, "<h2>%s</h2>", T(r, M_LOCATION));
    if (!l) {
        html(r, "<p>%s</p>", T(r, M_NOT_ADMITTED));
        return;
    }
    html(r, "<p class=\"loc\"><b>%s %s</b> %s %s %s %s ", T(r, M_WARD), dash(l->ward), T(r, M_ROOM),
         dash(l->room), T(r, M_BED), dash(l->bed));
    html(r, "<br>%s: %s　%s: %s</p>", T(r, M_ADMITTED), web_when(l->admitted, t), T(r, M_ATTENDING),
         dash(p->attending));
    if (l->ward) {
        html(r, "<p class=\"actions\"><a class=\"button\" href=\"/ward/");
        html_url(r, l->ward);
        html(r, "\">%s</a><a class=\"button\" href=\"/ward/", T(r, M_CENSUS));
        html_url(r, l->ward);
        html(r, "/beds\">%s</a></p>", T(r, M_BEDMAP));
    }
}

static void phones(struct web_req *r, char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        html(r, "%s<a href=\"tel:%s\">%s</a>", i ? "、" : "", v[i], v[i]);
    if (n == 0)
        html(r, "-");
}

static void contacts(struct web_req *r, const struct cv_patient *p)
{
    html(r, "<h2>%s</h2><table><tr><th>%s</th><td>", T(r, M_CONTACTS), T(r, M_PHONE));
    phones(r, p->phones, p->nphones);
    html(r, "</td></tr><tr><th>%s</th><td>%s %s</td></tr>", T(r, M_ADDRESS),
         p->postcode ? p->postcode : "", dash(p->address));
    for (size_t i = 0; i < p->ncontacts; i++) {
        const struct cv_contact *c = &p->contacts[i];

        html(r, "<tr><th>%s</th><td>%s", T(r, M_KIN), dash(c->name));
        if (c->relationship)
            html(r, "（%s）", c->relationship);
        html(r, " ");
        phones(r, c->phones, c->nphones);
        html(r, "</td></tr>");
    }
    html(r, "</table>");
}

static void diagnoses(struct web_req *r, const struct cv_patient *p)
{
    html(r, "<h2>%s</h2>", T(r, M_DIAGNOSES));
    if (p->ndiagnoses == 0) {
        html(r, "<p>%s</p>", T(r, M_NONE_RECORDED));
        return;
    }
    html(r, "<table><tr><th>%s</th><th>ICD-10</th><th>%s</th></tr>", T(r, M_DIAG_NAME),
         T(r, M_ONSET));
    for (size_t i = 0; i < p->ndiagnoses; i++) {
        const struct cv_diagnosis *d = &p->diagnoses[i];

        html(r, "<tr><td>%s%s%s</td><td>%s</td><td>%s</td></tr>", dash(d->name),
             d->main ? " ★" : "", d->main ? T(r, M_MAIN) : "", dash(d->icd10), dash(d->onset));
    }
    html(r, "</table>");
}

static void medications(struct web_req *r, const struct cv_patient *p)
{
    html(r, "<h2>%s <small>(%s)</small></h2>", T(r, M_MEDS), p->as_of);
    if (p->nmedications == 0) {
        html(r, "<p>%s</p>", T(r, M_NONE_RECORDED));
        return;
    }
    html(r, "<table><tr><th></th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>",
         T(r, M_DRUG), T(r, M_DOSE), T(r, M_USAGE), T(r, M_START), T(r, M_DAYS));
    for (size_t i = 0; i < p->nmedications; i++) {
        const struct cv_medication *m = &p->medications[i];
        bool inj = m->kind && strcmp(m->kind, "injection") == 0;

        html(r, "<tr><td>%s</td><td>%s</td><td>%s %s</td><td>%s</td><td>%s</td><td>",
             T(r, inj ? M_INJECTION : M_PRESCRIPTION), dash(m->drug), dash(m->dose),
             m->unit ? m->unit : "", dash(m->usage), dash(m->start));
        if (m->days >= 0)
            html(r, "%d", m->days);
        else
            html(r, "%s", dash(m->end));
        html(r, "</td></tr>");
    }
    html(r, "</table>");
}

static void lab_value(struct web_req *r, const struct cv_lab *l)
{
    bool hl = l->flag && (strcmp(l->flag, "H") == 0 || strcmp(l->flag, "L") == 0);

    if (hl)
        html(r, "<span class=\"flag-%s\">%s %s</span>", l->flag, dash(l->value), l->flag);
    else
        html(r, "%s", dash(l->value));
}

static void lab_table(struct web_req *r, const struct cv_patient *p)
{
    html(r, "<h2>%s</h2>", T(r, M_LABS));
    if (p->nlabs == 0) {
        html(r, "<p>%s</p>", T(r, M_NONE_RECORDED));
        return;
    }
    html(r,
         "<table class=\"labs\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
         "<th>%s</th></tr>",
         T(r, M_TEST), T(r, M_VALUE), T(r, M_UNIT), T(r, M_RANGE), T(r, M_TIME), T(r, M_EARLIER));
    for (size_t i = 0; i < p->nlabs; i++) {
        const struct cv_lab_series *s = &p->labs[i];
        const struct cv_lab *l;
        char t[32];

        if (s->n == 0)
            continue;
        l = &s->results[0];
        html(r, "<tr><td>%s</td><td>", dash(l->name ? l->name : l->code));
        lab_value(r, l);
        html(r, "</td><td>%s</td><td>%s</td><td>%s</td><td class=\"earlier\">", dash(l->unit),
             dash(l->range), web_when(l->time, t));
        for (size_t k = 1; k < s->n && k <= EARLIER_LABS; k++) {
            char day[11];

            cv_strlcpy(day, dash(s->results[k].time), sizeof(day));
            html(r, "%s", k > 1 ? " / " : "");
            lab_value(r, &s->results[k]);
            html(r, " <small>(%s)</small>", day);
        }
        html(r, "</td></tr>");
    }
    html(r, "</table>");
}

static void diet_and_reports(struct web_req *r, const struct cv_patient *p)
{
    html(r, "<h2>%s</h2>", T(r, M_DIET));
    if (p->ndiet == 0)
        html(r, "<p>%s</p>", T(r, M_NONE_RECORDED));
    else
        html(r, "<ul class=\"diet\">");
    for (size_t i = 0; i < p->ndiet; i++)
        html(r, "<li>%s <small>(%s)</small></li>", dash(p->diet[i].text), dash(p->diet[i].start));
    if (p->ndiet)
        html(r, "</ul>");
    html(r, "<h2>%s</h2>", T(r, M_REPORTS));
    if (p->nreports == 0)
        html(r, "<p>%s</p>", T(r, M_NONE_RECORDED));
    for (size_t i = 0; i < p->nreports; i++) {
        const struct cv_report *rep = &p->reports[i];
        const char *k = rep->kind ? rep->kind : "";
        enum web_msg kind = strcmp(k, "endoscopy") == 0    ? M_ENDOSCOPY
                            : strcmp(k, "physiology") == 0 ? M_PHYSIOLOGY
                                                           : M_RADIOLOGY;

        char t[32];

        html(r, "<h3>%s <small>%s</small></h3><div class=\"report\">%s</div>", T(r, kind),
             web_when(rep->time, t), dash(rep->text));
    }
}

static void stays(struct web_req *r, const struct cv_patient *p)
{
    html(r, "<h2>%s</h2>", T(r, M_ADMISSIONS));
    if (p->nstays == 0) {
        html(r, "<p>%s</p>", T(r, M_NONE_RECORDED));
        return;
    }
    html(r, "<table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>", T(r, M_ADMITTED),
         T(r, M_DISCHARGED), T(r, M_WARD), T(r, M_ATTENDING));
    for (size_t i = 0; i < p->nstays; i++) {
        const struct cv_stay *s = &p->stays[i];
        char a[32], d[32];

        html(r, "<tr><td>%s</td><td>%s</td><td>%s %s-%s</td><td>%s</td></tr>",
             web_when(s->admitted, a), web_when(s->discharged, d), dash(s->ward), dash(s->room),
             dash(s->bed), dash(s->attending));
    }
    html(r, "</table>");
}

/* Everything below the page frame; the part that is cached. */
static void summary_body(struct web_req *r, const struct cv_patient *p, bool print)
{
    banner(r, p);
    allergies(r, p);
    html(r, "<p class=\"actions\">");
    if (print) {
        html(r, "<button class=\"primary\" type=\"button\" data-print>%s</button>", T(r, M_PRINT));
    } else {
        html(r, "<a class=\"button\" href=\"/patient/");
        html_url(r, p->id);
        html(r, "/print\">%s</a>", T(r, M_PRINT));
    }
    html(r, "</p>");
    location(r, p);
    contacts(r, p);
    diagnoses(r, p);
    medications(r, p);
    lab_table(r, p);
    diet_and_reports(r, p);
    stays(r, p);
}

static void summary(struct web_req *r, const struct cv_patient *p, bool print, const char *key)
{
    char title[200];
    size_t from;

    snprintf(title, sizeof(title), "%s %s", dash(p->name.family),
             p->name.given ? p->name.given : "");
    html_page_begin(r, title);
    from = r->out.len;
    summary_body(r, p, print);
    web_cache_put(r, key, title, from);
    html_page_end(r);
}

void web_page_patient(struct web_req *r, const char *id, bool print)
{
    struct cv_index *idx = web_data_index(r);
    struct cv_patient *p = NULL;
    struct web_fragment f = {0};
    enum cv_err err = CV_ENOENT;
    char key[120];

    snprintf(key, sizeof(key), "%s|%s", print ? "print" : "patient", id);
    if (web_patient_id_ok(id) && idx)
        err = web_cache_find(r, key, &f) ? CV_OK : cv_index_patient(idx, id, NULL, &p);
    if (err && err != CV_ENOENT)
        web_data_failed(r);
    /* the audit record is written before anything is shown, cached or not */
    if (!web_audit(r, print ? "print" : "view", err ? "not-found" : "ok", id, NULL)) {
        cv_patient_free(p);
        return;
    }
    if (err) {
        const char *why = NULL;

        html_message_page(r, MHD_HTTP_NOT_FOUND,
                          web_data_available(r, &why) ? M_NO_PATIENT : M_NO_DATA, id);
        return;
    }
    if (f.body) {
        html_page_begin(r, f.title);
        cv_buf_append(&r->out, f.body, f.n);
        html_page_end(r);
    } else {
        summary(r, p, print, key);
    }
    cv_patient_free(p);
}
