/*
 * test_common.c: errors, the allocation wrapper's failure injection, capped buffers, JSON
 * escaping, dates and durations, atomic writes and the private-file check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <chartvault/common.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_errors(void **state)
{
    (void)state;
    assert_string_equal(cv_strerror(CV_OK), "success");
    assert_string_equal(cv_strerror(CV_ENOMEM), "out of memory");
    assert_string_equal(cv_strerror((enum cv_err)9999), "unknown error");
    for (int e = 0; e < CV_ERR_COUNT_; e++)
        assert_string_not_equal(cv_strerror((enum cv_err)e), "unknown error");
    assert_int_equal(cv_fail(CV_EPARSE, "bad '%s'", "x"), CV_EPARSE);
    assert_string_equal(cv_errmsg(), "bad 'x'");
    cv_fail_prefix(CV_EPARSE, "file %d: ", 3);
    assert_string_equal(cv_errmsg(), "file 3: bad 'x'");
    assert_int_equal(access("/nonexistent/x", R_OK), -1);
    assert_int_equal(cv_fail_errno(CV_EIO, "cannot open '%s'", "/nonexistent/x"), CV_ENOENT);
    assert_string_equal(cv_errmsg(), "cannot open '/nonexistent/x': No such file or directory");
}

static void test_alloc_failure_injection(void **state)
{
    struct cv_buf b = CV_BUF_INIT(1 << 20);
    unsigned long before = cv_alloc_count();
    void *p;

    (void)state;
    p = cv_malloc(10);
    assert_non_null(p);
    cv_free(p);
    assert_true(cv_alloc_count() > before);
    cv_alloc_fail_after(0);
    assert_null(cv_malloc(10));
    cv_alloc_fail_after(1);
    p = cv_malloc(10);
    assert_non_null(p);
    assert_null(cv_malloc(10));
    cv_free(p);
    cv_alloc_fail_after(0);
    assert_int_equal(cv_buf_puts(&b, "hello"), CV_ENOMEM);
    cv_alloc_fail_after(-1);
    assert_int_equal(cv_buf_puts(&b, "hello"), CV_ENOMEM); /* sticky until reset */
    cv_buf_reset(&b);
    assert_int_equal(cv_buf_puts(&b, "hello"), CV_OK);
    cv_buf_free(&b);
    cv_free(NULL);
}

static void test_buf_cap(void **state)
{
    struct cv_buf b = CV_BUF_INIT(8);

    (void)state;
    assert_string_equal(cv_buf_str(&b), "");
    assert_int_equal(cv_buf_puts(&b, "12345678"), CV_OK);
    assert_int_equal(b.len, 8);
    assert_string_equal(cv_buf_str(&b), "12345678");
    assert_int_equal(cv_buf_error(&b), CV_OK);
    assert_int_equal(cv_buf_putc(&b, '9'), CV_ETOOBIG);
    assert_int_equal(b.len, 8);
    /* the failure sticks: text with a piece missing never looks whole */
    assert_int_equal(cv_buf_error(&b), CV_ETOOBIG);
    b.len = 4;
    assert_int_equal(cv_buf_putc(&b, 'x'), CV_ETOOBIG);
    assert_int_equal(b.len, 4);
    cv_buf_reset(&b);
    assert_int_equal(cv_buf_error(&b), CV_OK);
    assert_int_equal(cv_buf_printf(&b, "%d-%s", 42, "ab"), CV_OK);
    assert_string_equal(cv_buf_str(&b), "42-ab");
    assert_int_equal(cv_buf_printf(&b, "%s", "too long"), CV_ETOOBIG);
    assert_int_equal(cv_buf_puts(&b, "c"), CV_ETOOBIG);
    assert_string_equal(cv_buf_str(&b), "42-ab");
    cv_buf_free(&b);
    assert_int_equal(cv_buf_error(&b), CV_OK);
    assert_int_equal(cv_buf_reserve(&b, SIZE_MAX), CV_ETOOBIG);
    cv_buf_set_error(&b, CV_EINVAL); /* the first error stays */
    assert_int_equal(cv_buf_error(&b), CV_ETOOBIG);
    cv_buf_free(&b);
}

static void test_buf_read_file(void **state)
{
    char path[] = "/tmp/cv_test_readXXXXXX";
    int fd = mkstemp(path);
    struct cv_buf small = CV_BUF_INIT(10), exact = CV_BUF_INIT(11), big = CV_BUF_INIT(1 << 20);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hello world", 11), 11);
    close(fd);
    assert_int_equal(cv_buf_read_file(&small, path), CV_ETOOBIG);
    assert_int_equal(cv_buf_read_file(&exact, path), CV_OK);
    assert_int_equal(cv_buf_read_file(&big, path), CV_OK);
    assert_string_equal(cv_buf_str(&big), "hello world");
    assert_int_equal(cv_buf_read_file(&big, "/nonexistent"), CV_ENOENT);
    unlink(path);
    cv_buf_free(&small);
    cv_buf_free(&exact);
    cv_buf_free(&big);
}

