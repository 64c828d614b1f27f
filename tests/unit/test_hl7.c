/*
 * test_hl7.c: the HL7 reader's edge cases: delimiters inside ISO-2022-JP kanji and half-width
 * kana, escapes, CR/LF/CRLF, MLLP framing bytes, size caps, junk of every kind, timestamps,
 * UTF-8 messages, and the UTF-8 -> ISO-2022-JP conversion the MLLP listener uses.
 * Test messages are written in UTF-8 and encoded with glibc iconv directly, so the encoder
 * under test is not used to build its own inputs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <chartvault/hl7.h>

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* UTF-8 -> ISO-2022-JP-3 with glibc iconv (ESC ( I for half-width kana). Caller frees. */
static char *iso(const char *utf8, size_t *len)
{
    iconv_t cd = iconv_open("ISO-2022-JP-3", "UTF-8");
    size_t inleft = strlen(utf8), outleft = inleft * 4 + 16;
    char *out = malloc(outleft), *o = out, *in = (char *)utf8;

    assert_true(cd != (iconv_t)-1);
    assert_int_not_equal(iconv(cd, &in, &inleft, &o, &outleft), (size_t)-1);
    iconv(cd, NULL, NULL, &o, &outleft);
    iconv_close(cd);
    *len = (size_t)(o - out);
    return out;
}

static struct cv_hl7_msg *parse_ok(const char *bytes, size_t len)
{
    struct cv_hl7_msg *m;

    assert_int_equal(cv_hl7_msg_new(&m), CV_OK);
    if (cv_hl7_msg_parse(m, bytes, len) != CV_OK)
        fail_msg("parse failed: %s", cv_errmsg());
    return m;
}

static enum cv_err parse_err(const char *bytes, size_t len)
{
    struct cv_hl7_msg *m;
    enum cv_err err;

    assert_int_equal(cv_hl7_msg_new(&m), CV_OK);
    err = cv_hl7_msg_parse(m, bytes, len);
    assert_int_equal(cv_hl7_segment_count(m), 0);
    cv_hl7_msg_free(m);
    return err;
}

static const char base[] = "MSH|^~\\&|APP|FAC|GW|RCV|20111220224447.3399||ADT^A08^ADT_A01|1|P|2.5"
                           "||||||~ISO IR87||ISO 2022-1994\r";

static void test_fields_components_repetitions(void **state)
{
    char msg[512];
    struct cv_hl7_msg *m;
    long pid;

    (void)state;
    snprintf(msg, sizeof(msg), "%sPID|1||123^^^^PI~456^^^^MR||A&B^C||19480405|M\r", base);
    m = parse_ok(msg, strlen(msg));
    assert_int_equal(cv_hl7_segment_count(m), 2);
    assert_string_equal(cv_hl7_segment_id(m, 1), "PID");
    pid = cv_hl7_find(m, "PID", 0);
    assert_int_equal(pid, 1);
    assert_int_equal(cv_hl7_find(m, "PV1", 0), -1);
    assert_int_equal(cv_hl7_field_count(m, 1), 8);
    assert_string_equal(cv_hl7_text(m, pid, 3, 1, 1, 0), "123");
    assert_string_equal(cv_hl7_text(m, pid, 3, 2, 5, 0), "MR");
    assert_int_equal(cv_hl7_rep_count(m, pid, 3), 2);
    assert_string_equal(cv_hl7_text(m, pid, 5, 1, 1, 2), "B");
    assert_string_equal(cv_hl7_text(m, pid, 5, 1, 2, 0), "C");
    assert_null(cv_hl7_text(m, pid, 4, 1, 1, 0));
    assert_null(cv_hl7_text(m, pid, 99, 1, 1, 0));
    assert_null(cv_hl7_text(m, pid, 3, 3, 1, 0));
    assert_string_equal(cv_hl7_text(m, 0, 1, 0, 0, 0), "|");
    assert_string_equal(cv_hl7_text(m, 0, 2, 0, 0, 0), "^~\\&");
    assert_string_equal(cv_hl7_text(m, 0, 9, 1, 2, 0), "A08");
    assert_string_equal(cv_hl7_delimiters(m), "|^~\\&");
    cv_hl7_msg_free(m);
}

