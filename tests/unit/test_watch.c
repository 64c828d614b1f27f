/*
 * test_watch.c: recursive inotify on a real folder tree: a new file, a write to an existing one,
 * a rename inside the tree paired into one move, a move out of the tree, a deletion, and a new
 * folder (made with files already in it) picked up with its files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/watch.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char root[] = "/tmp/cvwatchXXXXXX";

static void put(const char *rel, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void mk(const char *rel)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void drain(struct cv_watch *w, struct cv_watch_batch *b)
{
    struct pollfd p = {.fd = cv_watch_fd(w), .events = POLLIN};

    while (poll(&p, 1, 200) > 0)
        assert_int_equal(cv_watch_read(w, b), CV_OK);
}

static const struct cv_watch_entry *find(const struct cv_watch_batch *b, const char *path)
{
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->entries[i].path, path) == 0)
            return &b->entries[i];
    return NULL;
}

static void test_events(void **state)
{
    struct cv_watch_batch b = {0};
    const struct cv_watch_entry *e;
    struct cv_watch *w;
    size_t watched, left;
    char from[512], to[512];

    (void)state;
    assert_non_null(mkdtemp(root));
    mk("999");
    mk("999/901");
    put("999/901/old_1", "x");
    put("999/901/gone", "x");
    assert_int_equal(cv_watch_open(&w, root, 1000), CV_OK);
    cv_watch_counts(w, &watched, &left);
    assert_int_equal(watched, 3);
    assert_int_equal(left, 0);

    put("999/901/new", "hello");
    put("999/901/old_1", "rewritten");
    snprintf(from, sizeof(from), "%s/999/901/old_1", root);
    snprintf(to, sizeof(to), "%s/999/901/old_2", root);
    assert_int_equal(rename(from, to), 0);
    snprintf(from, sizeof(from), "%s/999/901/gone", root);
    snprintf(to, sizeof(to), "%s.outside", root);
    assert_int_equal(rename(from, to), 0);
    unlink(to);
    drain(w, &b);

    e = find(&b, "999/901/new");
    assert_non_null(e);
    assert_true(e->flags & CV_WATCH_CREATED);
    assert_true(e->flags & CV_WATCH_WRITTEN);
    e = find(&b, "999/901/old_1");
    assert_non_null(e);
    assert_true(e->flags & CV_WATCH_WRITTEN);
    assert_false(e->flags & CV_WATCH_CREATED);
    assert_true(e->flags & CV_WATCH_MOVED_OUT);
    assert_string_equal(e->moved_to, "999/901/old_2");
    e = find(&b, "999/901/old_2");
    assert_non_null(e);
    assert_true(e->flags & CV_WATCH_MOVED_IN);
    assert_string_equal(e->moved_from, "999/901/old_1");
    e = find(&b, "999/901/gone");
    assert_non_null(e);
    assert_true(e->flags & CV_WATCH_MOVED_OUT);
    assert_null(e->moved_to);
    assert_false(b.overflow);
    cv_watch_batch_clear(&b);

    /* a folder made elsewhere with a file in it, then moved in: its file counts as new, and
     * later events inside it are seen */
    snprintf(from, sizeof(from), "%s.newdir", root);
    assert_int_equal(mkdir(from, 0755), 0);
    snprintf(to, sizeof(to), "%s.newdir/f", root);
    fclose(fopen(to, "w"));
    snprintf(to, sizeof(to), "%s/999/902", root);
    assert_int_equal(rename(from, to), 0);
    drain(w, &b);
    e = find(&b, "999/902/f");
    assert_non_null(e);
    assert_true(e->flags & CV_WATCH_CREATED);
    cv_watch_batch_clear(&b);
    put("999/902/g", "x");
    drain(w, &b);
    assert_non_null(find(&b, "999/902/g"));
    cv_watch_batch_clear(&b);

    /* deletion */
    snprintf(to, sizeof(to), "%s/999/902/g", root);
    unlink(to);
    drain(w, &b);
    e = find(&b, "999/902/g");
    assert_non_null(e);
    assert_true(e->flags & CV_WATCH_DELETED);

    cv_watch_batch_clear(&b);
    cv_free(b.entries);
    cv_free(b.slots);
    cv_watch_free(w);
    snprintf(from, sizeof(from), "rm -rf '%s'", root);
    assert_int_equal(system(from), 0);
}

static void test_budget(void **state)
{
    char dir[] = "/tmp/cvwatchbXXXXXX", path[512];
    struct cv_watch *w;
    size_t watched, left;

    (void)state;
    assert_non_null(mkdtemp(dir));
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof(path), "%s/d%d", dir, i);
        mkdir(path, 0755);
    }
    assert_int_equal(cv_watch_open(&w, dir, 3), CV_OK);
    cv_watch_counts(w, &watched, &left);
    assert_int_equal(watched, 3);
    assert_int_equal(left, 3);
    cv_watch_free(w);
    snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* Over budget, the watches go to recent care dates and "-" before old care dates. */
static void test_recent_first(void **state)
{
    char dir[] = "/tmp/cvwatchrXXXXXX", path[512], today[16];
    static const char *const dirs[] = {"111",
                                       "111/222",
                                       "111/222/1112223",
                                       "111/222/1112223/20000101",
                                       "111/222/1112223/20000101/OMP-01",
                                       "111/222/1112223/-",
                                       "111/222/1112223/-/ADT-00"};
    struct cv_watch_batch b = {0};
    struct cv_watch *w;
    size_t watched, left;
    time_t now = time(NULL);
    struct tm tm;

    (void)state;
    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < CV_ARRAY_LEN(dirs); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, dirs[i]);
        assert_int_equal(mkdir(path, 0755), 0);
    }
    localtime_r(&now, &tm);
    strftime(today, sizeof(today), "%Y%m%d", &tm);
    snprintf(path, sizeof(path), "%s/111/222/1112223/%s", dir, today);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/111/222/1112223/%s/OMP-01", dir, today);
    mkdir(path, 0755);
    /* root + 3 + "-" + ADT-00 + today + OMP-01 = 8: the old date is left out */
    assert_int_equal(cv_watch_open(&w, dir, 8), CV_OK);
    cv_watch_counts(w, &watched, &left);
    assert_int_equal(watched, 8);
    assert_true(left >= 1);
    snprintf(path, sizeof(path), "%s/111/222/1112223/%s/OMP-01/new", dir, today);
    fclose(fopen(path, "w"));
    snprintf(path, sizeof(path), "%s/111/222/1112223/20000101/OMP-01/old", dir);
    fclose(fopen(path, "w"));
    drain(w, &b);
    assert_int_equal(b.n, 1);
    assert_non_null(strstr(b.entries[0].path, "/OMP-01/new"));
    cv_watch_batch_clear(&b);
    cv_free(b.entries);
    cv_free(b.slots);
    cv_watch_free(w);
    snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_recent_first),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
