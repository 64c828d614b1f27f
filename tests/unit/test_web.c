/*
 * test_web.c: the viewer's pieces that need no server: HTML escaping in html(), form and
 * query decoding, RFC 6238 TOTP vectors and base32, the audit record parser and chain,
 * sessions' idle and absolute expiry, the language choice, the per-address throttle, and
 * account lockout with a moved clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "web/web_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

static void test_html_escapes_every_string(void **state)
{
    struct web_req r;
    (void)state;

    memset(&r, 0, sizeof(r));
    cv_buf_init(&r.out, 4096);
    html(&r, "<td class=\"n\">%s</td><td>%d/%ld/%zu</td>%%", "<script>alert('x')&\"</script>", -3,
         42L, (size_t)7);
    assert_string_equal(cv_buf_str(&r.out),
                        "<td class=\"n\">&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;"
                        "</td><td>-3/42/7</td>%");
    cv_buf_reset(&r.out);
    html(&r, "[%s]", getenv("CV_NO_SUCH_VARIABLE_EVER"));
    assert_string_equal(cv_buf_str(&r.out), "[]");
    cv_buf_reset(&r.out);
    html_url(&r, "3E/病棟 &x");
    assert_string_equal(cv_buf_str(&r.out), "3E%2F%E7%97%85%E6%A3%9F%20%26x");
    cv_buf_free(&r.out);
}

static void test_form_decoding(void **state)
{
    struct web_form f;
    const char ok[] = "user=bob&password=a+b%20c%26d&empty=&flag&q=%E6%82%A3%E8%80%85";
    (void)state;

    assert_int_equal(web_form_parse(ok, strlen(ok), &f), CV_OK);
    assert_string_equal(web_form_get(&f, "user"), "bob");
    assert_string_equal(web_form_get(&f, "password"), "a b c&d");
    assert_string_equal(web_form_get(&f, "empty"), "");
    assert_string_equal(web_form_get(&f, "flag"), "");
    assert_string_equal(web_form_get(&f, "q"), "患者");
    assert_null(web_form_get(&f, "nope"));
    web_form_free(&f);
    assert_int_equal(web_form_parse("a=%zz", 5, &f), CV_EPARSE);
    assert_int_equal(web_form_parse("a=%4", 4, &f), CV_EPARSE);
    assert_int_equal(web_form_parse("a=%00", 5, &f), CV_EPARSE);
    assert_int_equal(web_form_parse("a=%0A", 5, &f), CV_EPARSE);
    assert_int_equal(web_form_parse("a=%FF", 5, &f), CV_EPARSE);
    assert_int_equal(web_form_parse("a=%C0%AF", 8, &f), CV_EPARSE);     /* overlong */
    assert_int_equal(web_form_parse("a=%ED%A0%80", 11, &f), CV_EPARSE); /* surrogate */
    assert_int_equal(web_form_parse("=x", 2, &f), CV_EPARSE);
    assert_int_equal(web_form_parse("a&b&c&d&e&f&g&h&i&j&k&l&m&n&o&p&q", 33, &f), CV_EPARSE);
    assert_int_equal(web_form_parse("", 0, &f), CV_OK);
    web_form_free(&f);
}

static void test_totp_rfc6238(void **state)
{
    const uint8_t *key = (const uint8_t *)"12345678901234567890";
    char code[7], b32[64];
    uint8_t back[32];
    size_t n;
    (void)state;

    assert_int_equal(cv_totp_code(key, 20, 59 / 30, code), CV_OK);
    assert_string_equal(code, "287082");
    cv_totp_code(key, 20, 1111111109 / 30, code);
    assert_string_equal(code, "081804");
    cv_totp_code(key, 20, 1234567890 / 30, code);
    assert_string_equal(code, "005924");
    cv_totp_code(key, 20, 20000000000ULL / 30, code);
    assert_string_equal(code, "353130");
    cv_base32_encode(key, 20, b32);
    assert_string_equal(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_int_equal(cv_base32_decode("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", back, 32, &n), CV_OK);
    assert_int_equal(n, 20);
    assert_memory_equal(back, key, 20);
    assert_int_equal(cv_base32_decode("GEZ1", back, 32, &n), CV_EPARSE);
    assert_int_equal(cv_base32_decode("GEZDGNBVGY3TQOJQ", back, 4, &n), CV_ETOOBIG);
}

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/cv-unit-web-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[300];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
}

