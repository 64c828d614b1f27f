/*
 * test_index.c: the reference index through its public API, on small SS-MIX2 trees written by
 * the test: current-state rules (newest ADT-00, IAM add/update/delete, bed from admissions,
 * transfers, leaves and discharges, _2/_0 never current), search in every spelling, census and
 * bed map, incremental runs (new, renamed _1->_2, changed, vanished, idempotent), the
 * daemon's scan/apply and cv_index_paths, and a read-only handle following a replaced file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <chartvault/hl7.h>
#include <chartvault/index.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[400], root[512], dbpath[600];

#define MSH(ev) "MSH|^~\\&|H|S|G|R|20240101120000||" ev "|1|P|2.5||||||~ISO IR87||ISO 2022-1994\r"

/* Write one message (UTF-8 text, converted to ISO-2022-JP) under the tree. */
static void put(const char *id, const char *date, const char *type, const char *time, int flag,
                const char *text)
{
    char dir[1024], path[1200];
    struct cv_buf out = CV_BUF_INIT(1 << 20);
    size_t replaced;

    snprintf(dir, sizeof(dir), "%s/%.3s/%.3s/%s/%s/%s", root, id, id + 3, id, date, type);
    assert_int_equal(cv_mkdir_p(dir, 0755), CV_OK);
    snprintf(path, sizeof(path), "%s/%s_%s_%s_999999999999999_%s_-_%d", dir, id, date, type, time,
             flag);
    assert_int_equal(cv_hl7_utf8_to_iso2022jp(text, strlen(text), false, &out, &replaced), CV_OK);
    assert_int_equal(cv_file_write_atomic(path, out.data, out.len, 0644), CV_OK);
    cv_buf_free(&out);
}

static void path_of(char *buf, size_t n, const char *id, const char *date, const char *type,
                    const char *time, int flag)
{
    snprintf(buf, n, "%s/%.3s/%.3s/%s/%s/%s/%s_%s_%s_999999999999999_%s_-_%d", root, id, id + 3, id,
             date, type, id, date, type, time, flag);
}

static const char demo1[] =
    MSH("ADT^A08^ADT_A01") "EVN||20240101120000\r"
                           "PID|1||0000100^^^^PI||山田^花子^^^^^L^I~ヤマダ^ハナコ^^^^^L^P||"
                           "19800102|F|||"
                           "^^^^100-0001^JPN^H^東京都千代田区||^PRN^PH^^^^^^^^^03-1111-2222\r"
                           "NK1|1|山田^一郎^^^^^L^I|HUS^夫^HL70063||^PRN^PH^^^^^^^^^090-1111-2222\r"
                           "AL1|1|DA^薬剤アレルギー^HL70127|1^ペニシリン^99XYZ\r";

static const char demo_old[] =
    MSH("ADT^A08^ADT_A01") "PID|1||0000100^^^^PI||古い^名前^^^^^L^I||19000101|M\r";

static const char iam_add[] = MSH(
    "ADT^A60^ADT_A60") "PID|1||0000100\r"
                       "IAM|1|FA^食物^HL70127|F01^ソバ^JC10|MI^軽度^HL70128|湿疹|A^追加^HL70323\r"
                       "IAM|2|FA^食物^HL70127|F02^卵^JC10|MI^軽度^HL70128||A^追加^HL70323\r";

static const char iam_change[] =
    MSH("ADT^A60^ADT_A60") "PID|1||0000100\r"
                           "IAM|1|FA^食物^HL70127|F01^ソバ^JC10|SV^重度^HL70128|呼吸困難|U^更新^"
                           "HL70323\r"
                           "IAM|2|FA^食物^HL70127|F02^卵^JC10|||D^削除^HL70323\r";

static const char admit[] = MSH("ADT^A01^ADT_A01") "EVN||20240105100000\rPID|1||0000100\r"
                                                   "PV1|1|I|3E^301^1^^^N||||D1^医師^一郎|||01||||||"
                                                   "|||||||||||||||||||||||||202401051000\r";

