/*
 * test_daemon_config.c: the daemon's config file: every documented key, defaults, and the
 * one-line messages that name file, line and key for each kind of mistake; allow-list CIDR
 * parsing and matching; the private-file rule for config and password files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <chartvault/config.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char full_config[] =
    "[source]\n"
    "path = /srv/ssmix2              ; the EHR's SS-MIX2 export\n"
    "facility = 1234567890\n"
    "[index]\n"
    "db = /var/lib/chartvault/index.sqlite\n"
    "[repo local]                    ; one section per repository\n"
    "path = /var/lib/chartvault/repo\n"
    "password_file = /etc/chartvault/repo.pass\n"
    "interval = 15m\n"
    "[mllp]\n"
    "listen = 0.0.0.0:2575\n"
    "allow = 10.0.0.0/8, 127.0.0.1/32\n"
    "storage = /var/lib/chartvault/mllp-ssmix2   ; received messages, as SS-MIX2\n"
    "[alerts]\n"
    "syslog = yes\n"
    "smtp_url = smtp://mail.example.jp:25\n"
    "mail_from = chartvault@example.jp\n"
    "mail_to = it@example.jp\n"
    "webhook = https://chat.example.jp/hooks/xyz\n"
    "[drill]\n"
    "interval = 1h\n"
    "sample = 1000\n"
    "[thresholds]\n"
    "snapshot_max_age = 1h\n"
    "anomaly_files = 500\n"
    "anomaly_percent = 1\n";

static void test_issue_example(void **state)
{
    struct cv_config c;

    (void)state;
    assert_int_equal(cv_config_parse_text("x.conf", full_config, strlen(full_config), &c), CV_OK);
    assert_string_equal(c.source_path, "/srv/ssmix2");
    assert_string_equal(c.facility, "1234567890");
    assert_string_equal(c.index_db, "/var/lib/chartvault/index.sqlite");
    assert_int_equal(c.nrepos, 1);
    assert_string_equal(c.repos[0].name, "local");
    assert_string_equal(c.repos[0].path, "/var/lib/chartvault/repo");
    assert_int_equal(c.repos[0].interval, 900);
    assert_string_equal(c.mllp_host, "0.0.0.0");
    assert_int_equal(c.mllp_port, 2575);
    assert_int_equal(c.nallow, 2);
    assert_string_equal(c.mllp_storage, "/var/lib/chartvault/mllp-ssmix2");
    assert_true(c.alert_syslog);
    assert_int_equal(c.nmail_to, 1);
    assert_string_equal(c.mail_to[0], "it@example.jp");
    assert_string_equal(c.webhook, "https://chat.example.jp/hooks/xyz");
    assert_int_equal(c.drill_interval, 3600);
    assert_int_equal(c.drill_sample, 1000);
    assert_int_equal(c.snapshot_max_age, 3600);
    assert_int_equal(c.anomaly_files, 500);
    assert_true(c.anomaly_percent == 1.0);
    /* defaults */
    assert_int_equal(c.rescan, 6 * 3600);
    assert_int_equal(c.mllp_max_message, 1 << 20);
    assert_string_equal(c.state_dir, "/var/lib/chartvault/state");
    cv_config_free(&c);
}

/* Each broken file must fail with exactly this message. */
static void expect_error(const char *text, const char *message)
{
    struct cv_config c;

    memset(&c, 0x55, sizeof(c));
    assert_int_not_equal(cv_config_parse_text("/etc/cv.conf", text, strlen(text), &c), CV_OK);
    assert_string_equal(cv_errmsg(), message);
    assert_null(c.index_db); /* zeroed on failure */
}