static void test_audit_chain(void **state)
{
    static struct cv_audit_record r;
    struct cv_audit_event ev = {"search", "ok", "bob", "127.0.0.1", NULL, "患者 \"x\"\n\\"};
    struct cv_audit_verify v;
    struct cv_audit *a;
    char path[300], line[9000];
    FILE *f;
    (void)state;

    make_tmpdir();
    assert_int_equal(cv_audit_open(tmpdir, &a), CV_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(cv_audit_append(a, &ev), CV_OK);
    cv_audit_close(a);
    ev.event = "view";
    assert_int_equal(cv_audit_append_once(tmpdir, &ev), CV_OK);
    assert_int_equal(cv_audit_verify(tmpdir, &v), CV_OK);
    assert_int_equal(v.records, 6);
    assert_int_equal(v.first_bad_line, 0);
    snprintf(path, sizeof(path), "%s/audit.log", tmpdir);
    f = fopen(path, "r");
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    assert_int_equal(cv_audit_record_parse(line, strlen(line), &r), CV_OK);
    assert_int_equal(r.seq, 1);
    assert_string_equal(r.detail, "患者 \"x\"\n\\");
    assert_null(r.patient);
    assert_int_equal(strlen(r.hash), 64);
    assert_int_equal(cv_audit_record_parse("{\"seq\":1}", 9, &r), CV_EPARSE);
    assert_int_equal(cv_audit_record_parse("{\"seq\":1,\"time\":\"t\",\"event\":\"e\"} x", 36, &r),
                     CV_EPARSE);
    assert_int_equal(
        cv_audit_record_parse("{\"seq\":1,\"time\":\"t\",\"event\":\"\\ud800\"}", 38, &r),
        CV_EPARSE);
    remove_tmpdir();
}

static void append_raw(const char *name, const char *text)
{
    char path[300];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "a");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static off_t file_size(const char *name)
{
    char path[300];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* The chain is never started again: a torn last record is cut and recorded, a damaged one or
 * records gone from the end refuse every append, and a failed write is taken back. */
static void test_audit_never_restarts(void **state)
{
    static struct cv_audit_record r;
    struct cv_audit_event ev = {"view", "ok", "bob", "127.0.0.1", "9999013", NULL};
    struct cv_audit_verify v;
    struct cv_audit *a;
    struct rlimit old, lim;
    enum cv_err err;
    char path[300], line[9000];
    off_t size;
    FILE *f;
    (void)state;

    /* a torn record (a crash mid-append): cut, kept aside, recorded, and the chain goes on */
    make_tmpdir();
    assert_int_equal(cv_audit_open(tmpdir, &a), CV_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cv_audit_append(a, &ev), CV_OK);
    append_raw("audit.log", "{\"seq\":4,\"time\":\"2026-12-07T10:");
    assert_int_equal(cv_audit_append(a, &ev), CV_OK);
    assert_int_equal(cv_audit_append(a, &ev), CV_OK);
    cv_audit_close(a);
    assert_int_equal(cv_audit_verify(tmpdir, &v), CV_OK);
    assert_int_equal(v.first_bad_line, 0);
    assert_int_equal(v.records, 6);
    snprintf(path, sizeof(path), "%s/audit.log", tmpdir);
    f = fopen(path, "r");
    for (int i = 0; i < 4; i++)
        assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    assert_int_equal(cv_audit_record_parse(line, strlen(line), &r), CV_OK);
    assert_int_equal(r.seq, 4);
    assert_string_equal(r.event, "audit-repair");
    assert_non_null(strstr(r.detail, "cut 31 bytes"));
    assert_int_equal(file_size("audit.torn"), 32);
    remove_tmpdir();

    /* a damaged last record: every append fails, nothing is written, no new chain */
    make_tmpdir();
    assert_int_equal(cv_audit_open(tmpdir, &a), CV_OK);
    assert_int_equal(cv_audit_append(a, &ev), CV_OK);
    append_raw("audit.log", "{\"seq\":2,\"oops\"}\n");
    size = file_size("audit.log");
    assert_int_equal(cv_audit_append(a, &ev), CV_ECORRUPT);
    assert_int_equal(cv_audit_append(a, &ev), CV_ECORRUPT);
    assert_int_equal(file_size("audit.log"), size);
    cv_audit_close(a);
    assert_int_equal(cv_audit_append_once(tmpdir, &ev), CV_ECORRUPT);
    remove_tmpdir();

    /* records cut from the end (audit.head names a later one), or the whole log emptied */
    make_tmpdir();
    assert_int_equal(cv_audit_open(tmpdir, &a), CV_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cv_audit_append(a, &ev), CV_OK);
    assert_int_equal(cv_audit_sync(a), CV_OK);
    cv_audit_close(a);
    snprintf(path, sizeof(path), "%s/audit.log", tmpdir);
    f = fopen(path, "r");
    for (int i = 0; i < 2; i++)
        assert_non_null(fgets(line + (i ? strlen(line) : 0), 4000, f));
    fclose(f);
    f = fopen(path, "w");
    fputs(line, f);
    fclose(f);
    assert_int_equal(cv_audit_append_once(tmpdir, &ev), CV_ECORRUPT);
    assert_true(truncate(path, 0) == 0);
    assert_int_equal(cv_audit_append_once(tmpdir, &ev), CV_ECORRUPT);
    assert_int_equal(file_size("audit.log"), 0);
    remove_tmpdir();

    /* a write that fails half way (a full disk) is taken back whole */
    make_tmpdir();
    assert_int_equal(cv_audit_open(tmpdir, &a), CV_OK);
    assert_int_equal(cv_audit_append(a, &ev), CV_OK);
    size = file_size("audit.log");
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)size + 20;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    err = cv_audit_append(a, &ev);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(err, CV_EIO);
    assert_int_equal(file_size("audit.log"), size);
    assert_int_equal(cv_audit_append(a, &ev), CV_OK);
    cv_audit_close(a);
    assert_int_equal(cv_audit_verify(tmpdir, &v), CV_OK);
    assert_int_equal(v.first_bad_line, 0);
    assert_int_equal(v.records, 2);
    remove_tmpdir();
}

static void test_sessions_expire(void **state)
{
    struct web_sessions *s;
    struct web_session got;
    char tok[WEB_TOKEN_HEX], tok2[WEB_TOKEN_HEX];
    time_t t0 = 1800000000;
    (void)state;

    assert_int_equal(web_sessions_new(&s), CV_OK);
    web_session_create(s, "bob", CV_ROLE_VIEWER, t0, tok);
    assert_int_equal(strlen(tok), 64);
    assert_int_equal(web_session_touch(s, tok, t0 + 1799, &got), SESSION_OK);
    assert_string_equal(got.user, "bob");
    assert_int_equal(strlen(got.csrf), 64);
    assert_int_equal(web_session_touch(s, tok, t0 + 1799 + 1800, &got), SESSION_EXPIRED);
    assert_int_equal(web_session_touch(s, tok, t0 + 1799 + 1801, &got), SESSION_NONE);
    web_session_create(s, "amy", CV_ROLE_ADMIN, t0, tok2);
    for (time_t t = t0; t < t0 + 12 * 3600; t += 1700)
        assert_int_equal(web_session_touch(s, tok2, t, &got), SESSION_OK);
    assert_int_equal(web_session_touch(s, tok2, t0 + 12 * 3600, &got), SESSION_EXPIRED);
    /* the periodic sweep must not hide from the owner why the session ended */
    web_session_create(s, "dee", CV_ROLE_VIEWER, t0, tok);
    web_sessions_expire(s, t0 + 1800);
    assert_int_equal(web_session_touch(s, tok, t0 + 1801, &got), SESSION_EXPIRED);
    assert_int_equal(web_session_touch(s, tok, t0 + 1802, &got), SESSION_NONE);
    web_session_create(s, "cy", CV_ROLE_VIEWER, t0, tok);
    web_session_end(s, tok);
    assert_int_equal(web_session_touch(s, tok, t0, &got), SESSION_NONE);
    assert_int_equal(web_session_touch(s, "zz", t0, &got), SESSION_NONE);
    web_sessions_free(s);
}

/* One account logging in again and again ends only its own sessions; a full table refuses a
 * new login instead of ending someone else's session. */
static void test_session_caps(void **state)
{
    static char toks[WEB_SESSIONS_MAX + 10][WEB_TOKEN_HEX];
    struct web_sessions *s;
    struct web_session got;
    char bob[WEB_TOKEN_HEX], tok[WEB_TOKEN_HEX];
    time_t t0 = 1800000000;
    int ok = 0;
    (void)state;

    assert_int_equal(web_sessions_new(&s), CV_OK);
    assert_int_equal(web_session_create(s, "bob", CV_ROLE_VIEWER, t0, bob), CV_OK);
    for (int i = 0; i < WEB_SESSIONS_MAX + 10; i++)
        assert_int_equal(web_session_create(s, "mallory", CV_ROLE_VIEWER, t0 + 1, toks[i]), CV_OK);
    assert_int_equal(web_session_touch(s, bob, t0 + 20, &got), SESSION_OK);
    assert_string_equal(got.user, "bob");
    for (int i = 0; i < WEB_SESSIONS_MAX + 10; i++)
        ok += web_session_touch(s, toks[i], t0 + 20, &got) == SESSION_OK;
    assert_int_equal(ok, WEB_SESSIONS_PER_USER);
    web_sessions_free(s);

    assert_int_equal(web_sessions_new(&s), CV_OK);
    assert_int_equal(web_session_create(s, "bob", CV_ROLE_VIEWER, t0, bob), CV_OK);
    for (int i = 1; i < WEB_SESSIONS_MAX; i++) {
        char user[32];

        snprintf(user, sizeof(user), "u%d", i);
        assert_int_equal(web_session_create(s, user, CV_ROLE_VIEWER, t0 + 1, tok), CV_OK);
    }
    assert_int_equal(web_session_create(s, "late", CV_ROLE_VIEWER, t0 + 2, tok), CV_EBUSY);
    assert_int_equal(web_session_touch(s, bob, t0 + 3, &got), SESSION_OK);
    /* once sessions expire there is room again */
    assert_int_equal(
        web_session_create(s, "late", CV_ROLE_VIEWER, t0 + 3 + WEB_SESSION_IDLE_SECS, tok), CV_OK);
    web_sessions_free(s);
}

static void test_language_choice(void **state)
{
    (void)state;
    assert_int_equal(web_lang_from_header(NULL), LANG_JA);
    assert_int_equal(web_lang_from_header("ja,en-US;q=0.9,en;q=0.8"), LANG_JA);
    assert_int_equal(web_lang_from_header("en-US,en;q=0.9"), LANG_EN);
    assert_int_equal(web_lang_from_header("en-US;q=0.5,ja;q=0.8"), LANG_JA);
    assert_int_equal(web_lang_from_header("fr-FR,en;q=0.5"), LANG_EN);
    assert_int_equal(web_lang_from_header("fr-FR"), LANG_JA);
    assert_string_equal(web_tr(LANG_JA, M_ALLERGY_NONE), "アレルギー記録なし（未確認）");
}

static void test_throttle(void **state)
{
    struct web_throttle *t;
    time_t t0 = 1800000000;
    (void)state;

    assert_int_equal(web_throttle_new(&t), CV_OK);
    for (int i = 0; i < WEB_THROTTLE_FAILURES - 1; i++)
        web_throttle_fail(t, "10.0.0.1", t0 + i);
    assert_int_equal(web_throttle_wait(t, "10.0.0.1", t0 + 30), 0);
    web_throttle_fail(t, "10.0.0.1", t0 + 30);
    assert_true(web_throttle_wait(t, "10.0.0.1", t0 + 31) > 800);
    assert_int_equal(web_throttle_wait(t, "10.0.0.2", t0 + 31), 0);
    assert_int_equal(web_throttle_wait(t, "10.0.0.1", t0 + 901), 0);
    web_throttle_free(t);
}

static enum cv_login_result try_login(const char *name, const char *pw, const char *code,
                                      const char *source, time_t t, bool second_factor_only)
{
    struct cv_login in = {name, pw, code, source, second_factor_only};
    enum cv_login_result res;
    enum cv_role role;

    assert_int_equal(cv_account_login(tmpdir, &in, t, &res, &role), CV_OK);
    return res;
}

static void code_at(const char *b32, time_t t, char code[7])
{
    uint8_t secret[64];
    size_t n;

    assert_int_equal(cv_base32_decode(b32, secret, sizeof(secret), &n), CV_OK);
    assert_int_equal(cv_totp_code(secret, n, (uint64_t)t / 30, code), CV_OK);
}

/* Sets the lockout file's modification time back to the epoch, so that any write after it shows,
 * however coarse the file system's clock (two writes can share one tick). */
static void lockout_age(void)
{
    char path[300];
    const struct timespec epoch[2] = {{0, 0}, {0, 0}};

    snprintf(path, sizeof(path), "%s/lockout", tmpdir);
    if (utimensat(AT_FDCWD, path, epoch, 0) != 0)
        assert_int_equal(errno, ENOENT);
}

static bool lockout_written(void)
{
    char path[300];
    struct stat st;

    snprintf(path, sizeof(path), "%s/lockout", tmpdir);
    return stat(path, &st) == 0 && (st.st_mtim.tv_sec != 0 || st.st_mtim.tv_nsec != 0);
}

/* One answer and one cost for every name: an unknown name goes through the same outcomes as a
 * known one with a wrong password, each attempt is one Argon2id, and both write the lockout
 * file. */
static void test_login_same_for_unknown_names(void **state)
{
    const char *names[] = {"nurse", "ghost"};
    enum cv_login_result seen[2][7];
    time_t t0 = 1800000000;
    (void)state;

    make_tmpdir();
    assert_int_equal(cv_account_add(tmpdir, "nurse", CV_ROLE_VIEWER, "sixteen-chars-ok"), CV_OK);
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 7; i++) {
            unsigned long before = web_password_verifications();

            lockout_age();

            seen[k][i] = try_login(names[k], "wrong-password-xx", NULL, "10.0.0.1", t0 + i, false);
            assert_int_equal(web_password_verifications(), before + 1);
            if (i < 5) /* every counted failure is written, known name or not */
                assert_true(lockout_written());
        }
    }
    for (int i = 0; i < 7; i++)
        assert_int_equal(seen[0][i], seen[1][i]);
    assert_int_equal(seen[0][0], CV_LOGIN_BAD);
    assert_int_equal(seen[0][4], CV_LOGIN_LOCKED_NOW);
    assert_int_equal(seen[0][5], CV_LOGIN_LOCKED);
    remove_tmpdir();
}