static const char transfer[] =
    MSH("ADT^A02^ADT_A02") "EVN||20240106100000||||202401061000\rPID|1||0000100\r"
                           "PV1|1|I|3E^302^2^^^N|||3E^301^1|D2^医師^二郎\r";

static const char leave[] = MSH("ADT^A21^ADT_A21") "EVN||20240107100000||||202401071000\rPID|1||"
                                                   "0000100\rPV1|1|I|3E^302^2^^^N\r";

static const char discharge[] = MSH(
    "ADT^A03^ADT_A03") "EVN||20240110100000||||202401101000\rPID|1||0000100\r"
                       "PV1|1|I|3E^302^2^^^N||||||||||||||||||||||||||||||||||||||202401101000\r";

static const char ppr[] = MSH(
    "PPR^ZD1^PPR_ZD1") "PID|1||0000100\r"
                       "PRB|AD|20240101|001^高血圧症^MDCDX2|1||||||I10^^I10||||N^回復せず^HL70241||"
                       "20230101||"
                       "1^主診断^JHSD0007\r"
                       "PRB|AD|20240101|002^かぜ^MDCDX2|2||||||J00^^I10||||R^治癒^HL70241||"
                       "20231201\r"
                       "PRB|AD|20240101|003^胃炎^MDCDX2|3|||||20231230|K297^^I10||||||20231101\r";

static const char lab1[] =
    MSH("OUL^R22^OUL_R22") "PID|1||0000100\rSPM|1|||023^血清^JC10|||||||||||||202401051000\r"
                           "OBR|1|1||E001^血液^99O03\r"
                           "OBX|1|NM|3A010000002327101^総蛋白^JC10||6.0|g/dl^g/"
                           "dl^99|6.7-8.3|L|||F|||202401051000\r";

static const char lab2[] = MSH("OUL^R22^OUL_R22") "PID|1||0000100\rOBR|1|1||E001^血液^99O03\r"
                                                  "OBX|1|NM|3A010000002327101^総蛋白^JC10||7.0|g/"
                                                  "dl^g/dl^99|6.7-8.3||||F|||202401081000\r";

static const char rx[] = MSH("RDE^O11^RDE_O11") "PID|1||0000100\rORC|NW|1|||||||20240105\r"
                                                "RXE||1^ロキソニン錠^HOT9|1||TAB^錠^MR9P\r"
                                                "TQ1|1||1&１日３回&JAMISDP01|||7^d|20240105\r";

static void make_tree(void)
{
    put("0000100", "-", "ADT-00", "20240101120000000", 1, demo1);
    put("0000100", "-", "ADT-00", "20230101120000000", 1, demo_old); /* older: ignored */
    put("0000100", "-", "ADT-61", "20240102120000000", 1, iam_add);
    put("0000100", "-", "ADT-61", "20240103120000000", 1, iam_change);
    put("0000100", "-", "PPR-01", "20240101120000000", 1, ppr);
    put("0000100", "20240105", "ADT-22", "20240105100000000", 1, admit);
    put("0000100", "20240106", "ADT-42", "20240106100000000", 1, transfer);
    put("0000100", "20240107", "ADT-31", "20240107100000000", 1, leave);
    put("0000100", "20240110", "ADT-52", "20240110100000000", 0, discharge); /* cancelled */
    put("0000100", "20240105", "OML-11", "20240105100000000", 1, lab1);
    put("0000100", "20240108", "OML-11", "20240108100000000", 1, lab2);
    put("0000100", "20240105", "OMP-01", "20240105100000000", 1, rx);
}

static int setup(void **state)
{
    const char *tmp = getenv("CV_TEST_TMP");
    char cmd[1200];

    (void)state;
    snprintf(base, sizeof(base), "%s/unit-index-%d", tmp ? tmp : "/tmp", (int)getpid());
    snprintf(root, sizeof(root), "%s/src", base);
    snprintf(dbpath, sizeof(dbpath), "%s/index.db", base);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", base, root);
    assert_int_equal(system(cmd), 0);
    make_tree();
    return 0;
}

static int teardown(void **state)
{
    char cmd[1200];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    return system(cmd);
}

