/*
 * page_patient.c: the patient summary, on screen and for print: a banner with who this is
 * (and a warning when no registration record confirms it), the allergy box first (never
 * "none" when nothing is recorded: only "no record, not confirmed"), then location,
 * contacts, diagnoses (suspected ones marked, those only in older diagnosis files apart),
 * medications (current, recently ended, or a clear "nothing in N days"; an injection with
 * each of its drugs, rate, route and instructions), labs with earlier values beside them,
 * cultures with organisms and susceptibility, diet, reports and admissions. Every look is
 * audited before anything is shown.
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
    html(r, "<span class=\"field\"><b>%s</b>", T(r, M_BLOOD));
    if (!p->blood_type && !p->rh)
        html(r, "<span class=\"unreg\">%s</span>", T(r, M_NOT_REGISTERED));
    else if (!p->rh)
        html(r, "%s <span class=\"unreg\">(%s)</span>", p->blood_type, T(r, M_RH_NOT_REGISTERED));
    else
        html(r, "%s Rh%s", p->blood_type ? p->blood_type : T(r, M_NOT_REGISTERED), p->rh);
    html(r, "</span></section>");
    if (p->demographics_source && strcmp(p->demographics_source, "PID") == 0)
        html(r, "<p class=\"warn unconfirmed-id\" role=\"alert\">%s</p>", T(r, M_DEMO_UNCONFIRMED));
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

/* `older`: from older diagnosis files, whose main flag was true when they were written */
static void diagnosis_table(struct web_req *r, const struct cv_diagnosis *v, size_t n, bool older)
{
    html(r, "<table><tr><th>%s</th><th>ICD-10</th><th>%s</th><th>%s</th><th>%s</th></tr>",
         T(r, M_DIAG_NAME), T(r, M_ONSET), T(r, M_DIAG_START), T(r, M_ENDED));
    for (size_t i = 0; i < n; i++) {
        const struct cv_diagnosis *d = &v[i];
        bool odd = d->confirmation && !d->suspected && strcmp(d->confirmation, "0") != 0;

        html(r, "<tr><td>");
        if (d->suspected)
            html(r, "<span class=\"susp\">%s</span> ", T(r, M_SUSPECTED));
        html(r, "%s%s%s", dash(d->name), d->main ? " ★" : "",
             d->main ? T(r, older ? M_MAIN_THEN : M_MAIN) : "");
        if (odd) /* PRB-13 outside JHSD0005: as written */
            html(r, " <small>（%s: %s）</small>", T(r, M_CONFIRMATION), d->confirmation);
        html(r, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", dash(d->icd10),
             dash(d->onset), dash(d->start), dash(d->end));
    }
    html(r, "</table>");
}

static void diagnoses(struct web_req *r, const struct cv_patient *p)
{
    html(r, "<h2>%s</h2>", T(r, M_DIAGNOSES));
    if (p->ndiagnoses == 0)
        html(r, "<p>%s</p>", T(r, p->nolder_diagnoses ? M_DIAG_NONE_NEWEST : M_NONE_RECORDED));
    else
        diagnosis_table(r, p->diagnoses, p->ndiagnoses, false);
    if (p->nolder_diagnoses == 0)
        return;
    html(r, "<h3 class=\"older\">%s</h3><p class=\"note\">%s</p>", T(r, M_DIAG_OLDER),
         T(r, M_DIAG_OLDER_NOTE));
    diagnosis_table(r, p->older_diagnoses, p->nolder_diagnoses, true);
}

/* What is given: an injection's drugs one per line, base first, with their amounts. */
static void med_drug(struct web_req *r, const struct cv_medication *m)
{
    if (m->ncomps == 0) {
        html(r, "%s", dash(m->drug));
        return;
    }
    for (size_t k = 0; k < m->ncomps; k++) {
        const struct cv_component *c = &m->comps[k];

        if (k)
            html(r, "<br>");
        html(r, "%s", dash(c->name ? c->name : c->code));
        if (c->amount || c->unit)
            html(r, " %s%s", c->amount ? c->amount : "", c->unit ? c->unit : "");
        if (c->type && strcmp(c->type, "B") == 0)
            html(r, " <small>（%s）</small>", T(r, M_BASE));
    }
    if (m->order_type)
        html(r, "<br><small>%s</small>", m->order_type);
}

/* How: usage, route, rate, instructions, each when written. */
static void med_how(struct web_req *r, const struct cv_medication *m)
{
    const char *how[] = {m->usage, m->route, m->rate, m->instructions};
    bool any = false;

    for (size_t i = 0; i < CV_ARRAY_LEN(how); i++)
        if (how[i]) {
            if (any)
                html(r, "<br>");
            html(r, "%s", how[i]);
            any = true;
        }
    if (!any)
        html(r, "-");
}