static void test_lockout(void **state)
{
    char secret[40], code[7];
    struct cv_account_info *list;
    size_t n;
    time_t t0 = 1800000000;
    (void)state;

    make_tmpdir();
    assert_int_equal(cv_account_add(tmpdir, "nurse", CV_ROLE_VIEWER, "sixteen-chars-ok"), CV_OK);
    assert_int_equal(cv_account_add(tmpdir, "doc", CV_ROLE_ADMIN, "sixteen-chars-ok"), CV_EEXIST);
    assert_int_equal(cv_account_add(tmpdir, "doc", CV_ROLE_ADMIN, "fifteen-chars-x"), CV_EINVAL);
    assert_int_equal(cv_account_add(tmpdir, "Doc", CV_ROLE_ADMIN, "another-sixteen!"), CV_EINVAL);
    assert_int_equal(cv_account_add(tmpdir, "doc", CV_ROLE_ADMIN, "doctors-own-pass"), CV_OK);
    assert_int_equal(cv_account_totp_enrol(tmpdir, "doc", secret, sizeof(secret)), CV_OK);
    /* 16 characters of kanji are 48 bytes but still 16 characters */
    assert_int_equal(cv_password_check("一二三四五六七八九十一二三四五"), CV_EINVAL);
    assert_int_equal(cv_password_check("一二三四五六七八九十一二三四五六"), CV_OK);

    /* five failures from one source lock that source only */
    for (int i = 0; i < 4; i++)
        assert_int_equal(try_login("nurse", "wrong-password-xx", NULL, "10.0.0.9", t0 + i, false),
                         CV_LOGIN_BAD);
    assert_int_equal(try_login("nurse", "wrong-password-xx", NULL, "10.0.0.9", t0 + 10, false),
                     CV_LOGIN_LOCKED_NOW);
    assert_int_equal(try_login("nurse", "sixteen-chars-ok", NULL, "10.0.0.9", t0 + 11, false),
                     CV_LOGIN_LOCKED);
    assert_int_equal(try_login("nurse", "sixteen-chars-ok", NULL, "10.0.0.20", t0 + 12, false),
                     CV_LOGIN_OK);
    assert_int_equal(cv_account_list(tmpdir, &list, &n), CV_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[1].name, "nurse");
    assert_true(list[1].locked_until > 0);
    cv_free(list);
    assert_int_equal(try_login("nurse", "sixteen-chars-ok", NULL, "10.0.0.9", t0 + 10 + 900, false),
                     CV_LOGIN_OK);
    /* failures spread over more than 15 minutes do not lock */
    for (int i = 0; i < 8; i++)
        assert_int_equal(
            try_login("nurse", "wrong-password-xx", NULL, "10.0.0.9", t0 + 2000 + i * 300, false),
            CV_LOGIN_BAD);

    /* a locked source still lets the right password with the right code through */
    for (int i = 0; i < 5; i++)
        try_login("doc", "wrong-password-xx", NULL, "10.0.0.9", t0 + 5000 + i, false);
    assert_int_equal(try_login("doc", "doctors-own-pass", NULL, "10.0.0.9", t0 + 5010, false),
                     CV_LOGIN_LOCKED);
    assert_int_equal(try_login("doc", "doctors-own-pass", "000000", "10.0.0.9", t0 + 5011, false),
                     CV_LOGIN_LOCKED);
    code_at(secret, t0 + 5012, code);
    assert_int_equal(try_login("doc", "doctors-own-pass", code, "10.0.0.9", t0 + 5012, false),
                     CV_LOGIN_OK);
    /* the success cleared this source's lock; a replayed code is still refused */
    assert_int_equal(try_login("doc", "doctors-own-pass", code, "10.0.0.9", t0 + 5013, false),
                     CV_LOGIN_TOTP_BAD);

    /* a throttled source: only password + code */
    code_at(secret, t0 + 7000, code);
    assert_int_equal(try_login("nurse", "sixteen-chars-ok", NULL, "10.0.0.30", t0 + 7000, true),
                     CV_LOGIN_THROTTLED);
    assert_int_equal(try_login("doc", "doctors-own-pass", code, "10.0.0.30", t0 + 7000, true),
                     CV_LOGIN_OK);

    /* many sources together: every source then needs the code */
    for (int src = 0; src < 10; src++)
        for (int i = 0; i < 5; i++) {
            char addr[32];

            snprintf(addr, sizeof(addr), "10.1.0.%d", src);
            try_login("nurse", "wrong-password-xx", NULL, addr, t0 + 9000 + src, false);
        }
    assert_int_equal(try_login("nurse", "sixteen-chars-ok", NULL, "10.0.0.99", t0 + 9100, false),
                     CV_LOGIN_LOCKED);
    /* unlock lifts every source's lock */
    assert_int_equal(cv_account_set_locked(tmpdir, "nurse", false), CV_OK);
    assert_int_equal(try_login("nurse", "sixteen-chars-ok", NULL, "10.1.0.3", t0 + 9101, false),
                     CV_LOGIN_OK);

    /* an administrator's lock is told only to whoever has the password */
    assert_int_equal(cv_account_set_locked(tmpdir, "nurse", true), CV_OK);
    assert_int_equal(try_login("nurse", "wrong-password-xx", NULL, "10.0.0.40", t0 + 9200, false),
                     CV_LOGIN_BAD);
    assert_int_equal(try_login("nurse", "sixteen-chars-ok", NULL, "10.0.0.40", t0 + 9201, false),
                     CV_LOGIN_DISABLED);
    remove_tmpdir();
}