static struct cv_index *build(struct cv_index_stats *stats)
{
    struct cv_index *idx;

    assert_int_equal(cv_index_open(dbpath, 0, &idx), CV_OK);
    if (cv_index_update(idx, root, NULL, stats) != CV_OK)
        fail_msg("update: %s", cv_errmsg());
    return idx;
}

static void test_current_state(void **state)
{
    struct cv_index_stats s;
    struct cv_index *idx = build(&s);
    struct cv_patient *p;

    (void)state;
    assert_int_equal(s.seen, 12);
    assert_int_equal(s.new_files, 12);
    assert_int_equal(s.rejected, 0);
    assert_int_equal(s.deleted, 1);
    assert_int_equal(cv_index_patient(idx, "0000100", "2024-01-09", &p), CV_OK);
    assert_string_equal(p->name.family, "山田");
    assert_string_equal(p->kana.given, "ハナコ");
    assert_string_equal(p->birth_date, "1980-01-02");
    assert_string_equal(p->address, "東京都千代田区");
    assert_int_equal(p->nphones, 1);
    assert_int_equal(p->ncontacts, 1);
    assert_string_equal(p->contacts[0].name, "山田 一郎");
    assert_string_equal(p->contacts[0].relationship, "夫");
    /* AL1 ペニシリン + IAM ソバ added then updated; 卵 added then deleted */
    assert_int_equal(p->nallergies, 2);
    assert_string_equal(p->allergies[0].allergen, "ペニシリン");
    assert_string_equal(p->allergies[1].allergen, "ソバ");
    assert_string_equal(p->allergies[1].severity, "SV");
    assert_string_equal(p->allergies[1].reaction, "呼吸困難");
    /* 高血圧症 (N) stays; かぜ (R) and 胃炎 (PRB-9 date, no outcome) are resolved */
    assert_int_equal(p->ndiagnoses, 1);
    assert_string_equal(p->diagnoses[0].name, "高血圧症");
    assert_true(p->diagnoses[0].main);
    /* admitted 301/1, moved to 302/2, on leave (keeps the bed); the discharge was cancelled */
    assert_non_null(p->location);
    assert_string_equal(p->location->room, "302");
    assert_string_equal(p->location->bed, "2");
    assert_string_equal(p->location->admitted, "2024-01-05T10:00");
    assert_string_equal(p->attending, "医師 二郎");
    assert_int_equal(p->nlabs, 1);
    assert_int_equal(p->labs[0].n, 2);
    assert_string_equal(p->labs[0].results[0].value, "7.0");
    assert_string_equal(p->labs[0].results[1].flag, "L");
    assert_int_equal(p->nmedications, 1);
    assert_string_equal(p->medications[0].drug, "ロキソニン錠");
    assert_int_equal(p->medications[0].days, 7);
    assert_int_equal(p->nstays, 1);
    assert_null(p->stays[0].discharged);
    cv_patient_free(p);
    assert_int_equal(cv_index_patient(idx, "0000100", "2024-01-12", &p), CV_OK);
    assert_int_equal(p->nmedications, 0); /* 2024-01-05 + 7 days ends on the 11th */
    assert_int_equal(p->nmedication_history, 1);
    cv_patient_free(p);
    assert_int_equal(cv_index_patient(idx, "9999999", NULL, &p), CV_ENOENT);
    assert_string_equal(cv_errmsg(), "no patient '9999999'");
    assert_int_equal(cv_index_patient(idx, "0000100", "2024-13-01", &p), CV_EINVAL);
    cv_index_close(idx);
}

struct hits {
    int n;
    char first[32];
};

static void on_hit(const struct cv_index_hit *h, void *arg)
{
    struct hits *hs = arg;

    if (hs->n++ == 0)
        cv_strlcpy(hs->first, h->id, sizeof(hs->first));
}

