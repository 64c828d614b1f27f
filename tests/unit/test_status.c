/*
 * test_status.c: `status` tells only what is true. Each counter of the 3-2-1-1-0 line (copies,
 * media, off-site, immutable) counts a repository only while it answers, is fresh and, for
 * immutable, its locks were read back in force; and the [repo] keys of copies (copy_of, type,
 * retention, credentials). The positive off-site and immutable cases need a real S3 server:
 * tests/e2e/daemon_s3.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <chartvault/config.h>
#include <chartvault/daemon.h>

#include <chartvault/state.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void make_repo(const char *name)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/%s/config", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

/* A config with the source in dir/src and the given [repo] sections. */
static void load(struct cv_config *c, const char *repos)
{
    char text[4096];

    snprintf(text, sizeof(text),
             "[source]\npath = %s/src\n[index]\ndb = %s/index.sqlite\n[thresholds]\n"
             "snapshot_max_age = 1h\n[drill]\ninterval = 0\n%s",
             dir, dir, repos);
    assert_int_equal(cv_config_parse_text("t.conf", text, strlen(text), c), CV_OK);
}

static void put_state(const struct cv_config *c, const char *name, long long age, bool lock_ok,
                      long long lock_left)
{
    struct cv_state *s;
    struct cv_state_repo r = {0};
    char key[128];

    assert_int_equal(cv_state_open(&s, c->state_dir, false), CV_OK);
    cv_strlcpy(r.name, name, sizeof(r.name));
    r.snap_time = cv_now() - age;
    cv_strlcpy(r.snap_id, "1a2b3c4d", sizeof(r.snap_id));
    assert_int_equal(cv_state_repo_put(s, &r), CV_OK);
    snprintf(key, sizeof(key), "lock_time:%s", name);
    cv_state_set_int(s, key, cv_now());
    snprintf(key, sizeof(key), "lock_ok:%s", name);
    cv_state_set_int(s, key, lock_ok);
    snprintf(key, sizeof(key), "lock_until:%s", name);
    cv_state_set_int(s, key, cv_now() + lock_left);
    cv_state_close(s);
}

static int setup(void **state)
{
    char path[512];

    (void)state;
    snprintf(dir, sizeof(dir), "%s/unit_status.XXXXXX", getenv("CV_TEST_TMP") ?: "/tmp");
    mkdir(getenv("CV_TEST_TMP") ?: "/tmp", 0700);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/src", dir);
    mkdir(path, 0700);
    setenv("AWS_ACCESS_KEY_ID", "x", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "y", 1);
    return 0;
}

static void run_status(const char *repos, struct cv_status *st)
{
    struct cv_config c;

    load(&c, repos);
    assert_int_equal(cv_daemon_status(&c, st), CV_OK);
    cv_config_free(&c);
}

static void with_state(const char *repos, const char *name, long long age, bool lock_ok,
                       long long lock_left)
{
    struct cv_config c;

    load(&c, repos);
    put_state(&c, name, age, lock_ok, lock_left);
    cv_config_free(&c);
}

/* copies: a repository counts when it answers and is fresh; stale or unreachable, it does not */
static void test_copies_counter(void **state)
{
    char repos[1024];
    struct cv_status st;

    (void)state;
    make_repo("fresh");
    make_repo("stale");
    snprintf(repos, sizeof(repos),
             "[repo fresh]\npath = %s/fresh\npassword_file = /p\n"
             "[repo stale]\npath = %s/stale\npassword_file = /p\n"
             "[repo gone]\npath = %s/gone\npassword_file = /p\n",
             dir, dir, dir);
    with_state(repos, "fresh", 60, false, 0);
    with_state(repos, "stale", 7200, false, 0);
    with_state(repos, "gone", 60, false, 0); /* fresh in the state, but the folder is gone */
    run_status(repos, &st);
    assert_int_equal(st.copies, 2); /* the source and 'fresh' */
    assert_true(st.repos[0].counted);
    assert_false(st.repos[1].counted);
    assert_false(st.repos[2].reachable);
    assert_false(st.repos[2].counted);
}