/* Version 1 accounts lines (lockout fields inside) are still read. */
static void test_accounts_v1(void **state)
{
    char line[] = "bob\tviewer\topen\t0\t-\t0\t1800000000\t1700000000\t"
                  "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA";
    char line2[] = "bob\tviewer\tlocked\tJBSWY3DPEHPK3PXP\t5\t1700000000\t$argon2id$x";
    struct account a;
    (void)state;

    assert_int_equal(web_account_line_parse(line, &a), CV_OK);
    assert_string_equal(a.name, "bob");
    assert_int_equal(a.created, 1700000000);
    assert_string_equal(a.totp, "");
    assert_int_equal(web_account_line_parse(line2, &a), CV_OK);
    assert_true(a.admin_lock);
    assert_string_equal(a.totp, "JBSWY3DPEHPK3PXP");
    assert_int_equal(a.totp_step, 5);
}

static char logged[2048];

static void capture_log(enum cv_log_level level, const char *func, const char *msg, void *arg)
{
    (void)level, (void)func, (void)arg;
    snprintf(logged + strlen(logged), sizeof(logged) - strlen(logged), "%s\n", msg);
}

/* A page that outgrows its buffer is never sent with a piece missing: the sticky error turns
 * it into a 500, and the log names the route but not the patient. */