static void test_json(void **state)
{
    struct cv_buf b = CV_BUF_INIT(1 << 16);
    struct cv_json j;

    (void)state;
    cv_json_init(&j, &b, false);
    cv_json_object_begin(&j);
    cv_json_kv_string(&j, "name", "患者 \"太郎\"\n\x01");
    cv_json_kv_string(&j, "null", NULL);
    cv_json_kv_int(&j, "n", -5);
    cv_json_kv_double(&j, "x", 7.2);
    cv_json_kv_bool(&j, "ok", true);
    cv_json_key(&j, "list");
    cv_json_array_begin(&j);
    cv_json_string(&j, "bad\xff\xfe");
    cv_json_int(&j, 1);
    cv_json_array_end(&j);
    cv_json_key(&j, "empty");
    cv_json_array_begin(&j);
    cv_json_array_end(&j);
    cv_json_object_end(&j);
    assert_int_equal(cv_json_finish(&j), CV_OK);
    assert_string_equal(cv_buf_str(&b), "{\"name\":\"患者 \\\"太郎\\\"\\n\\u0001\",\"null\":null,"
                                        "\"n\":-5,\"x\":7.2,\"ok\":true,"
                                        "\"list\":[\"bad\xEF\xBF\xBD\xEF\xBF\xBD\",1],"
                                        "\"empty\":[]}");
    cv_buf_free(&b);
}

static void test_json_pretty_and_cap(void **state)
{
    struct cv_buf b = CV_BUF_INIT(16);
    struct cv_json j;

    (void)state;
    cv_json_init(&j, &b, true);
    cv_json_object_begin(&j);
    cv_json_kv_string(&j, "a", "0123456789012345");
    cv_json_object_end(&j);
    assert_int_equal(cv_json_finish(&j), CV_ETOOBIG);
    cv_buf_free(&b);
}

static void test_dates_and_durations(void **state)
{
    long days, secs;
    int y, m, d;

    (void)state;
    assert_int_equal(cv_parse_date("1970-01-01", &days), CV_OK);
    assert_int_equal(days, 0);
    assert_int_equal(cv_parse_date("2026-11-01", &days), CV_OK);
    cv_days_to_ymd(days, &y, &m, &d);
    assert_int_equal(y, 2026);
    assert_int_equal(m, 11);
    assert_int_equal(d, 1);
    assert_int_equal(cv_parse_date("2024-02-29", &days), CV_OK);
    assert_int_equal(cv_parse_date("2023-02-29", &days), CV_EINVAL);
    assert_int_equal(cv_parse_date("2026-13-01", &days), CV_EINVAL);
    assert_int_equal(cv_parse_date("20261101", &days), CV_EINVAL);
    assert_int_equal(cv_parse_date("2026-11-01x", &days), CV_EINVAL);
    for (long dd = -800000; dd < 800000; dd += 997) {
        cv_days_to_ymd(dd, &y, &m, &d);
        assert_int_equal(cv_ymd_to_days(y, m, d), dd);
    }
    assert_int_equal(cv_parse_duration("15m", &secs), CV_OK);
    assert_int_equal(secs, 900);
    assert_int_equal(cv_parse_duration("1h", &secs), CV_OK);
    assert_int_equal(secs, 3600);
    assert_int_equal(cv_parse_duration("90", &secs), CV_OK);
    assert_int_equal(secs, 90);
    assert_int_equal(cv_parse_duration("2d", &secs), CV_OK);
    assert_int_equal(secs, 172800);
    assert_int_equal(cv_parse_duration("1x", &secs), CV_EINVAL);
    assert_int_equal(cv_parse_duration("1hh", &secs), CV_EINVAL);
    assert_int_equal(cv_parse_duration("", &secs), CV_EINVAL);
    assert_int_equal(cv_parse_duration("-5m", &secs), CV_EINVAL);
    assert_int_equal(cv_parse_duration("99999999999999999999d", &secs), CV_EINVAL);
}

static void test_clock_offset(void **state)
{
    time_t a = cv_now();

    (void)state;
    cv_clock_set_offset(900);
    assert_true(cv_now() >= a + 900);
    cv_clock_set_offset(0);
}

