/*
 * test_ssmix2.c: SS-MIX2 file names and paths (every way they can be wrong, with the reason),
 * the data-type and care-date tables, what messages say about themselves (on the public
 * samples), which folder a message belongs in, and folder-versus-content consistency.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <chartvault/ssmix2.h>

#include <stdio.h>
#include <string.h>

static void test_name_parse(void **state)
{
    struct cv_ssmix2_name n;

    (void)state;
    assert_int_equal(
        cv_ssmix2_name_parse("9999013_20111220_OML-11_000000011000354_20111220103059000_01_1", &n),
        CV_OK);
    assert_string_equal(n.patient_id, "9999013");
    assert_string_equal(n.care_date, "20111220");
    assert_string_equal(n.data_type, "OML-11");
    assert_string_equal(n.order_no, "000000011000354");
    assert_string_equal(n.event_time, "20111220103059000");
    assert_string_equal(n.dept, "01");
    assert_int_equal(n.flag, CV_SSMIX2_CURRENT);
    assert_int_equal(
        cv_ssmix2_name_parse("9999013_-_ADT-00_999999999999999_20111220224447339_-_2", &n), CV_OK);
    assert_int_equal(n.flag, CV_SSMIX2_SUPERSEDED);
    assert_string_equal(n.dept, "-");
    assert_int_equal(
        cv_ssmix2_name_parse("9999013_20111220_OMG-11_2011122000300_20111220224447339_7A_0", &n),
        CV_OK);
    assert_int_equal(n.flag, CV_SSMIX2_DELETED);
}

static void test_name_errors(void **state)
{
    static const struct {
        const char *name, *reason;
    } bad[] = {
        {"9999013_20111220_OML-11_1", "file name has 4 of 7 fields"},
        {"a_b_c_d_e_f_g_h", "file name has 8 of 7 fields"},
        {"", "file name has 1 of 7 fields"},
        {"9999013_20111220_OML-11_1_20111220103059000_01_3",
         "file name: condition flag is not 0, 1 or 2"},
        {"9999013_20111320_OML-11_1_20111220103059000_01_1",
         "file name: care date is not YYYYMMDD or -"},
        {"9999013_20111220_XYZ-99_1_20111220103059000_01_1", "file name: unknown data type"},
        {"9999013_20111220_OML-11_1234567890123456_20111220103059000_01_1",
         "file name: order number is not 1 to 15 letters or digits"},
        {"9999013_20111220_OML-11_1_2011122010305_01_1",
         "file name: event time is not yyyyMMddHHmmssfff"},
        {"9999013_20111220_OML-11_1_20111220103059000_0123_1",
         "file name: department code is not 1 to 3 letters or digits or -"},
        {"1234567890123456_20111220_OML-11_1_20111220103059000_01_1",
         "file name: patient ID is not 1 to 15 letters or digits"},
        {"9999013_-_OML-11_1_20111220103059000_01_1", "file name: OML-11 needs a care date, not -"},
        {"9999013_20111220_ADT-00_1_20111220103059000_01_1",
         "file name: ADT-00 is stored under -, not a date"},
        {"99 9013_20111220_OML-11_1_20111220103059000_01_1",
         "file name: patient ID is not 1 to 15 letters or digits"},
    };
    struct cv_ssmix2_name n;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cv_ssmix2_name_parse(bad[i].name, &n) != CV_EPARSE ||
            strcmp(cv_errmsg(), bad[i].reason) != 0)
            fail_msg("'%s': '%s'", bad[i].name, cv_errmsg());
    }
}

static void test_name_format(void **state)
{
    struct cv_ssmix2_name n = {"9999013",           "20111220", "OMP-01", "000000011000185",
                               "20110701224603984", "01",       1};
    char buf[96];

    (void)state;
    assert_int_equal(cv_ssmix2_name_format(&n, buf, sizeof(buf)), CV_OK);
    assert_string_equal(buf, "9999013_20111220_OMP-01_000000011000185_20110701224603984_01_1");
    assert_int_equal(cv_ssmix2_dir_format(&n, buf, sizeof(buf)), CV_OK);
    assert_string_equal(buf, "999/901/9999013/20111220/OMP-01");
    n.flag = 5;
    assert_int_equal(cv_ssmix2_name_format(&n, buf, sizeof(buf)), CV_EINVAL);
    assert_string_equal(buf, "");
    strcpy(n.patient_id, "12345");
    n.flag = 1;
    assert_int_equal(cv_ssmix2_dir_format(&n, buf, sizeof(buf)), CV_EINVAL);
    assert_int_equal(cv_ssmix2_name_format(&n, buf, 10), CV_EINVAL);
}

static void test_path_parse(void **state)
{
    static const struct {
        const char *path, *reason;
    } bad[] = {
        {"999/901/9999013/-/ADT-00", "not in an SS-MIX2 folder (<ID[0:3]>/<ID[3:6]>/<ID>/<date>/"
                                     "<type>/<file>): 5 levels deep"},
        {"999/902/9999013/-/ADT-00/9999013_-_ADT-00_999999999999999_20111220224447339_-_1",
         "patient folder is not under <ID[0:3]>/<ID[3:6]>"},
        {"999/901/9999013/2011/ADT-00/9999013_-_ADT-00_999999999999999_20111220224447339_-_1",
         "care date folder is not YYYYMMDD or -"},
        {"999/901/9999013/-/ADT-99/9999013_-_ADT-00_999999999999999_20111220224447339_-_1",
         "data type folder is not an SS-MIX2 data type"},
        {"000/000/0000001/20000401/ADT-31/"
         "9999013_20110630_OMP-11_123456789012345_20110701113813225_01_1",
         "file name does not match its folder (patient ID, care date, data type)"},
        {"999/901/9999013/-/ADT-00/9999013_-_ADT-00_999999999999999_2011122022444733_-_9",
         "file name: condition flag is not 0, 1 or 2"},
    };
    struct cv_ssmix2_path p;

    (void)state;
    assert_int_equal(cv_ssmix2_path_parse("999/901/9999013/-/ADT-00/"
                                          "9999013_-_ADT-00_999999999999999_20111220224447339_-_1",
                                          &p),
                     CV_OK);
    assert_string_equal(p.folder_id, "9999013");
    assert_string_equal(p.type->code, "ADT-00");
    assert_false(p.type->dated);
    /* short IDs: the two hash levels are site-specific and not checked */
    assert_int_equal(cv_ssmix2_path_parse("000/012/12/20240101/OMD/"
                                          "12_20240101_OMD_1_20240101000000000_-_1",
                                          &p),
                     CV_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (cv_ssmix2_path_parse(bad[i].path, &p) != CV_EPARSE ||
            strcmp(cv_errmsg(), bad[i].reason) != 0)
            fail_msg("'%s': '%s'", bad[i].path, cv_errmsg());
}