static void test_page_not_whole(void **state)
{
    static struct cv_web w;
    static struct web_req r;
    (void)state;

    assert_true(sodium_init() >= 0);
    w.cfg.stale_minutes = 30;
    memset(&r, 0, sizeof(r));
    r.w = &w;
    r.method = "GET";
    r.path = "/patient/9999013/print";
    cv_buf_init(&r.out, 64);
    logged[0] = '\0';
    cv_log_set_sink(capture_log, NULL, CV_LOG_DEBUG);
    html(&r, "<p>%s</p>", "9999013 患者 太郎 9999013 患者 太郎 9999013 患者 太郎 9999013");
    assert_int_equal(cv_buf_error(&r.out), CV_ETOOBIG);
    web_page_check(&r);
    assert_int_equal(r.status, 500);
    assert_int_equal(cv_buf_error(&r.out), CV_OK);
    assert_non_null(strstr(cv_buf_str(&r.out), T(&r, M_PAGE_INCOMPLETE)));
    assert_non_null(strstr(logged, "GET /patient/: the page could not be built whole"));
    assert_null(strstr(logged, "9999013"));
    cv_buf_free(&r.out);

    /* a real page: the start page cut at 300 bytes */
    memset(&r, 0, sizeof(r));
    r.w = &w;
    r.method = "GET";
    r.path = "/";
    cv_buf_init(&r.out, 300);
    web_page_start(&r);
    assert_int_equal(cv_buf_error(&r.out), CV_ETOOBIG);
    web_page_check(&r);
    assert_int_equal(r.status, 500);
    cv_buf_free(&r.out);
    /* and a page that fits is left alone */
    memset(&r, 0, sizeof(r));
    r.w = &w;
    r.method = "GET";
    r.path = "/";
    cv_buf_init(&r.out, 1u << 20);
    web_page_start(&r);
    web_page_check(&r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(cv_buf_str(&r.out), "</html>"));
    cv_buf_free(&r.out);
    cv_log_set_sink(NULL, NULL, CV_LOG_INFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html_escapes_every_string),
        cmocka_unit_test(test_form_decoding),
        cmocka_unit_test(test_totp_rfc6238),
        cmocka_unit_test(test_audit_chain),
        cmocka_unit_test(test_audit_never_restarts),
        cmocka_unit_test(test_sessions_expire),
        cmocka_unit_test(test_session_caps),
        cmocka_unit_test(test_language_choice),
        cmocka_unit_test(test_throttle),
        cmocka_unit_test(test_login_same_for_unknown_names),
        cmocka_unit_test(test_lockout),
        cmocka_unit_test(test_accounts_v1),
        cmocka_unit_test(test_page_not_whole),
    };

    /* the cheapest Argon2id in a test build: the lockout tests log in about a hundred times */
    setenv("CHARTVAULT_TEST_CHEAP_HASH", "1", 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