static void test_files(void **state)
{
    char dir[] = "/tmp/cv_test_filesXXXXXX";
    char path[256], nested[256];
    struct cv_buf b = CV_BUF_INIT(100);

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_false(cv_dir_nonempty(dir));
    snprintf(path, sizeof(path), "%s/secret", dir);
    assert_int_equal(cv_file_write_atomic(path, "pw\n", 3, 0600), CV_OK);
    assert_true(cv_dir_nonempty(dir));
    assert_int_equal(cv_buf_read_file(&b, path), CV_OK);
    assert_string_equal(cv_buf_str(&b), "pw\n");
    assert_int_equal(cv_file_check_private(path), CV_OK);
    chmod(path, 0640);
    assert_int_equal(cv_file_check_private(path), CV_EPERM);
    assert_non_null(strstr(cv_errmsg(), "chmod 600"));
    snprintf(nested, sizeof(nested), "%s/a/b/c", dir);
    assert_int_equal(cv_mkdir_p(nested, 0700), CV_OK);
    assert_int_equal(cv_mkdir_p(nested, 0700), CV_OK);
    assert_int_equal(cv_file_write_atomic("/nonexistent/dir/x", "a", 1, 0600), CV_ENOENT);
    cv_buf_free(&b);
    unlink(path);
    rmdir(nested);
    snprintf(nested, sizeof(nested), "%s/a/b", dir);
    rmdir(nested);
    snprintf(nested, sizeof(nested), "%s/a", dir);
    rmdir(nested);
    rmdir(dir);
}

static void test_hex(void **state)
{
    uint8_t in[3] = {0x00, 0xab, 0xff}, out[3];
    char hex[7];

    (void)state;
    cv_hex_encode(in, 3, hex);
    assert_string_equal(hex, "00abff");
    assert_int_equal(cv_hex_decode("00ABff", out, 3), CV_OK);
    assert_memory_equal(in, out, 3);
    assert_int_equal(cv_hex_decode("00abfg", out, 3), CV_EPARSE);
    assert_int_equal(cv_hex_decode("00abff00", out, 3), CV_EPARSE);
}

/* One validator for every UTF-8 check: overlong forms, surrogates, > U+10FFFF, truncation. */
static void test_utf8(void **state)
{
    size_t len;
    (void)state;

    assert_true(cv_utf8_valid("", 0));
    assert_true(cv_utf8_valid("a\xC2\xA9\xE6\x82\xA3\xF0\x9F\x98\x80", 10));
    assert_false(cv_utf8_valid("\xC0\xAF", 2));         /* overlong '/' */
    assert_false(cv_utf8_valid("\xE0\x80\xAF", 3));     /* overlong, 3 bytes */
    assert_false(cv_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
    assert_false(cv_utf8_valid("\xF4\x90\x80\x80", 4)); /* past U+10FFFF */
    assert_false(cv_utf8_valid("\xF5\x80\x80\x80", 4));
    assert_false(cv_utf8_valid("\xE6\x82", 2)); /* cut short */
    assert_false(cv_utf8_valid("\x80", 1));
    assert_int_equal(cv_utf8_len("\xE6\x82\xA3", 3), 3);
    assert_int_equal(cv_utf8_decode("\xE6\x82\xA3", 3, &len), 0x60A3);
    assert_int_equal(len, 3);
    assert_int_equal(cv_utf8_decode("\xFF", 1, &len), 0xFFFD);
    assert_int_equal(len, 1);
    assert_int_equal(cv_utf8_decode("A", 1, &len), 'A');
}

/* FNV-1a 64 test vectors (Fowler, Noll, Vo). */
static void test_fnv1a(void **state)
{
    (void)state;
    assert_true(cv_fnv1a_str("") == 0xcbf29ce484222325ULL);
    assert_true(cv_fnv1a_str("a") == 0xaf63dc4c8601ec8cULL);
    assert_true(cv_fnv1a_str("foobar") == 0x85944171f73967e8ULL);
    assert_true(cv_fnv1a(CV_FNV1A_OFFSET, "foobar", 6) == 0x85944171f73967e8ULL);
}

/* The detector's one verdict: text is not encrypted, 512 random-looking bytes are, fewer
 * bytes never are (they cannot reach the threshold reliably). */
static void test_entropy(void **state)
{
    static unsigned char junk[4096];
    const char *text =
        "MSH|^~\\&|HIS|HOSP|||20240110||ADT^A08|1|P|2.5||||||~ISO IR87|ISO 2022-1994";
    uint64_t x = 88172645463325252ULL;
    double bits;
    (void)state;

    for (size_t i = 0; i < sizeof(junk); i++) { /* xorshift64: deterministic noise */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        junk[i] = (unsigned char)x;
    }
    assert_true(cv_entropy_bits(junk, sizeof(junk)) > 7.9);
    assert_true(cv_looks_encrypted(junk, CV_ENTROPY_MIN_BYTES, &bits));
    assert_true(bits > CV_ENTROPY_HIGH_BITS);
    assert_false(cv_looks_encrypted(junk, CV_ENTROPY_MIN_BYTES - 1, NULL));
    assert_false(cv_looks_encrypted(text, strlen(text), &bits));
    assert_true(bits < 6);
    assert_true(cv_entropy_bits("aaaa", 4) == 0);
    assert_true(cv_entropy_bits("", 0) == 0);
}

/* CSV fields a spreadsheet would run as formulas are defused, full-width forms included. */
static void test_csv_field(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
        {"+1", "\"'+1\""},
        {"-1", "\"'-1\""},
        {"@SUM(A1)", "\"'@SUM(A1)\""},
        {"\t=1", "\"'\t=1\""},
        {"\r=1", "\"'\r=1\""},
        {"  =1", "\"'  =1\""},
        {"＝1+1", "\"'＝1+1\""},
        {"＋1", "\"'＋1\""},
        {"－1", "\"'－1\""},
        {"＠A", "\"'＠A\""},
        {"﹦1", "\"'﹦1\""},
        {"患者 =1", "患者 =1"},
        {"", ""},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cv_buf b = CV_BUF_INIT(256);

        assert_int_equal(cv_csv_field(&b, cases[i].in), CV_OK);
        assert_string_equal(cv_buf_str(&b), cases[i].out);
        cv_buf_free(&b);
    }
}