static void medication_table(struct web_req *r, const struct cv_medication *v, size_t n)
{
    html(r,
         "<table class=\"meds\"><tr><th></th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
         "<th>%s</th></tr>",
         T(r, M_DRUG), T(r, M_DOSE), T(r, M_HOW), T(r, M_START), T(r, M_ENDED));
    for (size_t i = 0; i < n; i++) {
        const struct cv_medication *m = &v[i];
        bool inj = m->kind && strcmp(m->kind, "injection") == 0;
        char t[32];

        html(r, "<tr><td>%s</td><td>", T(r, inj ? M_INJECTION : M_PRESCRIPTION));
        med_drug(r, m);
        html(r, "</td><td>%s %s</td><td>", dash(m->dose), m->unit ? m->unit : "");
        med_how(r, m);
        html(r, "</td><td>%s</td><td>",
             m->start_time ? web_when(m->start_time, t) : dash(m->start));
        if (m->end_time)
            html(r, "%s", web_when(m->end_time, t));
        else
            html(r, "%s", dash(m->end));
        if (m->days >= 0)
            html(r, " <small>(%d%s)</small>", m->days, T(r, M_DAYS_UNIT));
        html(r, "</td></tr>");
    }
    html(r, "</table>");
}

/* Current ones, those about to start, then those that ended in the last N days; never a bare
 * "none" when the truth is "nothing on record lately". */
static void medications(struct web_req *r, const struct cv_patient *p)
{
    html(r, "<h2>%s <small>(%s)</small></h2>", T(r, M_MEDS), p->as_of);
    if (p->nmedications == 0 && p->nrecent_medications == 0 && p->nupcoming_medications == 0) {
        html(r, "<p class=\"nomeds\">%s%d%s</p>", T(r, M_MEDS_NONE_RECENT_A), p->recent_days,
             T(r, M_MEDS_NONE_RECENT_B));
        return;
    }
    if (p->nmedications == 0)
        html(r, "<p>%s</p>", T(r, M_MEDS_NONE_CURRENT));
    else
        medication_table(r, p->medications, p->nmedications);
    if (p->nupcoming_medications) {
        html(r, "<h3>%s</h3>", T(r, M_MEDS_UPCOMING));
        medication_table(r, p->upcoming_medications, p->nupcoming_medications);
    }
    if (p->nrecent_medications == 0)
        return;
    html(r, "<h3>%s <small>（%s%d%s）</small></h3>", T(r, M_MEDS_RECENT), T(r, M_LAST_DAYS_A),
         p->recent_days, T(r, M_LAST_DAYS_B));
    medication_table(r, p->recent_medications, p->nrecent_medications);
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

static void result_value(struct web_req *r, const struct cv_result *x)
{
    html(r, "%s%s%s", dash(x->value), x->unit ? " " : "", x->unit ? x->unit : "");
}

static void organism(struct web_req *r, const struct cv_organism *o)
{
    html(r, "<div class=\"organism\"><p><b>%s) %s</b>", o->group, dash(o->organism));
    for (size_t k = 0; k < o->ndetails; k++) {
        html(r, "　%s ", dash(o->details[k].name ? o->details[k].name : o->details[k].code));
        result_value(r, &o->details[k]);
    }
    html(r, "</p>");
    if (o->nsusceptibility == 0) {
        html(r, "</div>");
        return;
    }
    html(r, "<table class=\"sus\"><tr><th>%s</th><th>%s</th><th>%s</th></tr>",
         T(r, M_SUSCEPTIBILITY), T(r, M_MIC), T(r, M_SIR));
    for (size_t k = 0; k < o->nsusceptibility; k++) {
        const struct cv_result *x = &o->susceptibility[k];
        bool resistant = x->flag && strcmp(x->flag, "R") == 0;

        html(r, "<tr><td>%s</td><td>", dash(x->name ? x->name : x->code));
        result_value(r, x);
        if (resistant)
            html(r, "</td><td class=\"sir-R\">%s</td></tr>", x->flag);
        else
            html(r, "</td><td>%s</td></tr>", dash(x->flag));
    }
    html(r, "</table></div>");
}

/* The latest report of each culture test and specimen, whole; earlier ones beside it. */
static void cultures(struct web_req *r, const struct cv_patient *p)
{
    if (p->ncultures == 0)
        return; /* most patients have none: no empty section */
    html(r, "<h2>%s</h2>", T(r, M_CULTURES));
    for (size_t i = 0; i < p->ncultures; i++) {
        const struct cv_culture *c = &p->cultures[i];
        char t[32];

        html(r, "<section class=\"culture\"><h3>%s: %s <small>%s %s</small></h3>", T(r, M_SPECIMEN),
             dash(c->specimen), dash(c->test), web_when(c->time, t));
        for (size_t k = 0; k < c->nresults; k++) {
            html(r, "<p>%s: ", dash(c->results[k].name ? c->results[k].name : c->results[k].code));
            result_value(r, &c->results[k]);
            html(r, "</p>");
        }
        for (size_t k = 0; k < c->norganisms; k++)
            organism(r, &c->organisms[k]);
        for (size_t k = 0; k < c->nearlier; k++) {
            const struct cv_culture *e = &c->earlier[k];

            html(r, "<p class=\"earlier\">%s %s:", T(r, M_EARLIER_CULTURES), web_when(e->time, t));
            for (size_t g = 0; g < e->norganisms; g++)
                html(r, "%s%s", g ? "、" : " ", dash(e->organisms[g].organism));
            html(r, "</p>");
        }
        html(r, "</section>");
    }
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
    cultures(r, p);
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