static void test_search(void **state)
{
    static const char *const found[] = {
        "0000100",       "00001",    "山田",         "山田 花子",  "山田花子", "ヤマダ",
        "ヤマダ ハナコ", "ﾔﾏﾀﾞ ﾊﾅｺ", "やまだはなこ", "1980-01-02", "19800102", "ヤマダ　ハナコ"};
    static const char *const missing[] = {
        "0000101", "花子", "ヤマダタ", "1980-01-03", "", "   ", "%", "'; DROP TABLE patients; --"};
    struct cv_index_stats s;
    struct cv_index *idx = build(&s);

    (void)state;
    for (size_t i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
        struct hits h = {0};

        assert_int_equal(cv_index_search(idx, found[i], 10, on_hit, &h), CV_OK);
        if (h.n != 1 || strcmp(h.first, "0000100") != 0)
            fail_msg("'%s': %d hits", found[i], h.n);
    }
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
        struct hits h = {0};

        assert_int_equal(cv_index_search(idx, missing[i], 10, on_hit, &h), CV_OK);
        if (h.n != 0)
            fail_msg("'%s': %d hits", missing[i], h.n);
    }
    cv_index_close(idx);
}

static void on_census(const struct cv_census_row *r, void *arg)
{
    int *n = arg;

    assert_string_equal(r->ward, "3E");
    assert_string_equal(r->id, "0000100");
    assert_int_equal(r->age, 44);
    assert_true(r->allergies_recorded);
    (*n)++;
}

static void on_bed(const struct cv_bed *b, void *arg)
{
    char *out = arg;

    strcat(out, b->room);
    strcat(out, "/");
    strcat(out, b->bed);
    strcat(out, b->occupant ? "* " : " ");
}

static void on_ward(const struct cv_ward *w, void *arg)
{
    char *out = arg;

    sprintf(out + strlen(out), "%s:%lld/%lld ", w->ward, w->occupied, w->beds);
}

static void test_census_and_beds(void **state)
{
    struct cv_index_stats s;
    struct cv_index *idx = build(&s);
    char beds[256] = "", wards[256] = "";
    int n = 0;

    (void)state;
    assert_int_equal(cv_index_census(idx, NULL, "2024-06-01", on_census, &n), CV_OK);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(cv_index_census(idx, "4W", "2024-06-01", on_census, &n), CV_OK);
    assert_int_equal(n, 0);
    assert_int_equal(cv_index_beds(idx, "3E", "2024-06-01", on_bed, beds), CV_OK);
    assert_string_equal(beds, "301/1 302/2* ");
    assert_int_equal(cv_index_wards(idx, on_ward, wards), CV_OK);
    assert_string_equal(wards, "3E:1/2 ");
    cv_index_close(idx);
}

static void test_incremental(void **state)
{
    char from[1200], to[1200], extra[1200];
    struct cv_index_stats s;
    struct cv_index *idx = build(&s);
    struct cv_patient *p;
    FILE *f;

    (void)state;
    assert_int_equal(cv_index_update(idx, root, NULL, &s), CV_OK);
    assert_int_equal(s.seen, 12);
    assert_int_equal(s.unchanged, 12);
    assert_int_equal(s.new_files + s.updated + s.renamed + s.vanished, 0);
    /* rename the newer lab _1 -> _2, change the other, drop the prescription, add a file */
    path_of(from, sizeof(from), "0000100", "20240108", "OML-11", "20240108100000000", 1);
    path_of(to, sizeof(to), "0000100", "20240108", "OML-11", "20240108100000000", 2);
    assert_int_equal(rename(from, to), 0);
    path_of(from, sizeof(from), "0000100", "20240105", "OML-11", "20240105100000000", 1);
    f = fopen(from, "a");
    assert_non_null(f);
    fputs("NTE|1|changed\r", f);
    fclose(f);
    path_of(extra, sizeof(extra), "0000100", "20240105", "OMP-01", "20240105100000000", 1);
    assert_int_equal(unlink(extra), 0);
    put("0000200", "-", "ADT-00", "20240101120000000", 1,
        MSH("ADT^A08") "PID|1||0000200||鈴木^一^^^^^L^I||19500505|M\r");
    assert_int_equal(cv_index_update(idx, root, NULL, &s), CV_OK);
    assert_int_equal(s.seen, 12);
    assert_int_equal(s.new_files, 1);
    assert_int_equal(s.updated, 1);
    assert_int_equal(s.renamed, 1);
    assert_int_equal(s.superseded, 1);
    assert_int_equal(s.vanished, 1);
    assert_int_equal(cv_index_patient(idx, "0000100", "2024-01-09", &p), CV_OK);
    assert_int_equal(p->nlabs, 1);
    assert_int_equal(p->labs[0].n, 1); /* the _2 result is history, not current */
    assert_string_equal(p->labs[0].results[0].value, "6.0");
    assert_int_equal(p->nmedications, 0);
    cv_patient_free(p);
    assert_int_equal(cv_index_patient(idx, "0000200", NULL, &p), CV_OK);
    assert_string_equal(p->name.family, "鈴木");
    cv_patient_free(p);
    /* idempotent */
    assert_int_equal(cv_index_update(idx, root, NULL, &s), CV_OK);
    assert_int_equal(s.new_files + s.updated + s.renamed + s.vanished + s.rejected, 0);
    assert_int_equal(s.unchanged, 12);
    cv_index_close(idx);
}