static void test_errors_name_file_line_key(void **state)
{
    (void)state;
    expect_error("[index]\ndb = /x/i.sqlite\n[repo local]\npath = /r\npassword_file = /p\n"
                 "interval = 15x\n",
                 "/etc/cv.conf:6: [repo local] interval: '15x' is not a duration "
                 "(examples: 90s, 15m, 1h, 2d)");
    expect_error("[index]\ndb = /x/i.sqlite\n[source]\npath = /s\npaht = /t\n",
                 "/etc/cv.conf:5: [source] paht: unknown key");
    expect_error("[index]\ndb = /x/i.sqlite\n[sourc]\npath = /s\n",
                 "/etc/cv.conf:4: [sourc]: unknown section");
    expect_error("[index]\ndb = relative/i.sqlite\n",
                 "/etc/cv.conf:2: [index] db: 'relative/i.sqlite' is not an absolute path");
    expect_error("[index]\ndb = /x/i.sqlite\n[source]\npath = /s\npath = /t\n",
                 "/etc/cv.conf:5: [source] path: is set twice");
    expect_error("[index]\ndb = /x/i.sqlite\nthis line has no equals sign\n",
                 "/etc/cv.conf:3: not a 'key = value' line or a [section] title");
    expect_error("db = /x\n", "/etc/cv.conf:1: db: key before any [section]");
    expect_error("[index]\ndb = /x/i.sqlite\n[source]\npath = /s\n[mllp]\nlisten = 1.2.3.4:99999\n",
                 "/etc/cv.conf:6: [mllp] listen: '99999' is not a TCP port (1-65535)");
    expect_error("[index]\ndb = /x/i.sqlite\n[mllp]\nallow = 10.1.0.0/8\n",
                 "/etc/cv.conf:4: [mllp] allow: '10.1.0.0/8' has host bits set after the prefix");
    expect_error("[index]\ndb = /x/i.sqlite\n[mllp]\nlisten = mllp.example.jp:2575\n",
                 "/etc/cv.conf:4: [mllp] listen: 'mllp.example.jp' is not an IP address (host "
                 "names are not used)");
    expect_error("[index]\ndb = /x/i.sqlite\n[thresholds]\nanomaly_percent = 0\n",
                 "/etc/cv.conf:4: [thresholds] anomaly_percent: '0' is not a percentage above 0 "
                 "and at most 100");
    expect_error("[index]\ndb = /x/i.sqlite\n[alerts]\nsyslog = maybe\n",
                 "/etc/cv.conf:4: [alerts] syslog: 'maybe' is not yes or no");
    expect_error("[repo]\npath = /r\n",
                 "/etc/cv.conf:2: [repo] path: a repository section needs a name: [repo local]");
    expect_error("[source]\npath = /s\n", "/etc/cv.conf: [index] db is missing");
    expect_error("[index]\ndb = /x/i.sqlite\n", "/etc/cv.conf: nothing to protect: set [source] "
                                                "path or [mllp] storage");
    expect_error("[index]\ndb = /x/i.sqlite\n[source]\npath=/s\n[repo a]\npath = /r\n",
                 "/etc/cv.conf: [repo a] password_file is missing");
    expect_error("[index]\ndb = /x/i.sqlite\n[source]\npath=/s\n[alerts]\nsmtp_url = smtp://m\n",
                 "/etc/cv.conf: [alerts] smtp_url needs mail_from and mail_to");
    expect_error("[index]\ndb = /x/i.sqlite\n[mllp]\nstorage = /m\nlisten = 2575\n",
                 "/etc/cv.conf: [source] facility is missing (MSH-4 of acknowledgements)");
}

static void test_bytes_refused_before_inih(void **state)
{
    char big[400];
    struct cv_config c;

    (void)state;
    memset(big, 'a', sizeof(big));
    memcpy(big, "[index]\ndb = /", 14);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(cv_config_parse_text("f", big, strlen(big), &c), CV_EPARSE);
    assert_string_equal(cv_errmsg(), "f:2: line is longer than 190 bytes");
    assert_int_equal(cv_config_parse_text("f", "[index]\0db=/x\n", 14, &c), CV_EPARSE);
    assert_string_equal(cv_errmsg(), "f:1: holds a NUL byte");
}

static void test_repos_and_defaults(void **state)
{
    static const char text[] = "[index]\ndb = /i.sqlite\n[source]\npath = /s\n"
                               "[repo a]\npath = /ra\npassword_file = /pa\n"
                               "[repo usb-1]\npath = /rb\npassword_file = /pb\ninterval = 30s\n"
                               "[mllp]\nlisten = [::1]:2575\nstorage = /m\n"
                               "[source]\nfacility = 0123456789\n"
                               "[alerts]\nsmtp_url = smtp://127.0.0.1:25\nmail_from = a@b\n"
                               "mail_to = x@y, z@w\nsyslog = no\n"
                               "[drill]\ninterval = 0\n";
    struct cv_config c;

    (void)state;
    assert_int_equal(cv_config_parse_text("f", text, strlen(text), &c), CV_OK);
    assert_int_equal(c.nrepos, 2);
    assert_string_equal(c.repos[1].name, "usb-1");
    assert_int_equal(c.repos[1].interval, 30);
    assert_int_equal(c.repos[0].interval, 900);
    assert_string_equal(c.mllp_host, "::1");
    assert_int_equal(c.nallow, 2); /* loopback only by default */
    assert_int_equal(c.nmail_to, 2);
    assert_string_equal(c.mail_to[1], "z@w");
    assert_false(c.alert_syslog);
    assert_int_equal(c.drill_interval, 0);
    assert_string_equal(c.state_dir, "/state");
    cv_config_free(&c);
}