static void test_line_ends_and_framing(void **state)
{
    static const char *const ends[] = {"\r", "\n", "\r\n", "\r\r\n\n"};
    char msg[512];

    (void)state;
    for (size_t i = 0; i < 4; i++) {
        struct cv_hl7_msg *m;

        snprintf(msg, sizeof(msg), "\x0bMSH|^~\\&|A%sPID|1||9%sPV1|1|I%s\x1c\r", ends[i], ends[i],
                 ends[i]);
        m = parse_ok(msg, strlen(msg));
        assert_int_equal(cv_hl7_segment_count(m), 3);
        assert_string_equal(cv_hl7_text(m, 2, 2, 1, 1, 0), "I");
        assert_string_equal(cv_hl7_text(m, 1, 3, 0, 0, 0), "9");
        cv_hl7_msg_free(m);
    }
    /* no final terminator, a bare segment, and 0x1C without CR */
    {
        struct cv_hl7_msg *m = parse_ok("MSH|^~\\&|A\rAL1\x1c", 14);

        assert_int_equal(cv_hl7_segment_count(m), 2);
        assert_int_equal(cv_hl7_field_count(m, 1), 0);
        cv_hl7_msg_free(m);
    }
    assert_int_equal(parse_err("MSH|^~\\&|A\r\x1cPID|1\r", 19), CV_EPARSE);
    assert_string_equal(cv_errmsg(), "segment 2 does not start with a segment ID");
    assert_int_equal(parse_err("MSH|^~\\&|A\rPID|1\x1c|2\r", 19), CV_EPARSE);
    assert_string_equal(cv_errmsg(), "control byte 0x1C at offset 16");
}

static void test_escapes(void **state)
{
    char msg[512];
    struct cv_hl7_msg *m;

    (void)state;
    snprintf(msg, sizeof(msg),
             "%sNTE|1|a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f|x\\X41\\y\\.br\\z|\\H\\bold\\N\\|\\Q\\|"
             "\\X4\\|tail\\\r",
             base);
    m = parse_ok(msg, strlen(msg));
    assert_string_equal(cv_hl7_text(m, 1, 2, 1, 0, 0), "a|b^c&d~e\\f");
    assert_string_equal(cv_hl7_text(m, 1, 3, 1, 0, 0), "xAy\nz");
    assert_string_equal(cv_hl7_text(m, 1, 4, 1, 0, 0), "bold");
    assert_string_equal(cv_hl7_text(m, 1, 5, 1, 0, 0), "\\Q\\");
    assert_string_equal(cv_hl7_text(m, 1, 6, 1, 0, 0), "\\X4\\");
    assert_string_equal(cv_hl7_text(m, 1, 7, 1, 0, 0), "tail\\");
    cv_hl7_msg_free(m);
    /* an escaped delimiter does not split */
    snprintf(msg, sizeof(msg), "%sNTE|1|a\\S\\b^c\r", base);
    m = parse_ok(msg, strlen(msg));
    assert_string_equal(cv_hl7_text(m, 1, 2, 1, 1, 0), "a^b");
    assert_string_equal(cv_hl7_text(m, 1, 2, 1, 2, 0), "c");
    cv_hl7_msg_free(m);
}

