/*
 * test_fidelity.c: what a nurse reads must be complete and true (issue 19), on messages
 * written by hand from the SS-MIX2 specification and the code tables it names: blood type
 * from every JLAC10 code of the 5H010/5H020 family and every usual value form; injections
 * (JAHIS injection rules: RXE-2 the kind of order, JHSI0002; RXC base and additives, RXE-7,
 * RXE-23/24, RXR); cultures (the bacteria form: OBX-4 sub-IDs for organisms and their
 * susceptibility); diagnoses (PRB-13, table JHSD0005: 1 suspected; one PPR-01 per order);
 * demographics from another message's PID without an ADT-00; recently ended medications;
 * one "today" at the facility, at the birthday boundary; an index of an older schema.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <chartvault/hl7.h>
#include <chartvault/index.h>

#include "index/index_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char base[400], root[512], dbpath[600];
static int order_seq;

#define MSH(ev) "MSH|^~\\&|H|S|G|R|20260101120000||" ev "|1|P|2.5||||||~ISO IR87||ISO 2022-1994\r"
#define PID(id) "PID|1||" id "^^^^PI||試験^太郎^^^^^L^I~シケン^タロウ^^^^^L^P||19500101|M\r"

/* Write one message (UTF-8, converted to ISO-2022-JP) with a name of its own. */
static void put(const char *id, const char *date, const char *type, const char *time, int flag,
                const char *text)
{
    char dir[1024], path[1300];
    struct cv_buf out = CV_BUF_INIT(1 << 20);
    size_t replaced;

    snprintf(dir, sizeof(dir), "%s/%.3s/%.3s/%s/%s/%s", root, id, id + 3, id, date, type);
    assert_int_equal(cv_mkdir_p(dir, 0755), CV_OK);
    snprintf(path, sizeof(path), "%s/%s_%s_%s_%015d_%s_-_%d", dir, id, date, type, ++order_seq,
             time, flag);
    assert_int_equal(cv_hl7_utf8_to_iso2022jp(text, strlen(text), false, &out, &replaced), CV_OK);
    assert_int_equal(cv_file_write_atomic(path, out.data, out.len, 0644), CV_OK);
    cv_buf_free(&out);
}

