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

static void diagnoses(struct cv_json *j, const struct cv_patient *p)
{
    cv_json_key(j, "diagnoses");
    cv_json_array_begin(j);
    for (size_t i = 0; i < p->ndiagnoses; i++) {
        cv_json_object_begin(j);
        cv_json_kv_string(j, "name", p->diagnoses[i].name);
        cv_json_kv_string(j, "icd10", p->diagnoses[i].icd10);
        cv_json_kv_string(j, "onset", p->diagnoses[i].onset);
        cv_json_kv_bool(j, "main", p->diagnoses[i].main);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
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

static void medications(struct cv_json *j, const struct cv_patient *p)
{
    cv_json_key(j, "medications");
    cv_json_array_begin(j);
    for (size_t i = 0; i < p->nmedications; i++) {
        const struct cv_medication *m = &p->medications[i];

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
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
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
    diet_and_reports(j, p);
    cv_json_kv_bool(j, "pid3_mismatch", p->pid3_mismatch);
    cv_json_object_end(j);
}