static void test_tables(void **state)
{
    const struct cv_ssmix2_type *t = cv_ssmix2_type_find("ADT-22");
    size_t n = 0;

    (void)state;
    assert_non_null(t);
    assert_true(cv_ssmix2_type_accepts(t, "ADT^A01"));
    assert_true(cv_ssmix2_type_accepts(t, "ADT^A11"));
    assert_false(cv_ssmix2_type_accepts(t, "ADT^A1"));
    assert_false(cv_ssmix2_type_accepts(t, "ADT^A08"));
    assert_true(cv_ssmix2_type_is_cancel(t, "ADT^A11"));
    assert_false(cv_ssmix2_type_is_cancel(t, "ADT^A01"));
    assert_null(cv_ssmix2_type_find("adt-22"));
    while (cv_ssmix2_type_at(n))
        n++;
    assert_int_equal(n, 26);
    assert_string_equal(cv_ssmix2_care_date_field("OUL^R22"), "SPM-17");
    assert_string_equal(cv_ssmix2_care_date_field("ADT^A03"), "PV1-45");
    assert_null(cv_ssmix2_care_date_field("ADT^A08"));
}

static struct cv_hl7_msg *load(const char *rel, struct cv_buf *b)
{
    struct cv_hl7_msg *m;
    char path[1024];