static int setup(void **state)
{
    const char *tmp = getenv("CV_TEST_TMP");
    char cmd[1300];

    (void)state;
    snprintf(base, sizeof(base), "%s/unit-fidelity-%d", tmp ? tmp : "/tmp", (int)getpid());
    snprintf(root, sizeof(root), "%s/src", base);
    snprintf(dbpath, sizeof(dbpath), "%s/index.db", base);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", base, root);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int teardown(void **state)
{
    char cmd[1300];

    (void)state;
    if (getenv("KEEP"))
        return 0;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    return system(cmd);
}

static struct cv_index *build(void)
{
    struct cv_index_stats s;
    struct cv_index *idx;

    assert_int_equal(cv_index_open(dbpath, 0, &idx), CV_OK);
    if (cv_index_update(idx, root, NULL, &s) != CV_OK)
        fail_msg("update: %s", cv_errmsg());
    assert_int_equal(s.rejected, 0);
    return idx;
}

static struct cv_patient *patient(struct cv_index *idx, const char *id, const char *as_of)
{
    struct cv_patient *p;

    if (cv_index_patient(idx, id, as_of, &p) != CV_OK)
        fail_msg("patient %s: %s", id, cv_errmsg());
    return p;
}

/* ---- blood type ------------------------------------------------------------------------- */

static void test_blood_value_forms(void **state)
{
    static const char *const abo[][2] = {
        {"A", "A"},   {"A型", "A"}, {"Ａ型", "A"}, {"ab", "AB"},      {"ＡＢ", "AB"},
        {"O型", "O"}, {"0", "O"},   {"B 型", "B"}, {"ABO式A型", "A"}, {"(AB)", "AB"},
    };
    static const char *const rh[][2] = {
        {"+", "+"},    {"-", "-"},         {"Rh+", "+"},    {"Rh(+)", "+"}, {"Rh(−)", "-"},
        {"RhD+", "+"}, {"Rh(D)陰性", "-"}, {"陽性", "+"},   {"陰性", "-"},  {"POS", "+"},
        {"neg", "-"},  {"Positive", "+"},  {"（＋）", "+"}, {"－", "-"},    {"Rh式陽性", "+"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(abo) / sizeof(abo[0]); i++) {
        const char *got = index_abo(abo[i][0]);

        if (!got || strcmp(got, abo[i][1]) != 0)
            fail_msg("ABO '%s' read as '%s'", abo[i][0], got ? got : "(none)");
    }
    for (size_t i = 0; i < sizeof(rh) / sizeof(rh[0]); i++) {
        const char *got = index_rh(rh[i][0]);

        if (!got || strcmp(got, rh[i][1]) != 0)
            fail_msg("Rh '%s' read as '%s'", rh[i][0], got ? got : "(none)");
    }
    assert_null(index_abo("不明"));
    assert_null(index_abo("C"));
    assert_null(index_rh("弱陽性?"));
    assert_null(index_abo(NULL));
}

#define ADT00(id, obx) MSH("ADT^A08^ADT_A01") "EVN||20260101120000\r" PID(id) obx

static void test_blood_codes(void **state)
{
    struct cv_index *idx;
    struct cv_patient *p;

    (void)state;
    /* the construction guideline's codes, written as text */
    put("1000001", "-", "ADT-00", "20260101120000000", 1,
        ADT00("1000001", "OBX|1|ST|5H010000001999911^血液型-ABO式^JC10||ＡＢ型||||||F\r"
                         "OBX|2|ST|5H020000001999911^血液型-Rh式^JC10||陰性||||||F\r"));
    /* the public samples' codes, coded values */
    put("1000002", "-", "ADT-00", "20260101120000000", 1,
        ADT00("1000002", "OBX|1|CWE|5H010000009199911^血液型-ABO式^JC10||O^O^JSHR002||||||F\r"
                         "OBX|2|CWE|5H020000009199911^血液型-Rh式^JC10||+^Rh(D)陽性^JSHR002|||||"
                         "|F\r"));
    /* another material and result code of the family; an Rh value nobody knows */
    put("1000003", "-", "ADT-00", "20260101120000000", 1,
        ADT00("1000003", "OBX|1|CWE|5H010000002399951^ABO^JC10||^B型^99X||||||F\r"
                         "OBX|2|ST|5H020000002399951^Rh^JC10||<弱D>||||||F\r"));
    /* none at all */
    put("1000004", "-", "ADT-00", "20260101120000000", 1, ADT00("1000004", ""));
    idx = build();
    p = patient(idx, "1000001", "2026-01-02");
    assert_string_equal(p->blood_type, "AB");
    assert_string_equal(p->rh, "-");
    cv_patient_free(p);
    p = patient(idx, "1000002", "2026-01-02");
    assert_string_equal(p->blood_type, "O");
    assert_string_equal(p->rh, "+");
    cv_patient_free(p);
    p = patient(idx, "1000003", "2026-01-02");
    assert_string_equal(p->blood_type, "B");
    assert_string_equal(p->rh, "<弱D>"); /* shown as written, never dropped */
    cv_patient_free(p);
    p = patient(idx, "1000004", "2026-01-02");
    assert_null(p->blood_type);
    assert_null(p->rh);
    cv_patient_free(p);
    cv_index_close(idx);
}

/* ---- injections ----------------------------------------------------------------------------- */

static const char injection[] = MSH("RDE^O11^RDE_O11") PID(
    "2000001") "ORC|NW|1||||||||20260101\r"
               "RXE||00^一般^99I02|510||ML^ミリリットル^MR9P|INJ^注射剤^MR9P|^５時間一定速度で^"
               "99IC6"
               "||||||||||||||||102|ml/hr^ミリリッター／時間^ISO+\r" /* RXE-8..22 empty, RXE-23 */
               "TQ1|1||||||202601010800|202601011300\r"
               "RXR|IV^静脈内^HL70162||IVP^点滴ポンプ^HL70164\r"
               /* the additive written before the base: the base is still shown first */
               "RXC|A|620002559^アドナ注（静脈用）50mg^HOT9|1|AMP^アンプル^MR9P\r"
               "RXC|B|620007329^ソリタ−Ｔ３号輸液５００ｍＬ^HOT9|1|HON^本^MR9P\r"
               /* an RXC without a name: its code stands in, nothing is dropped */
               "RXC|A|620009999|2|AMP^アンプル^MR9P\r"
               "ORC|NW|2||||||||20260101\r"
               /* an older writer: the drug in RXE-2 and no RXC */
               "RXE||620004512^フロセミド注２０ｍｇ^HOT9|1||AMP^アンプル^MR9P\r"
               "TQ1|1||||||20260101|20260102\r";

static void test_injections(void **state)
{
    struct cv_index *idx;
    struct cv_patient *p;
    const struct cv_medication *m;

    (void)state;
    put("2000001", "20260101", "OMP-02", "20260101080000000", 1, injection);
    idx = build();
    p = patient(idx, "2000001", "2026-01-01");
    assert_int_equal(p->nmedications, 2);
    m = &p->medications[0]; /* sorted by start, then time: the 08:00 drip first? both start
                               2026-01-01; the drip has a time, so the bare one sorts first */
    if (m->ncomps == 0)
        m = &p->medications[1];
    assert_string_equal(m->kind, "injection");
    assert_int_equal(m->ncomps, 3);
    assert_string_equal(m->comps[0].type, "B");
    assert_string_equal(m->comps[0].name, "ソリタ−Ｔ３号輸液５００ｍＬ");
    assert_string_equal(m->comps[0].amount, "1");
    assert_string_equal(m->comps[0].unit, "本");
    assert_string_equal(m->comps[1].name, "アドナ注（静脈用）50mg");
    assert_null(m->comps[2].name);
    assert_string_equal(m->comps[2].code, "620009999");
    assert_string_equal(m->drug,
                        "ソリタ−Ｔ３号輸液５００ｍＬ + アドナ注（静脈用）50mg + 620009999");
    assert_string_equal(m->components,
                        "ソリタ−Ｔ３号輸液５００ｍＬ 1 本 + アドナ注（静脈用）50mg 1 アンプル + "
                        "620009999 2 アンプル");
    assert_string_equal(m->order_type, "一般");
    assert_string_equal(m->dose, "510");
    assert_string_equal(m->unit, "ミリリットル");
    assert_string_equal(m->rate, "102 ml/hr");
    assert_string_equal(m->route, "静脈内");
    assert_string_equal(m->instructions, "５時間一定速度で");
    assert_string_equal(m->start_time, "2026-01-01T08:00");
    assert_string_equal(m->end_time, "2026-01-01T13:00");
    m = m == &p->medications[0] ? &p->medications[1] : &p->medications[0];
    assert_string_equal(m->drug, "フロセミド注２０ｍｇ");
    assert_int_equal(m->ncomps, 0);
    assert_null(m->order_type);
    assert_null(m->start_time); /* TQ1-7 holds a date only */
    cv_patient_free(p);
    cv_index_close(idx);
}

/* ---- medications over time -------------------------------------------------------------- */

static void test_recent_medications(void **state)
{
    struct cv_index *idx;
    struct cv_patient *p;

    (void)state;
    put("2100001", "20260101", "OMP-01", "20260101090000000", 1,
        MSH("RDE^O11^RDE_O11") PID("2100001") "ORC|NW|1||||||||20260101\r"
                                              "RXE||1^ロキソニン錠^HOT9|1||TAB^錠^MR9P\r"
                                              "TQ1|1||1&１日３回&JAMISDP01|||7^d|20260101\r"
                                              "ORC|NW|2||||||||20260101\r"
                                              "RXE||2^アムロジピン錠^HOT9|1||TAB^錠^MR9P\r"
                                              "TQ1|1||1&１日１回&JAMISDP01|||2^wk|20260101\r");
    idx = build();
    p = patient(idx, "2100001", "2026-01-10"); /* ロキソニン ended 01-07, アムロジピン runs */
    assert_int_equal(p->recent_days, CV_RECENT_DAYS_DEFAULT);
    assert_int_equal(p->nmedications, 1);
    assert_string_equal(p->medications[0].drug, "アムロジピン錠");
    assert_string_equal(p->medications[0].end, "2026-01-14");
    assert_int_equal(p->nrecent_medications, 1);
    assert_string_equal(p->recent_medications[0].drug, "ロキソニン錠");
    assert_string_equal(p->recent_medications[0].end, "2026-01-07");
    cv_patient_free(p);
    /* both ended: the newest end first */
    p = patient(idx, "2100001", "2026-01-20");
    assert_int_equal(p->nmedications, 0);
    assert_int_equal(p->nrecent_medications, 2);
    assert_string_equal(p->recent_medications[0].end, "2026-01-14");
    cv_patient_free(p);
    /* a shorter window, then nothing on record: the caller says "no orders in N days" */
    assert_int_equal(cv_index_patient_recent(idx, "2100001", "2026-01-20", 10, &p), CV_OK);
    assert_int_equal(p->recent_days, 10);
    assert_int_equal(p->nrecent_medications, 1);
    cv_patient_free(p);
    /* ordered to start later (a discharge prescription for tomorrow): on record, not "none" */
    p = patient(idx, "2100001", "2025-12-20");
    assert_int_equal(p->nmedications + p->nrecent_medications, 0);
    assert_int_equal(p->nupcoming_medications, 2);
    assert_string_equal(p->upcoming_medications[0].start, "2026-01-01");
    cv_patient_free(p);
    p = patient(idx, "2100001", "2025-11-01"); /* beyond the window */
    assert_int_equal(p->nupcoming_medications, 0);
    cv_patient_free(p);
    p = patient(idx, "2100001", "2026-03-01");
    assert_int_equal(p->nmedications + p->nrecent_medications + p->nupcoming_medications, 0);
    assert_true(p->nmedication_history == 2); /* still in the history */
    cv_patient_free(p);
    assert_int_equal(cv_index_patient_recent(idx, "2100001", NULL, -1, &p), CV_EINVAL);
    assert_int_equal(cv_index_patient_recent(idx, "2100001", NULL, CV_RECENT_DAYS_MAX + 1, &p),
                     CV_EINVAL);
    cv_index_close(idx);
}

/* ---- cultures ---------------------------------------------------------------------------------
 */

#define CULTURE_HEAD(id, day)                                                                      \
    MSH("OUL^R22^OUL_R22")                                                                         \
    PID(id)                                                                                        \
    "SPM|1|||011^喀痰^JC10|||||||||||||" day "1000\r"                                              \
    "OBR|1|1||B001^細菌培養同定検査^99O03\r"

static const char culture_two[] = CULTURE_HEAD(
    "3000001",
    "20260105") "OBX|1|CWE|B0100^検出菌^99B01|1|B1001^大腸菌^99B02||||||F|||202601051000\r"
                "OBX|2|ST|B0200^菌量^99B01|1|3+||||||F|||202601051000\r"
                "OBX|3|ST|B2001^ABPC^99B01|1.1|≧32|ug/mL^ug/mL^ISO+||R|||F|||202601051000\r"
                "OBX|4|ST|B2003^CTRX^99B01|1.2|≦1|ug/mL^ug/mL^ISO+||S|||F|||202601051000\r"
                "OBX|5|CWE|B0100^検出菌^99B01|2|B1003^黄色ブドウ球菌^99B02||||||F|||202601051000\r"
                "OBX|6|ST|B2007^MPIPC^99B01|2-1|≦0.25|ug/mL^ug/mL^ISO+||S|||F|||202601051000\r"
                "OBX|7|TX|B0900^コメント^99B01||常在菌少数||||||F|||202601051000\r";

static const char culture_old[] = CULTURE_HEAD(
    "3000001",
    "20251220") "OBX|1|CWE|B0100^検出菌^99B01|1|B1004^肺炎球菌^99B02||||||F|||202512201000\r"
                "OBX|2|ST|B2010^PCG^99B01|1.1|≦0.06|ug/mL^ug/mL^ISO+||S|||F|||202512201000\r";

/* OBX-4 numbering every result (it groups nothing): plain labs */
static const char counted[] = MSH("OUL^R22^OUL_R22")
    PID("3000001") "OBR|1|2||E001^血液^99O03\r"
                   "OBX|1|NM|3A010000002327101^総蛋白^JC10|1|7.0|g/dl|6.7-8.3||||F|||202601061000\r"
                   "OBX|2|NM|3A015000002327101^アルブミン^JC10|2|4.0|g/"
                   "dl|3.8-5.2||||F|||202601061000\r";

/* junk sub-IDs that still group (one test twice): shown as written */
static const char junk[] = MSH("OUL^R22^OUL_R22")
    PID("3000002") "OBR|1|3||B001^細菌培養同定検査^99O03\r"
                   "OBX|1|ST|B0100^検出菌^99B01|x|何か||||||F|||202601061000\r"
                   "OBX|2|ST|B0100^検出菌^99B01|&&junk|別の何か||||||F|||202601061000\r";

static void test_cultures(void **state)
{
    struct cv_index *idx;
    struct cv_patient *p;
    const struct cv_culture *c;

    (void)state;
    put("3000001", "20260105", "OML-11", "20260108100000000", 1, culture_two);
    put("3000001", "20251220", "OML-11", "20251223100000000", 1, culture_old);
    put("3000001", "20260106", "OML-11", "20260106120000000", 1, counted);
    put("3000002", "20260106", "OML-11", "20260106120000000", 1, junk);
    idx = build();
    p = patient(idx, "3000001", "2026-01-10");
    assert_int_equal(p->nlabs, 2); /* 総蛋白, アルブミン: counted sub-IDs group nothing */
    assert_int_equal(p->ncultures, 1);
    c = &p->cultures[0];
    assert_string_equal(c->test, "細菌培養同定検査");
    assert_string_equal(c->specimen, "喀痰");
    assert_string_equal(c->time, "2026-01-05T10:00");
    assert_int_equal(c->nresults, 1); /* the comment without OBX-4 belongs to the report */
    assert_string_equal(c->results[0].value, "常在菌少数");
    assert_int_equal(c->norganisms, 2);
    assert_string_equal(c->organisms[0].group, "1");
    assert_string_equal(c->organisms[0].organism, "大腸菌");
    assert_int_equal(c->organisms[0].ndetails, 1);
    assert_string_equal(c->organisms[0].details[0].name, "菌量");
    assert_string_equal(c->organisms[0].details[0].value, "3+");
    assert_int_equal(c->organisms[0].nsusceptibility, 2);
    assert_string_equal(c->organisms[0].susceptibility[0].name, "ABPC");
    assert_string_equal(c->organisms[0].susceptibility[0].value, "≧32");
    assert_string_equal(c->organisms[0].susceptibility[0].unit, "ug/mL");
    assert_string_equal(c->organisms[0].susceptibility[0].flag, "R");
    assert_string_equal(c->organisms[1].organism, "黄色ブドウ球菌");
    assert_int_equal(c->organisms[1].nsusceptibility, 1); /* "2-1" nests like "2.1" */
    assert_string_equal(c->organisms[1].susceptibility[0].sub_id, "2-1");
    /* the December culture of the same test and specimen: beside it, not mixed in */
    assert_int_equal(c->nearlier, 1);
    assert_string_equal(c->earlier[0].time, "2025-12-20T10:00");
    assert_string_equal(c->earlier[0].organisms[0].organism, "肺炎球菌");
    cv_patient_free(p);
    p = patient(idx, "3000002", "2026-01-10");
    assert_int_equal(p->nlabs, 0);
    assert_int_equal(p->ncultures, 1);
    assert_int_equal(p->cultures[0].norganisms, 2);
    assert_string_equal(p->cultures[0].organisms[0].group, "x");
    assert_string_equal(p->cultures[0].organisms[1].group, "&&junk");
    assert_string_equal(p->cultures[0].organisms[1].organism, "別の何か");
    cv_patient_free(p);
    cv_index_close(idx);
}

/* ---- diagnoses --------------------------------------------------------------------------------
 */

#define PRB(action, code, name, icd, extra)                                                        \
    "PRB|" action "|20260101|" code "^" name "^MDCDX2|1||||"                                       \
    "||" icd "^^I10" extra "\r"

static void test_diagnoses(void **state)
{
    struct cv_index *idx;
    struct cv_patient *p;

    (void)state;
    /* an older gateway: one PPR-01 per diagnosis order, all current */
    put("4000001", "-", "PPR-01", "20250101120000000", 1,
        MSH("PPR^ZD1^PPR_ZD1") PID("4000001")
            PRB("AD", "001", "高血圧症", "I10", "||||||20200101||1^主診断^JHSD0007"));
    /* one older file holding a closed episode and a new one of the same disease: both count */
    put("4000001", "-", "PPR-01", "20250301120000000", 1,
        MSH("PPR^ZD1^PPR_ZD1") PID(
            "4000001") "PRB|AD|20250301|005^喘息^MDCDX2|1|||20240101||20240301|J459^^I10|||||F^"
                       "治癒^HL70241"
                       "||20240101\r"
                       "PRB|AD|20250301|005^喘息^MDCDX2|2|||20250201|||J459^^I10||||||20250201\r");
    put("4000001", "-", "PPR-01", "20250601120000000", 1,
        MSH("PPR^ZD1^PPR_ZD1") PID("4000001")
            PRB("AD", "002", "肺炎", "J189", "|||1^疑い^JHSD0005|||20250601"));
    put("4000001", "-", "PPR-01", "20250701120000000", 1,
        MSH("PPR^ZD1^PPR_ZD1") PID("4000001")
            PRB("AD", "003", "胃炎", "K297", "|||0^確定^JHSD0005|F^治癒^HL70241||20250301"));
    /* the newest file: 胃炎 again (resolved there), and a PRB-13 of junk */
    put("4000001", "-", "PPR-01", "20251201120000000", 1,
        MSH("PPR^ZD1^PPR_ZD1") PID("4000001")
            PRB("AD", "004", "糖尿病", "E119",
                "|||Z9^?^99|||20251101") "PRB|AD|20260101|003^胃炎^MDCDX2|1|||20250301|||K297^^I10|"
                                         "|||F^治癒^HL70241"
                                         "||20250301\r");
    /* superseded: never read */
    put("4000001", "-", "PPR-01", "20240101120000000", 2,
        MSH("PPR^ZD1^PPR_ZD1") PID("4000001") PRB("AD", "009", "古い病名", "Z00", ""));
    idx = build();
    p = patient(idx, "4000001", "2026-01-10");
    assert_int_equal(p->ndiagnoses, 1);
    assert_string_equal(p->diagnoses[0].name, "糖尿病");
    assert_false(p->diagnoses[0].suspected);
    assert_string_equal(p->diagnoses[0].confirmation, "Z9"); /* shown as written */
    /* 高血圧症, 喘息 and 肺炎 only in older files: listed apart; 胃炎 is in the newest
     * (resolved there), so its older file does not bring it back */
    assert_int_equal(p->nolder_diagnoses, 3);
    assert_string_equal(p->older_diagnoses[0].name, "高血圧症");
    assert_true(p->older_diagnoses[0].main);
    assert_false(p->older_diagnoses[0].suspected);
    assert_null(p->older_diagnoses[0].confirmation);
    assert_string_equal(p->older_diagnoses[1].name, "喘息");
    assert_string_equal(p->older_diagnoses[1].onset, "2025-02-01");
    assert_string_equal(p->older_diagnoses[2].name, "肺炎");
    assert_true(p->older_diagnoses[2].suspected);
    assert_string_equal(p->older_diagnoses[2].confirmation, "1");
    cv_patient_free(p);
    cv_index_close(idx);
}

/* ---- a patient without ADT-00 --------------------------------------------------------------- */

static void count_hit(const struct cv_index_hit *h, void *arg)
{
    if (strcmp(h->id, "5000001") == 0)
        ++*(size_t *)arg;
}

static void test_no_adt00(void **state)
{
    struct cv_index *idx;
    struct cv_patient *p;
    struct cv_index_stats s;
    size_t hits = 0;

    (void)state;
    put("5000001", "20260105", "OMP-01", "20260105090000000", 1,
        MSH("RDE^O11^RDE_O11") "PID|1||5000001||古い^名前^^^^^L^I||19600101|F\r");
    put("5000001", "20260106", "ADT-22", "20260106090000000", 1,
        MSH("ADT^A01^ADT_A01") "EVN||20260106090000\r"
                               "PID|1||5000001||佐々木^花^^^^^L^I~ササキ^ハナ^^^^^L^P||19600102|F\r"
                               "PV1|1|I|3E^301^1^^^N|||||||||||||||||||||||||||||||||||||"
                               "202601060900\r");
    idx = build();
    p = patient(idx, "5000001", "2026-01-10");
    assert_string_equal(p->demographics_source, "PID"); /* not confirmed */
    assert_string_equal(p->name.family, "佐々木");      /* the newest PID */
    assert_string_equal(p->kana.given, "ハナ");
    assert_string_equal(p->birth_date, "1960-01-02");
    assert_string_equal(p->sex, "F");
    assert_null(p->address);
    cv_patient_free(p);
    /* found by search, by kanji, kana and birth date */
    assert_int_equal(cv_index_search(idx, "ささき はな", 10, count_hit, &hits), CV_OK);
    assert_int_equal(cv_index_search(idx, "佐々木", 10, count_hit, &hits), CV_OK);
    assert_int_equal(cv_index_search(idx, "1960-01-02", 10, count_hit, &hits), CV_OK);
    assert_int_equal(hits, 3);
    cv_index_close(idx);
    /* a registration record arrives: it decides from then on */
    put("5000001", "-", "ADT-00", "20260107090000000", 1,
        MSH("ADT^A08^ADT_A01") "PID|1||5000001||佐々木^花子^^^^^L^I||19600102|F\r");
    assert_int_equal(cv_index_open(dbpath, 0, &idx), CV_OK);
    assert_int_equal(cv_index_update(idx, root, NULL, &s), CV_OK);
    p = patient(idx, "5000001", "2026-01-10");
    assert_string_equal(p->demographics_source, "ADT-00");
    assert_string_equal(p->name.given, "花子");
    cv_patient_free(p);
    cv_index_close(idx);
}

/* ---- one today ------------------------------------------------------------------------------ */

static void census_age(const struct cv_census_row *r, void *arg)
{
    *(int *)arg = r->age;
}

/* 05:30 in Tokyo on the patient's birthday is 20:30 UTC the day before: a server kept in UTC
 * must still say 26 on the census, the summary and the viewer alike. */
static void test_today_at_the_birthday(void **state)
{
    long target = cv_ymd_to_days(2026, 5, 1) * 86400L + 20 * 3600 + 30 * 60;
    struct cv_index *idx;
    struct cv_patient *p;
    char today[11];
    int age = -1;

    (void)state;
    put("6000001", "-", "ADT-00", "20260101120000000", 1,
        MSH("ADT^A08^ADT_A01") "PID|1||6000001||誕生^日子^^^^^L^I||20000502|F\r");
    put("6000001", "20260401", "ADT-22", "20260401090000000", 1,
        MSH("ADT^A01^ADT_A01") "EVN||20260401090000\rPID|1||6000001\r"
                               "PV1|1|I|5W^501^1^^^N|||||||||||||||||||||||||||||||||||||"
                               "202604010900\r");
    idx = build();
    setenv("TZ", "UTC", 1); /* the machine's own zone must not matter */
    tzset();
    unsetenv("CHARTVAULT_TIMEZONE");
    assert_int_equal(cv_facility_zone_set(NULL), CV_OK);
    assert_string_equal(cv_facility_zone(), "Asia/Tokyo");
    cv_clock_set_offset(target - (long)time(NULL));
    cv_today(today);
    assert_string_equal(today, "2026-05-02");
    assert_int_equal(cv_index_census(idx, NULL, NULL, census_age, &age), CV_OK);
    assert_int_equal(age, 26);
    assert_int_equal(cv_index_age("2000-05-02", NULL), 26); /* the viewer's banner */
    p = patient(idx, "6000001", NULL);
    assert_string_equal(p->as_of, "2026-05-02");
    cv_patient_free(p);
    /* configurable: a facility on UTC is still before the birthday */
    assert_int_equal(cv_facility_zone_set("UTC"), CV_OK);
    cv_today(today);
    assert_string_equal(today, "2026-05-01");
    assert_int_equal(cv_index_census(idx, NULL, NULL, census_age, &age), CV_OK);
    assert_int_equal(age, 25);
    assert_int_equal(cv_index_age("2000-05-02", NULL), 25);
    /* an unknown zone changes nothing; a POSIX rule needs no tz database */
    assert_int_equal(cv_facility_zone_set("Mars/Olympus_Mons"), CV_EINVAL);
    assert_non_null(strstr(cv_errmsg(), "unknown time zone 'Mars/Olympus_Mons'"));
    assert_string_equal(cv_facility_zone(), "UTC");
    assert_int_equal(cv_facility_zone_set("JST-9"), CV_OK);
    cv_today(today);
    assert_string_equal(today, "2026-05-02");
    setenv("CHARTVAULT_TIMEZONE", "UTC", 1);
    assert_int_equal(cv_facility_zone_set(NULL), CV_OK);
    assert_string_equal(cv_facility_zone(), "UTC");
    unsetenv("CHARTVAULT_TIMEZONE");
    cv_clock_set_offset(0);
    assert_int_equal(cv_facility_zone_set(NULL), CV_OK);
    cv_index_close(idx);
}

/* ---- an index an older chartvault made ------------------------------------------------------ */

static void test_older_schema(void **state)
{
    struct cv_index *idx;
    struct cv_index_scan *scan;
    struct cv_index_stats s;
    struct cv_patient *p;
    sqlite3 *db;

    (void)state;
    put("7000001", "-", "ADT-00", "20260101120000000", 1,
        MSH("ADT^A08^ADT_A01") "PID|1||7000001||旧^版^^^^^L^I||19700101|M\r");
    cv_index_close(build());
    assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=1", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    /* read-only users are told what to do, never shown a half-read summary */
    assert_int_equal(cv_index_open(dbpath, CV_INDEX_READONLY, &idx), CV_EUNSUPPORTED);
    assert_non_null(strstr(cv_errmsg(), "older chartvault (index schema 1"));
    assert_non_null(strstr(cv_errmsg(), "--reread"));
    /* the daemon's scans refuse it; an update rebuilds it from the tree */
    assert_int_equal(cv_index_open(dbpath, 0, &idx), CV_OK);
    assert_int_equal(cv_index_scan(idx, root, NULL, &scan), CV_EUNSUPPORTED);
    assert_int_equal(cv_index_update(idx, root, NULL, &s), CV_OK);
    assert_int_equal(s.new_files, 1);
    p = patient(idx, "7000001", NULL);
    assert_string_equal(p->name.family, "旧");
    cv_patient_free(p);
    cv_index_close(idx);
    assert_int_equal(cv_index_open(dbpath, CV_INDEX_READONLY, &idx), CV_OK);
    cv_index_close(idx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blood_value_forms),
        cmocka_unit_test_setup_teardown(test_blood_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_injections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recent_medications, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cultures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diagnoses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_adt00, setup, teardown),
        cmocka_unit_test_setup_teardown(test_today_at_the_birthday, setup, teardown),
        cmocka_unit_test_setup_teardown(test_older_schema, setup, teardown),
    };

    if (getenv("CV_TEST_FILTER")) /* one test, for debugging: CV_TEST_FILTER=test_cultures */
        cmocka_set_test_filter(getenv("CV_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