/* 日 = 46 7C (|), 剤 = 3A 5E (^), 入 = 46 7E (~), 本 = 4B 5C (\), ウ = 25 26 (&) */
static void test_delimiters_inside_kanji(void **state)
{
    char utf8[512], *bytes;
    size_t len;
    struct cv_hl7_msg *m;

    (void)state;
    snprintf(utf8, sizeof(utf8),
             "%sPID|1||9||日本^剤入ウ~カナ^ウ||19480405|M\rNTE|1|本日入剤|\\F\\日\r", base);
    bytes = iso(utf8, &len);
    assert_non_null(memmem(bytes, len, "\x46\x7c", 2)); /* the trap really is there */
    m = parse_ok(bytes, len);
    assert_int_equal(cv_hl7_segment_count(m), 3);
    assert_int_equal(cv_hl7_field_count(m, 1), 8);
    assert_string_equal(cv_hl7_text(m, 1, 5, 1, 1, 0), "日本");
    assert_string_equal(cv_hl7_text(m, 1, 5, 1, 2, 0), "剤入ウ");
    assert_int_equal(cv_hl7_rep_count(m, 1, 5), 2);
    assert_string_equal(cv_hl7_text(m, 1, 5, 2, 2, 0), "ウ");
    assert_string_equal(cv_hl7_text(m, 1, 7, 1, 0, 0), "19480405");
    assert_string_equal(cv_hl7_text(m, 2, 2, 1, 0, 0), "本日入剤");
    assert_string_equal(cv_hl7_text(m, 2, 3, 1, 0, 0), "|日");
    assert_int_equal(cv_hl7_warning_count(m), 0);
    cv_hl7_msg_free(m);
    free(bytes);
}

static void test_halfwidth_kana(void **state)
{
    char utf8[512], *bytes;
    size_t len;
    struct cv_hl7_msg *m;

    (void)state;
    /* ﾞ is 0x5E (^) and ﾜ is 0x5C (\) inside ESC ( I */
    snprintf(utf8, sizeof(utf8), "%sPID|1||9||ｶﾝｼﾞｬ^ﾀﾛｳ~ﾊﾟﾜｰ ｳﾞｧ||19480405\r", base);
    bytes = iso(utf8, &len);
    assert_non_null(memmem(bytes, len, "\x1b(I", 3));
    m = parse_ok(bytes, len);
    assert_string_equal(cv_hl7_text(m, 1, 5, 1, 1, 0), "カンジャ");
    assert_string_equal(cv_hl7_text(m, 1, 5, 1, 2, 0), "タロウ");
    assert_string_equal(cv_hl7_text(m, 1, 5, 2, 0, 0), "パワー ヴァ");
    assert_string_equal(cv_hl7_text(m, 1, 7, 1, 0, 0), "19480405");
    cv_hl7_msg_free(m);
    free(bytes);
}

static void test_size_caps(void **state)
{
    struct cv_hl7_limits lim = {.max_bytes = 64, .max_segments = 3, .max_fields = 5};
    struct cv_hl7_msg *m;
    char msg[512];

    (void)state;
    assert_int_equal(cv_hl7_msg_new(&m), CV_OK);
    cv_hl7_msg_set_limits(m, &lim);
    memset(msg, 'A', sizeof(msg));
    memcpy(msg, "MSH|^~\\&|", 9);
    assert_int_equal(cv_hl7_msg_parse(m, msg, 65), CV_ETOOBIG);
    assert_string_equal(cv_errmsg(), "over the size cap: 65 bytes, cap 64");
    assert_int_equal(cv_hl7_msg_parse(m, "MSH|^~\\&|\rAL1\rAL1\rAL1\r", 22), CV_ETOOBIG);
    assert_string_equal(cv_errmsg(), "more than 3 segments");
    assert_int_equal(cv_hl7_msg_parse(m, "MSH|^~\\&|\rPID|1|2|3|4|5|6\r", 26), CV_ETOOBIG);
    assert_string_equal(cv_errmsg(), "segment 2 has more than 5 fields");
    assert_int_equal(cv_hl7_msg_parse(m, "MSH|^~\\&|\rPID|1|2|3|4|5\r", 24), CV_OK);
    cv_hl7_msg_free(m);
}