    snprintf(path, sizeof(path), "%s/999/901/9999013/%s", CV_CORPUS, rel);
    cv_buf_reset(b);
    assert_int_equal(cv_buf_read_file(b, path), CV_OK);
    assert_int_equal(cv_hl7_msg_new(&m), CV_OK);
    assert_int_equal(cv_hl7_msg_parse(m, b->data, b->len), CV_OK);
    return m;
}

static void test_msginfo_samples(void **state)
{
    static const struct {
        const char *file, *event, *type, *pid3, *care, *dept;
    } cases[] = {
        {"-/ADT-00/9999013_-_ADT-00_999999999999999_20111220224447339_-_1", "ADT^A08", "ADT-00",
         "9999013", "", ""},
        {"-/ADT-61/9999013_-_ADT-61_999999999999999_20111014232213000_-_1", "ADT^A60", "ADT-61",
         "12345678", "", ""},
        {"20110701/OMP-01/9999013_20110701_OMP-01_000000011000185_20110701224603984_01_1",
         "RDE^O11", "OMP-01", "9999013", "20110701", "01"},
        {"20110701/OMP-02/9999013_20110701_OMP-02_123456789012345_20110701224603984_01_1",
         "RDE^O11", "OMP-02", "9999013", "20110701", "01"},
        {"20110701/OMP-12/9999013_20110701_OMP-12_123456789012345_20110701113813225_01_1",
         "RAS^O17", "OMP-12", "9999013", "20110701", "01"},
        {"20111220/OMG-01/9999013_20111220_OMG-01_000201101200100_20111220224447339_-_1", "OMG^O19",
         "OMG-01", "12345678", "20111220", ""},
        {"20111220/OMG-02/9999013_20111220_OMG-02_201212201252100_20111220224447339_01_1",
         "OMG^O19", "OMG-02", "10345678", "20121220", "01"},
        {"20111220/OMG-03/9999013_20111220_OMG-03_201112200089100_20111220224447339_01_1",
         "OMG^O19", "OMG-03", "12345678", "20111220", "01"},
        {"20111220/OMG-12/9999013_20111220_OMG-12_201112201656100_20111220224447339_01_1",
         "OMI^Z23", "OMG-12", "10345678", "20111220", "01"},
        {"20111220/OML-01/9999013_20111220_OML-01_000000011000354_20111220103059123_15_1",
         "OML^O33", "OML-01", "9999013", "20111220", "15"},
        {"20111220/OML-11/9999013_20111220_OML-11_000000011000354_20111220103059000_01_1",
         "OUL^R22", "OML-11", "0001000052", "20111219", "01"},
        {"20111120/ADT-22/9999013_20111120_ADT-22_999999999999999_20111220224447339_01_1",
         "ADT^A01", "ADT-22", "9999013", "20111120", "01"},
    };
    struct cv_buf b = CV_BUF_INIT(1 << 20);

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cv_hl7_msg *m = load(cases[i].file, &b);
        struct cv_ssmix2_msginfo info;

        cv_ssmix2_msginfo_get(m, &info);
        if (strcmp(info.event, cases[i].event) || !info.type ||
            strcmp(info.type->code, cases[i].type) || strcmp(info.pid3, cases[i].pid3) ||
            strcmp(info.care_date, cases[i].care) || strcmp(info.dept, cases[i].dept))
            fail_msg("%s: %s %s %s %s %s", cases[i].file, info.event,
                     info.type ? info.type->code : "-", info.pid3, info.care_date, info.dept);
        cv_hl7_msg_free(m);
    }
    cv_buf_free(&b);
}