static int count_change(const struct cv_index_change *c, void *arg)
{
    int *counts = arg;

    counts[c->kind]++;
    return 0;
}

static void test_scan_and_apply(void **state)
{
    char path[1200];
    struct cv_index_stats s;
    struct cv_index *idx = build(&s);
    struct cv_index_scan_summary sum;
    struct cv_index_scan *scan;
    struct cv_index_info before, after;
    unsigned char junk[4096];
    int counts[8] = {0};
    FILE *f;

    (void)state;
    assert_int_equal(cv_index_info(idx, &before), CV_OK);
    assert_int_equal(before.patients, 1);
    assert_int_equal(before.files, 12);
    /* "encrypt" one file, add a file with an unknown name */
    path_of(path, sizeof(path), "0000100", "20240105", "OML-11", "20240105100000000", 1);
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (unsigned char)((i * 2654435761u) >> 13);
    f = fopen(path, "w");
    assert_non_null(f);
    fwrite(junk, 1, sizeof(junk), f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/000/010/0000100/-/ADT-00/README.encrypted", root);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(cv_index_scan(idx, root, NULL, &scan), CV_OK);
    cv_index_scan_summary(scan, &sum);
    assert_int_equal(sum.existing, 12);
    assert_int_equal(sum.seen, 13);
    assert_int_equal(sum.changed, 1);
    assert_int_equal(sum.unparseable, 1);
    assert_int_equal(sum.high_entropy, 1);
    assert_int_equal(sum.new_files, 1);
    assert_int_equal(sum.renamed_unknown, 1);
    assert_int_equal(cv_index_scan_foreach(scan, count_change, counts), 0);
    assert_int_equal(counts[CV_CHANGE_CONTENT], 1);
    assert_int_equal(counts[CV_CHANGE_NEW], 1);
    /* frozen: apply only new files; the changed lab keeps its last good content */
    usleep(1100000);
    assert_int_equal(cv_index_apply(idx, scan, CV_APPLY_NEW, NULL, &s), CV_OK);
    cv_index_scan_free(scan);
    assert_int_equal(s.new_files, 1);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(cv_index_info(idx, &after), CV_OK);
    assert_string_equal(after.data_time, before.data_time);
    assert_int_equal(after.files, 13);
    {
        struct cv_patient *p;

        assert_int_equal(cv_index_patient(idx, "0000100", "2024-01-09", &p), CV_OK);
        assert_int_equal(p->labs[0].n, 2);
        cv_patient_free(p);
    }
    /* the next scan still sees the change; applying everything takes it */
    assert_int_equal(cv_index_scan(idx, root, NULL, &scan), CV_OK);
    cv_index_scan_summary(scan, &sum);
    assert_int_equal(sum.changed, 1);
    assert_int_equal(sum.new_files, 0);
    assert_int_equal(cv_index_apply(idx, scan, CV_APPLY_ALL, NULL, &s), CV_OK);
    cv_index_scan_free(scan);
    assert_int_equal(s.updated, 1);
    assert_int_equal(cv_index_info(idx, &after), CV_OK);
    assert_true(after.data_time_epoch > 0);
    assert_true(after.rejected == 2);
    cv_index_close(idx);
}

static void test_paths(void **state)
{
    char rel[512];
    const char *paths[2];
    struct cv_index_stats s;
    struct cv_index *idx = build(&s);
    struct hits h = {0};

    (void)state;
    put("0000300", "-", "ADT-00", "20240101120000000", 1,
        MSH("ADT^A08") "PID|1||0000300||佐藤^二^^^^^L^I~サトウ^ツギ^^^^^L^P||19600606|M\r");
    snprintf(rel, sizeof(rel),
             "000/030/0000300/-/ADT-00/0000300_-_ADT-00_999999999999999_20240101120000000_-_1");
    paths[0] = rel;
    paths[1] = "../etc/passwd";
    assert_int_equal(cv_index_paths(idx, root, paths, 2, NULL, &s), CV_EINVAL);
    assert_int_equal(cv_index_paths(idx, root, paths, 1, NULL, &s), CV_OK);
    assert_int_equal(s.new_files, 1);
    assert_int_equal(cv_index_search(idx, "サトウ", 10, on_hit, &h), CV_OK);
    assert_int_equal(h.n, 1);
    /* the same path again: nothing to do; then gone */
    assert_int_equal(cv_index_paths(idx, root, paths, 1, NULL, &s), CV_OK);
    assert_int_equal(s.new_files + s.updated, 0);
    {
        char full[1200];

        snprintf(full, sizeof(full), "%s/%s", root, rel);
        assert_int_equal(unlink(full), 0);
    }
    assert_int_equal(cv_index_paths(idx, root, paths, 1, NULL, &s), CV_OK);
    assert_int_equal(s.vanished, 1);
    h.n = 0;
    assert_int_equal(cv_index_search(idx, "サトウ", 10, on_hit, &h), CV_OK);
    assert_int_equal(h.n, 0);
    /* a full walk afterwards agrees */
    assert_int_equal(cv_index_update(idx, root, NULL, &s), CV_OK);
    assert_int_equal(s.new_files + s.updated + s.vanished, 0);
    cv_index_close(idx);
}

static void test_readonly_follows_replacement(void **state)
{
    char other[700];
    struct cv_index_stats s;
    struct cv_index *idx = build(&s), *ro, *w;
    struct cv_index_info info;
    struct hits h = {0};

    (void)state;
    cv_index_close(idx);
    assert_int_equal(cv_index_open(dbpath, CV_INDEX_READONLY, &ro), CV_OK);
    assert_int_equal(cv_index_update(ro, root, NULL, &s), CV_EINVAL);
    assert_int_equal(cv_index_search(ro, "ヤマダ", 10, on_hit, &h), CV_OK);
    assert_int_equal(h.n, 1);
    /* a newer index, built elsewhere from a tree with another patient, replaces the file */
    put("0000400", "-", "ADT-00", "20240101120000000", 1,
        MSH("ADT^A08") "PID|1||0000400||田中^三^^^^^L^I~タナカ^サン^^^^^L^P||19700707|F\r");
    snprintf(other, sizeof(other), "%s.other", dbpath);
    assert_int_equal(cv_index_open(other, 0, &w), CV_OK);
    assert_int_equal(cv_index_update(w, root, NULL, &s), CV_OK);
    cv_index_close(w);
    assert_int_equal(rename(other, dbpath), 0);
    usleep(300000);
    h.n = 0;
    assert_int_equal(cv_index_search(ro, "タナカ", 10, on_hit, &h), CV_OK);
    assert_int_equal(h.n, 1);
    assert_int_equal(cv_index_info(ro, &info), CV_OK);
    assert_int_equal(info.patients, 2);
    cv_index_close(ro);
    assert_int_equal(cv_index_open("/nonexistent/x.db", CV_INDEX_READONLY, &ro), CV_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_current_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_census_and_beds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incremental, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_and_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_follows_replacement, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