static void test_junk(void **state)
{
    static const struct {
        const char *bytes;
        size_t len;
        enum cv_err err;
        const char *reason;
    } cases[] = {
        {"", 0, CV_EPARSE, "empty file"},
        {"\xfb\xfc", 2, CV_ECHARSET, "not ISO-2022-JP: byte 0xFB at offset 0"},
        {"\r\n\x1c", 3, CV_EPARSE, "holds no HL7 segment"},
        {"PID|1||9\r", 9, CV_EPARSE, "no MSH segment at the start"},
        {"MSH|^~|x", 8, CV_EPARSE, "MSH-2 holds 2 of the 4 encoding characters"},
        {"MSH|^~\\", 7, CV_EPARSE, "no MSH segment at the start"},
        {"MSHa^~\\&|x", 10, CV_EPARSE, "MSH delimiter 1 is not a punctuation character"},
        {"MSH|^^\\&|x", 10, CV_EPARSE, "MSH delimiters repeat a character"},
        {"MSH|^~\\&|\x80", 10, CV_ECHARSET, "not ISO-2022-JP: byte 0x80 at offset 9"},
        {"MSH|^~\\&|a\0b", 12, CV_EPARSE, "control byte 0x00 at offset 10"},
        {"MSH|^~\\&|\x1b$Zab", 14, CV_ECHARSET,
         "not ISO-2022-JP: unknown escape sequence at offset 9"},
        {"MSH|^~\\&|\x1b$Ba\x1b(B", 16, CV_ECHARSET,
         "not ISO-2022-JP: half a double-byte character at offset 13"},
        {"MSH|^~\\&|\x1b$B a", 14, CV_ECHARSET,
         "not ISO-2022-JP: byte 0x20 inside a double-byte run at offset 12"},
        {"MSH|^~\\&|x\rpid|1\r", 17, CV_EPARSE, "segment 2 does not start with a segment ID"},
        {"MSH|^~\\&|x\rPIDX|1\r", 18, CV_EPARSE, "segment 2 does not start with a segment ID"},
        {"MSH|^~\\&|x\rMSH|^~\\&|y\r", 22, CV_EPARSE,
         "holds more than one message (a second MSH at segment 2)"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum cv_err err = parse_err(cases[i].bytes, cases[i].len);

        if (err != cases[i].err || strcmp(cv_errmsg(), cases[i].reason) != 0)
            fail_msg("case %zu: got %d '%s', wanted '%s'", i, err, cv_errmsg(), cases[i].reason);
    }
}

static void test_unclosed_runs_warn(void **state)
{
    struct cv_hl7_msg *m;
    static const char msg[] = "MSH|^~\\&|x\rNTE|1|\x1b$B4A;z\rPID|1\r";

    (void)state;
    m = parse_ok(msg, sizeof(msg) - 1);
    assert_int_equal(cv_hl7_segment_count(m), 3);
    assert_string_equal(cv_hl7_text(m, 1, 2, 1, 0, 0), "漢字");
    assert_true(cv_hl7_warning_count(m) >= 1);
    assert_non_null(strstr(cv_hl7_warning(m, 0), "without returning to ASCII"));
    assert_string_equal(cv_hl7_warning(m, 99), "");
    cv_hl7_msg_free(m);
}

static void test_utf8_message(void **state)
{
    static const char msg[] = "MSH|^~\\&|A|B|C|D|20240101||ADT^A08|1|P|2.5||||||UNICODE UTF-8\r"
                              "PID|1||9||患者^太郎~ｶﾝｼﾞｬ^ﾀﾛｳ\r";
    struct cv_hl7_msg *m = parse_ok(msg, sizeof(msg) - 1);

    (void)state;
    assert_int_equal(cv_hl7_charset(m), CV_HL7_CHARSET_UTF8);
    assert_string_equal(cv_hl7_text(m, 1, 5, 1, 1, 0), "患者");
    assert_string_equal(cv_hl7_text(m, 1, 5, 2, 1, 0), "カンジャ");
    cv_hl7_msg_free(m);
    {
        static const char bad[] = "MSH|^~\\&||||||||||||||||UTF-8\rPID|\xe6\x82\r";

        assert_int_equal(parse_err(bad, sizeof(bad) - 1), CV_ECHARSET);
    }
    assert_non_null(strstr(cv_errmsg(), "not UTF-8"));
}

static void test_null_and_spans(void **state)
{
    char msg[512];
    struct cv_hl7_msg *m;
    struct cv_hl7_span rest, piece;
    int n = 0;

    (void)state;
    snprintf(msg, sizeof(msg), "%sPID|1|\"\"|a~b~~c\r", base);
    m = parse_ok(msg, strlen(msg));
    assert_null(cv_hl7_text(m, 1, 2, 1, 0, 0));
    assert_true(cv_hl7_raw(m, 1, 3, 0, 0, 0, &rest));
    while (cv_hl7_span_next(m, &rest, '~', &piece))
        n++;
    assert_int_equal(n, 4);
    assert_int_equal(cv_hl7_rep_count(m, 1, 3), 4);
    assert_null(cv_hl7_text(m, 1, 3, 3, 0, 0));
    assert_string_equal(cv_hl7_text(m, 1, 3, 4, 0, 0), "c");
    assert_false(cv_hl7_raw(m, -1, 3, 1, 1, 1, &piece));
    assert_false(cv_hl7_raw(m, 1, 0, 1, 1, 1, &piece));
    assert_false(cv_hl7_raw(m, 1, 3, -1, 1, 1, &piece));
    cv_hl7_msg_free(m);
}

static void test_timestamps(void **state)
{
    static const struct {
        const char *in, *date, *minutes;
    } ok[] = {
        {"20111220224447.3399", "2011-12-20", "2011-12-20T22:44"},
        {"201112202100", "2011-12-20", "2011-12-20T21:00"},
        {"2011070100", "2011-07-01", "2011-07-01T00:00"},
        {"20111220", "2011-12-20", "2011-12-20T00:00"},
        {"20111231253000", "2012-01-01", "2012-01-01T01:30"},
        {"20110228470000", "2011-03-01", "2011-03-01T23:00"},
        {"20111220120000+0900", "2011-12-20", "2011-12-20T12:00"},
        {"20111220224447339", "2011-12-20", "2011-12-20T22:44"},
    };
    static const char *const bad[] = {"",          "2011",         "20111320",
                                      "20110230",  "2011122048",   "2011-12-20",
                                      "20111220x", "201112201261", "17991231"};
    char d[16], t[24];
    struct cv_hl7_ts ts;

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (!cv_hl7_ts_date(ok[i].in, d, sizeof(d)) || strcmp(d, ok[i].date) != 0 ||
            !cv_hl7_ts_minutes(ok[i].in, t, sizeof(t)) || strcmp(t, ok[i].minutes) != 0)
            fail_msg("'%s' -> '%s' '%s'", ok[i].in, d, t);
    }
    assert_int_equal(cv_hl7_ts_parse("2011", &ts), CV_OK);
    assert_int_equal(ts.precision, 4);
    assert_false(cv_hl7_ts_date("2011", d, sizeof(d)));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (i > 1 && (cv_hl7_ts_date(bad[i], d, sizeof(d)) || d[0]))
            fail_msg("'%s' was accepted as '%s'", bad[i], d);
    assert_false(cv_hl7_ts_date(NULL, d, sizeof(d)));
}