static void test_cidr(void **state)
{
    struct cv_cidr nets[3];
    struct sockaddr_in a4 = {.sin_family = AF_INET};
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};

    (void)state;
    assert_int_equal(cv_cidr_parse("10.0.0.0/8", &nets[0]), CV_OK);
    assert_int_equal(cv_cidr_parse("127.0.0.1", &nets[1]), CV_OK);
    assert_int_equal(cv_cidr_parse("fd00::/8", &nets[2]), CV_OK);
    inet_pton(AF_INET, "10.200.3.4", &a4.sin_addr);
    assert_true(cv_cidr_match_any(nets, 3, (struct sockaddr *)&a4));
    inet_pton(AF_INET, "11.0.0.1", &a4.sin_addr);
    assert_false(cv_cidr_match_any(nets, 3, (struct sockaddr *)&a4));
    inet_pton(AF_INET, "127.0.0.2", &a4.sin_addr);
    assert_false(cv_cidr_match_any(nets, 3, (struct sockaddr *)&a4));
    inet_pton(AF_INET6, "::ffff:10.1.1.1", &a6.sin6_addr); /* dual-stack socket */
    assert_true(cv_cidr_match_any(nets, 3, (struct sockaddr *)&a6));
    inet_pton(AF_INET6, "fd12::1", &a6.sin6_addr);
    assert_true(cv_cidr_match_any(nets, 3, (struct sockaddr *)&a6));
    inet_pton(AF_INET6, "fe80::1", &a6.sin6_addr);
    assert_false(cv_cidr_match_any(nets, 3, (struct sockaddr *)&a6));
    assert_int_equal(cv_cidr_parse("0.0.0.0/0", &nets[0]), CV_OK);
    inet_pton(AF_INET, "8.8.8.8", &a4.sin_addr);
    assert_true(cv_cidr_match_any(nets, 1, (struct sockaddr *)&a4));
    assert_int_not_equal(cv_cidr_parse("10.0.0.0/33", &nets[0]), CV_OK);
    assert_int_not_equal(cv_cidr_parse("10.0.0.0/", &nets[0]), CV_OK);
    assert_int_not_equal(cv_cidr_parse("/8", &nets[0]), CV_OK);
    assert_int_not_equal(cv_cidr_parse("10.0.0.0/-1", &nets[0]), CV_OK);
    assert_int_not_equal(cv_cidr_parse("host.example", &nets[0]), CV_OK);
}

