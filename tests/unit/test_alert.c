/*
 * test_alert.c: alerts reach a real local SMTP sink and webhook receiver (tests/tools/
 * alert_sinks.py, started here), a lasting condition is not repeated before [alerts] repeat,
 * a failed webhook is retried on the next raise, and clearing sends one "resolved" notice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/alert.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/cvalertXXXXXX";
static pid_t sinks;
static int smtp_port, hook_port;

static int count_files(const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d && (e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return n;
}

static bool file_has(const char *name, const char *text)
{
    char path[256], buf[8192];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "r");
    if (!f)
        return false;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

static int start_sinks(void **state)
{
    char ports[256];
    FILE *f = NULL;

    (void)state;
    if (!mkdtemp(dir))
        return -1;
    sinks = fork();
    if (sinks == 0) {
        execl("/usr/bin/python3", "python3", CV_SOURCE_DIR "/tests/tools/alert_sinks.py", dir,
              (char *)NULL);
        _exit(127);
    }
    snprintf(ports, sizeof(ports), "%s/ports", dir);
    for (int i = 0; i < 100 && !(f = fopen(ports, "r")); i++)
        usleep(50000);
    if (!f || fscanf(f, "%d %d", &smtp_port, &hook_port) != 2)
        return -1;
    fclose(f);
    return 0;
}

static int stop_sinks(void **state)
{
    char cmd[256];

    (void)state;
    kill(sinks, SIGTERM);
    waitpid(sinks, NULL, 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct cv_alerter *open_alerter(long repeat)
{
    char text[1024];
    struct cv_config c;
    struct cv_alerter *a;

    snprintf(text, sizeof(text),
             "[index]\ndb=/i\n[source]\npath=/s\n[alerts]\nsyslog=no\n"
             "smtp_url=smtp://127.0.0.1:%d\nmail_from=cv@example.jp\n"
             "mail_to=it@example.jp, oncall@example.jp\nwebhook=http://127.0.0.1:%d/hook\n"
             "repeat=%lds\n",
             smtp_port, hook_port, repeat);
    assert_int_equal(cv_config_parse_text("t", text, strlen(text), &c), CV_OK);
    assert_int_equal(cv_alerter_open(&a, &c, "vault-1"), CV_OK);
    cv_config_free(&c);
    return a;
}

static void test_delivery_and_repeat(void **state)
{
    struct cv_alerter *a = open_alerter(3600);
    struct cv_alert_counters k;
    char status[256];
    FILE *f;

    (void)state;
    cv_alert_raise(a, CV_ALERT_CRIT, "stale:local", "newest snapshot in '%s' is %d min old",
                   "local", 75);
    assert_int_equal(count_files("mail-"), 1);
    assert_int_equal(count_files("hook-"), 1);
    assert_true(file_has("mail-1.eml", "RCPT TO:<oncall@example.jp>"));
    assert_true(file_has("mail-1.eml", "Subject: [chartvault] CRITICAL on vault-1: newest "
                                       "snapshot in 'local' is 75 min old"));
    assert_true(file_has("hook-1.json", "\"severity\":\"critical\""));
    assert_true(file_has("hook-1.json", "\"key\":\"stale:local\""));
    assert_true(cv_alert_active(a, "stale:local"));

    /* the same condition again: nothing new before `repeat` */
    cv_alert_raise(a, CV_ALERT_CRIT, "stale:local", "newest snapshot is 80 min old");
    assert_int_equal(count_files("mail-"), 1);
    assert_int_equal(count_files("hook-"), 1);

    /* another condition with a failing webhook: mail goes, webhook is retried next time */
    snprintf(status, sizeof(status), "%s/webhook-status", dir);
    f = fopen(status, "w");
    fputs("500\n", f);
    fclose(f);
    cv_alert_raise(a, CV_ALERT_CRIT, "drill:local", "restore drill failed");
    assert_int_equal(count_files("mail-"), 2);
    assert_int_equal(count_files("hook-"), 1);
    unlink(status);
    cv_alert_raise(a, CV_ALERT_CRIT, "drill:local", "restore drill failed");
    assert_int_equal(count_files("mail-"), 2); /* mail already got through */
    assert_int_equal(count_files("hook-"), 2);

    /* resolved once, then quiet */
    cv_alert_clear(a, "stale:local", "'local' has a fresh snapshot");
    assert_int_equal(count_files("mail-"), 3);
    assert_true(file_has("mail-3.eml", "resolved on vault-1: 'local' has a fresh snapshot"));
    cv_alert_clear(a, "stale:local", "again");
    assert_int_equal(count_files("mail-"), 3);
    assert_false(cv_alert_active(a, "stale:local"));
    cv_alerter_counters(a, &k);
    assert_int_equal(k.webhook_failed, 1);
    assert_int_equal(k.mail_failed, 0);
    cv_alerter_free(a);
}

static void test_unreachable_mail_server(void **state)
{
    char text[512];
    struct cv_config c;
    struct cv_alerter *a;
    struct cv_alert_counters k;

    (void)state;
    /* port 1 on loopback: connection refused at once */
    snprintf(text, sizeof(text),
             "[index]\ndb=/i\n[source]\npath=/s\n[alerts]\nsyslog=no\n"
             "smtp_url=smtp://127.0.0.1:1\nmail_from=a@b\nmail_to=c@d\n");
    assert_int_equal(cv_config_parse_text("t", text, strlen(text), &c), CV_OK);
    assert_int_equal(cv_alerter_open(&a, &c, "h"), CV_OK);
    cv_alert_raise(a, CV_ALERT_WARN, "x", "y");
    cv_alert_raise(a, CV_ALERT_WARN, "x", "y"); /* retried: the first did not get through */
    cv_alerter_counters(a, &k);
    assert_int_equal(k.mail_failed, 2);
    cv_alerter_free(a);
    cv_config_free(&c);
}

/* Channels that are not configured are never tried. */
static void test_only_configured_channels(void **state)
{
    static const char text[] = "[index]\ndb=/i\n[source]\npath=/s\n[alerts]\nsyslog=no\n";
    struct cv_config c;
    struct cv_alerter *a;
    struct cv_alert_counters k;

    (void)state;
    assert_int_equal(cv_config_parse_text("t", text, strlen(text), &c), CV_OK);
    assert_int_equal(cv_alerter_open(&a, &c, "h"), CV_OK);
    cv_alert_raise(a, CV_ALERT_CRIT, "x", "y");
    cv_alert_raise(a, CV_ALERT_CRIT, "x", "y");
    cv_alerter_counters(a, &k);
    assert_int_equal(k.raised, 1); /* the log line, once per repeat */
    assert_int_equal(k.mail_failed + k.webhook_failed + k.mail_sent + k.webhook_sent, 0);
    cv_alerter_free(a);
    cv_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivery_and_repeat),
        cmocka_unit_test(test_unreachable_mail_server),
        cmocka_unit_test(test_only_configured_channels),
    };

    return cmocka_run_group_tests(tests, start_sinks, stop_sinks);
}