static void test_utf8_to_iso2022jp(void **state)
{
    static const char in[] = "MSH|^~\\&|A|B|C|D|20240101||ADT^A08|1|P|2.5||||||UNICODE UTF-8\r"
                             "PID|1||9||日本^剤入～~ｶﾞｯｺｳ^🙂||19480405\r";
    struct cv_buf out = CV_BUF_INIT(4096);
    struct cv_hl7_msg *m;
    size_t replaced;

    (void)state;
    assert_int_equal(cv_hl7_utf8_to_iso2022jp(in, sizeof(in) - 1, true, &out, &replaced), CV_OK);
    assert_int_equal(replaced, 1); /* the emoji */
    for (size_t i = 0; i < out.len; i++)
        assert_true((unsigned char)out.data[i] < 0x80);
    m = parse_ok(out.data, out.len);
    assert_int_equal(cv_hl7_charset(m), CV_HL7_CHARSET_ISO2022JP);
    assert_string_equal(cv_hl7_text(m, 0, 18, 0, 0, 0), "~ISO IR87");
    assert_string_equal(cv_hl7_text(m, 0, 20, 1, 0, 0), "ISO 2022-1994");
    assert_string_equal(cv_hl7_text(m, 1, 5, 1, 1, 0), "日本");
    assert_string_equal(cv_hl7_text(m, 1, 5, 1, 2, 0), "剤入〜");
    assert_string_equal(cv_hl7_text(m, 1, 5, 2, 1, 0), "ガッコウ");
    assert_string_equal(cv_hl7_text(m, 1, 5, 2, 2, 0), "■");
    assert_string_equal(cv_hl7_text(m, 1, 7, 1, 0, 0), "19480405");
    cv_hl7_msg_free(m);
    cv_buf_reset(&out);
    assert_int_equal(cv_hl7_utf8_to_iso2022jp("MSH|\xff", 5, false, &out, &replaced), CV_ECHARSET);
    assert_string_equal(cv_errmsg(), "not UTF-8: byte 0xFF at offset 4");
    cv_buf_free(&out);
}

