/*
 * index_json.c: the patient object of `chartvault query patient --json`, key for key as
 * docs/CURRENT-STATE.md defines it (the synth manifest writes the same object, and tests
 * compare the two), so it lives in the library rather than in the CLI.
 */
#include "index_internal.h"

static void name_obj(struct cv_json *j, const char *key, const struct cv_name *n)
{
    cv_json_key(j, key);
    if (!n->family && !n->given) {
        cv_json_null(j);
        return;
    }
    cv_json_object_begin(j);
    cv_json_kv_string(j, "family", n->family);
    cv_json_kv_string(j, "given", n->given);
    cv_json_object_end(j);
}

static void string_list(struct cv_json *j, const char *key, char *const *v, size_t n)
{
    cv_json_key(j, key);
    cv_json_array_begin(j);
    for (size_t i = 0; i < n; i++)
        cv_json_string(j, v[i]);
    cv_json_array_end(j);
}

static void number_or_null(struct cv_json *j, const char *key, double v)
{
    cv_json_key(j, key);
    if (v < 0)
        cv_json_null(j);
    else
        cv_json_double(j, v);
}

static void contacts(struct cv_json *j, const struct cv_patient *p)
{
    cv_json_key(j, "contacts");
    cv_json_array_begin(j);
    for (size_t i = 0; i < p->ncontacts; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "name", p->contacts[i].name);
        cv_json_kv_string(j, "relationship", p->contacts[i].relationship);
        string_list(j, "phones", p->contacts[i].phones, p->contacts[i].nphones);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static void allergies(struct cv_json *j, const struct cv_patient *p)
{
    cv_json_kv_string(j, "allergy_status", p->allergies_recorded ? "recorded" : "none_recorded");
    cv_json_key(j, "allergies");
    cv_json_array_begin(j);
    for (size_t i = 0; i < p->nallergies; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "type", p->allergies[i].type);
        cv_json_kv_string(j, "allergen", p->allergies[i].allergen);
        cv_json_kv_string(j, "severity", p->allergies[i].severity);
        cv_json_kv_string(j, "reaction", p->allergies[i].reaction);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static void diagnosis_list(struct cv_json *j, const char *key, const struct cv_diagnosis *v,
                           size_t n)
{
    cv_json_key(j, key);
    cv_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "name", v[i].name);
        cv_json_kv_string(j, "icd10", v[i].icd10);
        cv_json_kv_string(j, "onset", v[i].onset);
        cv_json_kv_bool(j, "main", v[i].main);
        cv_json_kv_bool(j, "suspected", v[i].suspected);
        cv_json_kv_string(j, "confirmation", v[i].confirmation);
        cv_json_kv_string(j, "start", v[i].start);
        cv_json_kv_string(j, "end", v[i].end);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static void diagnoses(struct cv_json *j, const struct cv_patient *p)
{
    diagnosis_list(j, "diagnoses", p->diagnoses, p->ndiagnoses);
    diagnosis_list(j, "older_diagnoses", p->older_diagnoses, p->nolder_diagnoses);
}

static void location(struct cv_json *j, const struct cv_patient *p)
{
    cv_json_key(j, "location");
    if (!p->location) {
        cv_json_null(j);
    } else {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "ward", p->location->ward);
        cv_json_kv_string(j, "room", p->location->room);
        cv_json_kv_string(j, "bed", p->location->bed);
        cv_json_kv_string(j, "admitted", p->location->admitted);
        cv_json_object_end(j);
    }
    cv_json_kv_string(j, "attending", p->attending);
}

static void components(struct cv_json *j, const struct cv_medication *m)
{
    cv_json_key(j, "components");
    cv_json_array_begin(j);
    for (size_t i = 0; i < m->ncomps; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "type", m->comps[i].type);
        cv_json_kv_string(j, "name", m->comps[i].name);
        cv_json_kv_string(j, "code", m->comps[i].code);
        cv_json_kv_string(j, "amount", m->comps[i].amount);
        cv_json_kv_string(j, "unit", m->comps[i].unit);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static void medication_list(struct cv_json *j, const char *key, const struct cv_medication *v,
                            size_t n)
{
    cv_json_key(j, key);
    cv_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        const struct cv_medication *m = &v[i];

        cv_json_object_begin(j);
        cv_json_kv_string(j, "kind", m->kind);
        cv_json_kv_string(j, "drug", m->drug);
        cv_json_kv_string(j, "dose", m->dose);
        cv_json_kv_string(j, "unit", m->unit);
        cv_json_kv_string(j, "usage", m->usage);
        cv_json_kv_string(j, "start", m->start);
        cv_json_key(j, "days");
        if (m->days < 0)
            cv_json_null(j);
        else
            cv_json_int(j, m->days);
        cv_json_kv_string(j, "end", m->end);
        cv_json_kv_string(j, "start_time", m->start_time);
        cv_json_kv_string(j, "end_time", m->end_time);
        cv_json_kv_string(j, "route", m->route);
        cv_json_kv_string(j, "rate", m->rate);
        cv_json_kv_string(j, "instructions", m->instructions);
        cv_json_kv_string(j, "order_type", m->order_type);
        components(j, m);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static void medications(struct cv_json *j, const struct cv_patient *p)
{
    medication_list(j, "medications", p->medications, p->nmedications);
    medication_list(j, "recent_medications", p->recent_medications, p->nrecent_medications);
    medication_list(j, "upcoming_medications", p->upcoming_medications, p->nupcoming_medications);
    cv_json_kv_int(j, "recent_days", p->recent_days);
}

static void lab_results(struct cv_json *j, const struct cv_patient *p)
{
    cv_json_key(j, "labs");
    cv_json_array_begin(j);
    for (size_t i = 0; i < p->nlabs; i++) {
        const struct cv_lab *l = &p->labs[i].results[0];

        cv_json_object_begin(j);
        cv_json_kv_string(j, "code", l->code);
        cv_json_kv_string(j, "name", l->name);
        cv_json_kv_string(j, "value", l->value);
        cv_json_kv_string(j, "unit", l->unit);
        cv_json_kv_string(j, "range", l->range);
        cv_json_kv_string(j, "flag", l->flag);
        cv_json_kv_string(j, "time", l->time);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static void result_list(struct cv_json *j, const char *key, const struct cv_result *v, size_t n)
{
    cv_json_key(j, key);
    cv_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "sub_id", *v[i].sub_id ? v[i].sub_id : NULL);
        cv_json_kv_string(j, "code", v[i].code);
        cv_json_kv_string(j, "name", v[i].name);
        cv_json_kv_string(j, "value", v[i].value);
        cv_json_kv_string(j, "unit", v[i].unit);
        cv_json_kv_string(j, "flag", v[i].flag);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

static void culture(struct cv_json *j, const struct cv_culture *c)
{
    cv_json_object_begin(j);
    cv_json_kv_string(j, "test", c->test);
    cv_json_kv_string(j, "code", c->code);
    cv_json_kv_string(j, "specimen", c->specimen);
    cv_json_kv_string(j, "time", c->time);
    result_list(j, "results", c->results, c->nresults);
    cv_json_key(j, "organisms");
    cv_json_array_begin(j);
    for (size_t i = 0; i < c->norganisms; i++) {
        const struct cv_organism *o = &c->organisms[i];

        cv_json_object_begin(j);
        cv_json_kv_string(j, "group", o->group);
        cv_json_kv_string(j, "organism", o->organism);
        result_list(j, "details", o->details, o->ndetails);
        result_list(j, "susceptibility", o->susceptibility, o->nsusceptibility);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
    cv_json_key(j, "earlier");
    cv_json_array_begin(j);
    for (size_t i = 0; i < c->nearlier; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "time", c->earlier[i].time);
        cv_json_key(j, "organisms");
        cv_json_array_begin(j);
        for (size_t k = 0; k < c->earlier[i].norganisms; k++)
            cv_json_string(j, c->earlier[i].organisms[k].organism);
        cv_json_array_end(j);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
    cv_json_object_end(j);
}

static void cultures(struct cv_json *j, const struct cv_patient *p)
{
    cv_json_key(j, "cultures");
    cv_json_array_begin(j);
    for (size_t i = 0; i < p->ncultures; i++)
        culture(j, &p->cultures[i]);
    cv_json_array_end(j);
}

static void diet_and_reports(struct cv_json *j, const struct cv_patient *p)
{
    cv_json_key(j, "diet");
    cv_json_array_begin(j);
    for (size_t i = 0; i < p->ndiet; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "text", p->diet[i].text);
        cv_json_kv_string(j, "start", p->diet[i].start);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
    cv_json_key(j, "reports");
    cv_json_array_begin(j);
    for (size_t i = 0; i < p->nreports; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "kind", p->reports[i].kind);
        cv_json_kv_string(j, "text", p->reports[i].text);
        cv_json_kv_string(j, "time", p->reports[i].time);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
}

void cv_patient_to_json(const struct cv_patient *p, struct cv_json *j)
{
    cv_json_object_begin(j);
    cv_json_kv_string(j, "id", p->id);
    name_obj(j, "name", &p->name);
    name_obj(j, "kana", &p->kana);
    cv_json_kv_string(j, "demographics_source", p->demographics_source);
    cv_json_kv_string(j, "birth_date", p->birth_date);
    cv_json_kv_string(j, "sex", p->sex);
    cv_json_kv_string(j, "blood_type", p->blood_type);
    cv_json_kv_string(j, "rh", p->rh);
    number_or_null(j, "height_cm", p->height_cm);
    number_or_null(j, "weight_kg", p->weight_kg);
    cv_json_kv_string(j, "postcode", p->postcode);
    cv_json_kv_string(j, "address", p->address);
    string_list(j, "phones", p->phones, p->nphones);
    contacts(j, p);
    allergies(j, p);
    diagnoses(j, p);
    location(j, p);
    medications(j, p);
    lab_results(j, p);
    cultures(j, p);
    diet_and_reports(j, p);
    cv_json_kv_bool(j, "pid3_mismatch", p->pid3_mismatch);
    cv_json_object_end(j);
}