static void test_msginfo_problems(void **state)
{
    static const char msg[] = "MSH|^~\\&|A|B|C|D|2011||OMD^O03||P|2.5\r"
                              "PID|1||12345678901234567\rORC|NW|ABCDEFGHIJKLMNOPQ||||||||xx\r";
    struct cv_ssmix2_msginfo info;
    struct cv_hl7_msg *m;

    (void)state;
    assert_int_equal(cv_hl7_msg_new(&m), CV_OK);
    assert_int_equal(cv_hl7_msg_parse(m, msg, sizeof(msg) - 1), CV_OK);
    assert_int_equal(cv_ssmix2_msginfo_get(m, &info), CV_EPARSE);
    assert_string_equal(cv_errmsg(), "MSH-10 message control ID is empty");
    assert_int_equal(info.problems, CV_SSMIX2_P_CONTROL | CV_SSMIX2_P_PID_LONG | CV_SSMIX2_P_ORDER |
                                        CV_SSMIX2_P_CARE_DATE);
    assert_string_equal(info.patient_id, "");
    assert_string_equal(info.message_time, "20110101000000000");
    assert_string_equal(info.type->code, "OMD");
    {
        static const char sjis[] = "MSH|^~\\&|A|B|C|D|2011||OMD^O03|1|P|2.5||||||SHIFT_JIS\r"
                                   "PID|1||1234567\rNTE|1|\x1b$B4A;z\x1b(B\r";

        assert_int_equal(cv_hl7_msg_parse(m, sjis, sizeof(sjis) - 1), CV_OK);
        cv_ssmix2_msginfo_get(m, &info);
        assert_true(info.problems & CV_SSMIX2_P_CHARSET);
        assert_int_equal(cv_hl7_msg_parse(m, sjis, 69), CV_OK); /* ASCII only: no problem */
        cv_ssmix2_msginfo_get(m, &info);
        assert_false(info.problems & CV_SSMIX2_P_CHARSET);
    }
    assert_int_equal(cv_hl7_msg_parse(m, "MSH|^~\\&|A|B|C|D|2011||XYZ^Q01|1\r", 33), CV_OK);
    assert_int_equal(cv_ssmix2_msginfo_get(m, &info), CV_EPARSE);
    assert_string_equal(cv_errmsg(), "MSH-9 names no event that SS-MIX2 stores");
    assert_true(info.problems & CV_SSMIX2_P_PID);
    cv_hl7_msg_free(m);
}

static void test_consistency(void **state)
{
    struct cv_buf b = CV_BUF_INIT(1 << 20), warn = CV_BUF_INIT(4096);
    struct cv_hl7_msg *m =
        load("20111220/OML-11/9999013_20111220_OML-11_000000011000354_20111220103059000_01_1", &b);
    struct cv_ssmix2_msginfo info;
    struct cv_ssmix2_path p;

    (void)state;
    cv_ssmix2_msginfo_get(m, &info);
    assert_int_equal(
        cv_ssmix2_path_parse("999/901/9999013/20111220/OML-11/"
                             "9999013_20111220_OML-11_000000011000354_20111220103059000_01_1",
                             &p),
        CV_OK);
    assert_int_equal(cv_ssmix2_check_consistency(&p, &info, &warn), CV_OK);
    assert_string_equal(cv_buf_str(&warn), "care date in SPM-17 differs from the folder's; "
                                           "PID-3 differs from the patient folder");
    assert_int_equal(
        cv_ssmix2_path_parse("999/901/9999013/20111220/OML-01/"
                             "9999013_20111220_OML-01_000000011000354_20111220103059000_01_1",
                             &p),
        CV_OK);
    assert_int_equal(cv_ssmix2_check_consistency(&p, &info, NULL), CV_EPARSE);
    assert_string_equal(cv_errmsg(), "MSH-9 OUL^R22 does not belong in an OML-01 folder");
    cv_hl7_msg_free(m);
    cv_buf_free(&b);
    cv_buf_free(&warn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_parse),       cmocka_unit_test(test_name_errors),
        cmocka_unit_test(test_name_format),      cmocka_unit_test(test_path_parse),
        cmocka_unit_test(test_tables),           cmocka_unit_test(test_msginfo_samples),
        cmocka_unit_test(test_msginfo_problems), cmocka_unit_test(test_consistency),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