static void test_corpus_files_parse(void **state)
{
    static const char *const files[] = {
        "/999/901/9999013/-/ADT-00/9999013_-_ADT-00_999999999999999_20111220224447339_-_1",
        "/999/901/9999013/20110701/OMP-02/"
        "9999013_20110701_OMP-02_123456789012345_20110701224603984_01_1",
    };
    struct cv_buf b = CV_BUF_INIT(1 << 20);
    struct cv_hl7_msg *m;
    char path[512];

    (void)state;
    snprintf(path, sizeof(path), "%s%s", CV_CORPUS, files[0]);
    assert_int_equal(cv_buf_read_file(&b, path), CV_OK);
    m = parse_ok(b.data, b.len);
    assert_int_equal(cv_hl7_segment_count(m), 11);
    assert_string_equal(cv_hl7_text(m, 2, 5, 2, 1, 0), "カンジャ");
    assert_string_equal(cv_hl7_text(m, 2, 11, 1, 8, 0), "静岡県静岡市登呂１−３−５");
    assert_string_equal(cv_hl7_text(m, 3, 3, 1, 2, 0), "本人");
    cv_hl7_msg_free(m);
    cv_buf_reset(&b);
    snprintf(path, sizeof(path), "%s%s", CV_CORPUS, files[1]);
    assert_int_equal(cv_buf_read_file(&b, path), CV_OK);
    m = parse_ok(b.data, b.len);
    assert_string_equal(cv_hl7_text(m, cv_hl7_find(m, "RXC", 0), 2, 1, 2, 0),
                        "ソリタ−Ｔ３号輸液５００ｍＬ");
    cv_hl7_msg_free(m);
    cv_buf_free(&b);
}

static void test_out_of_memory(void **state)
{
    char utf8[256], *bytes;
    size_t len;
    struct cv_hl7_msg *m;

    (void)state;
    cv_alloc_fail_after(0);
    assert_int_equal(cv_hl7_msg_new(&m), CV_ENOMEM);
    cv_alloc_fail_after(-1);
    snprintf(utf8, sizeof(utf8), "%sPID|1||9||患者\r", base);
    bytes = iso(utf8, &len);
    for (long n = 0; n < 8; n++) {
        assert_int_equal(cv_hl7_msg_new(&m), CV_OK);
        cv_alloc_fail_after(n);
        if (cv_hl7_msg_parse(m, bytes, len) == CV_OK)
            (void)cv_hl7_text(m, 1, 5, 1, 0, 0); /* NULL or the text, never a crash */
        cv_alloc_fail_after(-1);
        cv_hl7_msg_free(m);
    }
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_components_repetitions),
        cmocka_unit_test(test_line_ends_and_framing),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_delimiters_inside_kanji),
        cmocka_unit_test(test_halfwidth_kana),
        cmocka_unit_test(test_size_caps),
        cmocka_unit_test(test_junk),
        cmocka_unit_test(test_unclosed_runs_warn),
        cmocka_unit_test(test_utf8_message),
        cmocka_unit_test(test_null_and_spans),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_utf8_to_iso2022jp),
        cmocka_unit_test(test_corpus_files_parse),
        cmocka_unit_test(test_out_of_memory),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
