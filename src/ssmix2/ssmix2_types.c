/*
 * ssmix2_types.c: the SS-MIX2 data-type table (which HL7 events are stored in which folder,
 * which of them cancel, which are dated) and the JAMI care-date table (which field holds the
 * care date of each event), as published with the standard and in
 * corpus/nho-ssmix2-samples/segment-dictionaries/SSMIX_CAREDATE.json.
 */
#include <chartvault/ssmix2.h>

#include <string.h>

static const struct cv_ssmix2_type types[] = {
    {"ADT-00", "demographics", "患者基本情報", "ADT^A08 ADT^A23 ADT^A28 ADT^A31", "ADT^A23", false},
    {"ADT-01", "attending doctor", "担当医", "ADT^A54 ADT^A55", "ADT^A55", false},
    {"ADT-12", "outpatient visit", "外来受診", "ADT^A04 ADT^A11", "ADT^A11", true},
    {"ADT-21", "planned admission", "入院予定", "ADT^A14 ADT^A27", "ADT^A27", true},
    {"ADT-22", "admission", "入院", "ADT^A01 ADT^A11", "ADT^A11", true},
    {"ADT-31", "leave", "外出泊", "ADT^A21 ADT^A52", "ADT^A52", true},
    {"ADT-32", "return from leave", "外出泊帰院", "ADT^A22 ADT^A53", "ADT^A53", true},
    {"ADT-41", "planned transfer", "転科・転棟予定", "ADT^A15 ADT^A26", "ADT^A26", true},
    {"ADT-42", "transfer", "転科・転棟", "ADT^A02 ADT^A12", "ADT^A12", true},
    {"ADT-51", "planned discharge", "退院予定", "ADT^A16 ADT^A25", "ADT^A25", true},
    {"ADT-52", "discharge", "退院", "ADT^A03 ADT^A13", "ADT^A13", true},
    {"ADT-61", "allergies", "アレルギー", "ADT^A60", "", false},
    {"PPR-01", "diagnoses", "病名", "PPR^ZD1", "", false},
    {"OMD", "diet order", "食事オーダ", "OMD^O03", "", true},
    {"OMP-01", "prescription order", "処方オーダ", "RDE^O11", "", true},
    {"OMP-11", "prescription administered", "処方実施", "RAS^O17", "", true},
    {"OMP-02", "injection order", "注射オーダ", "RDE^O11", "", true},
    {"OMP-12", "injection administered", "注射実施", "RAS^O17", "", true},
    {"OML-01", "specimen test order", "検体検査オーダ", "OML^O33", "", true},
    {"OML-11", "specimen test result", "検体検査結果", "OUL^R22", "", true},
    {"OMG-01", "radiology order", "放射線検査オーダ", "OMG^O19", "", true},
    {"OMG-11", "radiology performed", "放射線検査実施", "OMI^Z23", "", true},
    {"OMG-02", "endoscopy order", "内視鏡検査オーダ", "OMG^O19", "", true},
    {"OMG-12", "endoscopy performed", "内視鏡検査実施", "OMI^Z23", "", true},
    {"OMG-03", "physiology test order", "生理検査オーダ", "OMG^O19", "", true},
    {"OMG-13", "physiology test result", "生理検査結果", "ORU^R01", "", true},
};

static const struct {
    const char *event, *field;
} care_dates[] = {
    {"ADT^A04", "PV1-44"}, {"ADT^A14", "PV2-8"},  {"ADT^A27", "PV2-8"}, {"ADT^A01", "PV1-44"},
    {"ADT^A11", "PV1-44"}, {"ADT^A21", "EVN-6"},  {"ADT^A52", "EVN-6"}, {"ADT^A22", "EVN-6"},
    {"ADT^A53", "PV2-47"}, {"ADT^A15", "PV2-8"},  {"ADT^A26", "PV2-8"}, {"ADT^A02", "EVN-6"},
    {"ADT^A12", "EVN-6"},  {"ADT^A16", "PV2-9"},  {"ADT^A25", "PV2-9"}, {"ADT^A03", "PV1-45"},
    {"ADT^A13", "PV1-45"}, {"OMD^O03", "ORC-9"},  {"RDE^O11", "ORC-9"}, {"RAS^O17", "RXA-3"},
    {"OML^O33", "ORC-9"},  {"OUL^R22", "SPM-17"}, {"OMG^O19", "ORC-9"}, {"OMI^Z23", "OBR-7"},
    {"ORU^R01", "OBR-7"},
};

const struct cv_ssmix2_type *cv_ssmix2_type_find(const char *code)
{
    for (size_t i = 0; i < CV_ARRAY_LEN(types); i++)
        if (strcmp(types[i].code, code) == 0)
            return &types[i];
    return NULL;
}

const struct cv_ssmix2_type *cv_ssmix2_type_at(size_t i)
{
    return i < CV_ARRAY_LEN(types) ? &types[i] : NULL;
}

/* Is `event` one of the space-separated words of `list`? */
static bool in_list(const char *list, const char *event)
{
    size_t n = strlen(event);

    if (n == 0)
        return false;
    for (const char *p = strstr(list, event); p; p = strstr(p + 1, event))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

bool cv_ssmix2_type_accepts(const struct cv_ssmix2_type *t, const char *event)
{
    return t && in_list(t->events, event);
}

bool cv_ssmix2_type_is_cancel(const struct cv_ssmix2_type *t, const char *event)
{
    return t && in_list(t->cancels, event);
}

const char *cv_ssmix2_care_date_field(const char *event)
{
    for (size_t i = 0; i < CV_ARRAY_LEN(care_dates); i++)
        if (strcmp(care_dates[i].event, event) == 0)
            return care_dates[i].field;
    return NULL;
}