/* Paths and file names lose their patient; what kind of message stays; refs appear with a key
 * and are the keyed hash of the file name; a long line is cut, never inside an identifier. */
static void test_redact(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"mllp: stored 000/107/0001074832/-/ADT-00/0001074832_-_ADT-00_999999999999999_"
         "20261208084325673_-_1 (0 older files renamed)",
         "mllp: stored …/<patient>/-/ADT-00/<file> (0 older files renamed)"},
        {"cannot read '/srv/ss/999/901/9999013/20110701/OMP-01/9999013_20110701_OMP-01_"
         "000000011000185_20110701224603984_01_1': Permission denied",
         "cannot read '/srv/ss/…/<patient>/20110701/OMP-01/<file>': Permission denied"},
        {"patient 9999013 in 999/901/9999013.", "patient <patient> in …/<patient>."},
        {"9999013_-_ADT-00_x_y_z_1 is odd; 99990131 is not 9999013",
         "<file> is odd; 99990131 is not <patient>"},
        {"PID-3 X123456 in folder 001/234/X123456/-/ADT-00",
         "PID-3 <patient> in folder 001/234/<patient>/-/ADT-00"},
        {"snapshot 4fa170f0: 5157 files, pack 51e6cf84 at 20261208",
         "snapshot 4fa170f0: 5157 files, pack 51e6cf84 at 20261208"},
        {"", ""},
    };
    uint8_t key[CV_REDACT_KEY_LEN] = {1, 2, 3};
    char text[1024], ref[CV_REDACT_REF_LEN + 1], want[200];
    (void)state;

    cv_redact_set_key(NULL);
    for (size_t i = 0; i < CV_ARRAY_LEN(cases); i++) {
        cv_strlcpy(text, cases[i].in, sizeof(text));
        cv_redact(text, sizeof(text));
        assert_string_equal(text, cases[i].out);
    }
    cv_redact_set_key(key);
    cv_strlcpy(text, "x 123/456/123456789/-/ADT-00/123456789_-_ADT-00_1_2_3_1", sizeof(text));
    cv_redact(text, sizeof(text));
    cv_redact_ref(key, "123456789_-_ADT-00_1_2_3_1", ref);
    snprintf(want, sizeof(want), "x …/<patient>/-/ADT-00/<file %s>", ref);
    assert_string_equal(text, want);
    cv_redact_set_key(NULL);
    /* a line that grows past its buffer ends early instead of showing half an ID */
    cv_strlcpy(text, "7_-_ADT-00_a_b 7 7 7 7 7 7 7 7", sizeof(text));
    cv_redact(text, 30);
    assert_null(strstr(text, "7"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_alloc_failure_injection),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_buf_read_file),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_pretty_and_cap),
        cmocka_unit_test(test_dates_and_durations),
        cmocka_unit_test(test_clock_offset),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_fnv1a),
        cmocka_unit_test(test_entropy),
        cmocka_unit_test(test_csv_field),
        cmocka_unit_test(test_redact),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