static void test_sizes(void **state)
{
    size_t n;

    (void)state;
    assert_int_equal(cv_parse_size("1M", &n), CV_OK);
    assert_int_equal(n, 1 << 20);
    assert_int_equal(cv_parse_size("512KiB", &n), CV_OK);
    assert_int_equal(n, 512 << 10);
    assert_int_equal(cv_parse_size("4096", &n), CV_OK);
    assert_int_equal(n, 4096);
    assert_int_not_equal(cv_parse_size("1X", &n), CV_OK);
    assert_int_not_equal(cv_parse_size("99999999999999999999G", &n), CV_OK);
    assert_int_not_equal(cv_parse_size("-1", &n), CV_OK);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_private_files(void **state)
{
    char dir[] = "/tmp/cvconfXXXXXX", conf[128], pass[128], text[512];
    struct cv_config c;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(conf, sizeof(conf), "%s/c.conf", dir);
    snprintf(pass, sizeof(pass), "%s/p", dir);
    snprintf(text, sizeof(text),
             "[index]\ndb = /i.sqlite\n[source]\npath = /s\n[repo a]\npath = /r\n"
             "password_file = %s\n",
             pass);
    write_file(pass, "secret\n", 0600);
    write_file(conf, text, 0644);
    assert_int_equal(cv_config_load(conf, &c), CV_EPERM);
    assert_non_null(strstr(cv_errmsg(), "readable or writable by group or others"));
    chmod(conf, 0600);
    assert_int_equal(cv_config_load(conf, &c), CV_OK);
    cv_config_free(&c);
    chmod(pass, 0640);
    assert_int_equal(cv_config_load(conf, &c), CV_EPERM);
    assert_non_null(strstr(cv_errmsg(), "[repo a] password_file: '"));
    unlink(pass);
    assert_int_not_equal(cv_config_load(conf, &c), CV_OK);
    unlink(conf);
    rmdir(dir);
}

/* [contacts]: NAME | PHONE | MAIL per role; a bad phone or mail names the key and why. */
static void test_contacts(void **state)
{
    const char *base = "[index]\ndb = /x/i.sqlite\n[source]\npath = /s\n[contacts]\n";
    char text[1024];
    struct cv_config c;

    (void)state;
    snprintf(text, sizeof(text),
             "%sit_oncall = 情報システム課 当番 | 090-1111-2222 | it@example.jp\n"
             "police = 県警 | #9110\nmhlw=窓口|03-1234-5678|-\n",
             base);
    assert_int_equal(cv_config_parse_text("/etc/cv.conf", text, strlen(text), &c), CV_OK);
    assert_int_equal(c.ncontacts, 3);
    assert_string_equal(c.contacts[CV_CONTACT_IT_ONCALL].name, "情報システム課 当番");
    assert_string_equal(c.contacts[CV_CONTACT_IT_ONCALL].phone, "090-1111-2222");
    assert_string_equal(c.contacts[CV_CONTACT_IT_ONCALL].mail, "it@example.jp");
    assert_string_equal(c.contacts[CV_CONTACT_POLICE].phone, "#9110");
    assert_null(c.contacts[CV_CONTACT_POLICE].mail);
    assert_null(c.contacts[CV_CONTACT_MHLW].mail);
    assert_null(c.contacts[CV_CONTACT_EHR_VENDOR].name);
    assert_string_equal(cv_contact_role_key(CV_CONTACT_REGIONAL), "regional_network");
    cv_config_free(&c);

    snprintf(text, sizeof(text), "%sit_oncall = 当番 | 090-ABCD\n", base);
    expect_error(text, "/etc/cv.conf:6: [contacts] it_oncall: phone '090-ABCD' holds 'A' (a "
                       "phone number is digits, with - + ( ) # and spaces)");
    snprintf(text, sizeof(text), "%sit_oncall = 当番 | 12\n", base);
    expect_error(text, "/etc/cv.conf:6: [contacts] it_oncall: phone '12' has 2 digits (3 to 20 "
                       "make a phone number)");
    snprintf(text, sizeof(text), "%sehr_vendor = 窓口 | 03-1111-2222 | a@b@c\n", base);
    expect_error(text, "/etc/cv.conf:6: [contacts] ehr_vendor: 'a@b@c' is not a mail address "
                       "(name@example.jp)");
    snprintf(text, sizeof(text), "%sehr_vendor = | 03-1111-2222\n", base);
    expect_error(text, "/etc/cv.conf:6: [contacts] ehr_vendor: has no name (write 'NAME | PHONE "
                       "| MAIL')");
    snprintf(text, sizeof(text), "%sehr_vendor = 窓口\n", base);
    expect_error(text, "/etc/cv.conf:6: [contacts] ehr_vendor: has no phone number (write 'NAME "
                       "| PHONE | MAIL')");
    snprintf(text, sizeof(text), "%sehr_vendor = a | 03-1111-2222 | a@b | x\n", base);
    expect_error(text, "/etc/cv.conf:6: [contacts] ehr_vendor: wants 'NAME | PHONE | MAIL', not "
                       "more than three fields");
    snprintf(text, sizeof(text), "%spolicia = a | 110\n", base);
    expect_error(text, "/etc/cv.conf:6: [contacts] policia: unknown key");
}

/* The commented example shipped in packaging/ must stay a valid configuration. */
static void test_packaged_example(void **state)
{
    struct cv_buf b = CV_BUF_INIT(1 << 16);
    struct cv_config c;

    (void)state;
    assert_int_equal(cv_buf_read_file(&b, CV_SOURCE_DIR "/packaging/chartvault.conf"), CV_OK);
    assert_int_equal(cv_config_parse_text("chartvault.conf", b.data, b.len, &c), CV_OK);
    assert_string_equal(c.index_db, "/var/lib/chartvault/index/index.db");
    assert_string_equal(c.state_dir, "/var/lib/chartvault/state");
    assert_int_equal(c.nrepos, 1);
    cv_config_free(&c);
    cv_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_example),
        cmocka_unit_test(test_errors_name_file_line_key),
        cmocka_unit_test(test_bytes_refused_before_inih),
        cmocka_unit_test(test_repos_and_defaults),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_private_files),
        cmocka_unit_test(test_packaged_example),
        cmocka_unit_test(test_contacts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