/* media: repositories on the source's own disk add no medium; an uncounted one adds nothing */
static void test_media_counter(void **state)
{
    char repos[1024];
    struct cv_status st;

    (void)state;
    make_repo("fresh");
    make_repo("stale");
    snprintf(repos, sizeof(repos),
             "[repo fresh]\npath = %s/fresh\npassword_file = /p\n"
             "[repo stale]\npath = %s/stale\npassword_file = /p\n",
             dir, dir);
    with_state(repos, "fresh", 60, false, 0);
    with_state(repos, "stale", 7200, false, 0);
    run_status(repos, &st);
    assert_int_equal(st.media, 1); /* everything is on one file system here */
}

/* off-site and immutable: an S3 copy that does not answer counts for neither, whatever the
 * state file says about its snapshots and locks, and the line says why */
static void test_offsite_immutable_unreachable(void **state)
{
    char repos[1024];
    struct cv_status st;

    (void)state;
    snprintf(repos, sizeof(repos),
             "[repo cloud]\npath = s3:http://127.0.0.1:1/bucket/x\npassword_file = /p\n");
    with_state(repos, "cloud", 60, true, 86400);
    run_status(repos, &st);
    assert_false(st.repos[0].reachable);
    assert_true(st.repos[0].can_lock);
    assert_false(st.repos[0].offsite);
    assert_false(st.repos[0].immutable);
    assert_int_equal(st.offsite, 0);
    assert_int_equal(st.immutable, 0);
    assert_non_null(strstr(st.rule_line, "none reachable and fresh"));
    assert_non_null(strstr(st.rule_line, "none verified locked"));
}

/* immutable is never claimed from a path's look: a local folder cannot lock, an s3:// string
 * (not a location any backend accepts) is refused as a repository */
static void test_immutable_not_from_kind(void **state)
{
    char repos[1024];
    struct cv_status st;

    (void)state;
    make_repo("fresh");
    snprintf(repos, sizeof(repos), "[repo fresh]\npath = %s/fresh\npassword_file = /p\n", dir);
    with_state(repos, "fresh", 60, true, 86400); /* even a (forged) lock_ok in the state */
    run_status(repos, &st);
    assert_true(st.repos[0].counted);
    assert_false(st.repos[0].can_lock);
    assert_false(st.repos[0].immutable);
    assert_int_equal(st.immutable, 0);
    snprintf(repos, sizeof(repos), "[repo old]\npath = s3://bucket/x\npassword_file = /p\n");
    with_state(repos, "old", 60, true, 86400);
    run_status(repos, &st);
    assert_false(st.repos[0].reachable);
    assert_int_equal(st.offsite, 0);
    assert_int_equal(st.immutable, 0);
}

static void test_copy_config(void **state)
{
    struct cv_config c;
    const char *ok = "[source]\npath = /s\n[index]\ndb = /i/x.db\n"
                     "[repo local]\npath = /r\npassword_file = /p\n"
                     "[repo cloud]\ntype = s3\npath = s3:https://h/b/p\ncopy_of = local\n"
                     "retention = 30d\ncredentials = /c\nca_file = /ca\n";
    const char *bad[] = {
        "[repo cloud]\npath = s3:https://h/b\ncopy_of = nothing\n",
        "[repo cloud]\npath = s3:https://h/b\ncopy_of = cloud\npassword_file = /p\n",
        "[repo cloud]\ntype = s3\npath = /folder\npassword_file = /p\n",
        "[repo cloud]\ntype = tape\npath = /folder\npassword_file = /p\n",
        "[repo cloud]\npath = /folder\nretention = 1d\npassword_file = /p\n",
        "[repo cloud]\npath = s3:https://h/b\nretention = soon\npassword_file = /p\n",
    };

    (void)state;
    assert_int_equal(cv_config_parse_text("t", ok, strlen(ok), &c), CV_OK);
    assert_string_equal(c.repos[1].copy_of, "local");
    assert_string_equal(c.repos[1].password_file, "/p"); /* the source's: a replica's key */
    assert_int_equal(c.repos[1].retention, 30 * 86400);
    assert_string_equal(c.repos[1].credentials, "/c");
    cv_config_free(&c);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[1024];

        snprintf(text, sizeof(text), "[source]\npath = /s\n[index]\ndb = /i/x.db\n%s", bad[i]);
        assert_int_not_equal(cv_config_parse_text("t", text, strlen(text), &c), CV_OK);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_copies_counter, setup),
        cmocka_unit_test_setup(test_media_counter, setup),
        cmocka_unit_test_setup(test_offsite_immutable_unreachable, setup),
        cmocka_unit_test_setup(test_immutable_not_from_kind, setup),
        cmocka_unit_test(test_copy_config),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
