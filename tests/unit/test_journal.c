/*
 * test_journal.c: the daemon's change journal: what was noted after a mark is told (once per
 * path, whatever the number of notes), what was noted before is not; a loss makes every older
 * mark unanswerable until a new mark is taken; trimming forgets what every reader is past;
 * more paths than the journal holds count as a loss.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The paths told since `mark`, sorted and joined with spaces ("-" when it cannot tell). */
static const char *since(struct cv_journal *j, uint64_t mark)
{
    static char out[65536];
    char **paths;
    size_t n;

    if (!cv_journal_since(j, mark, &paths, &n))
        return "-";
    qsort(paths, n, sizeof(*paths), by_string);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "", paths[i]);
    cv_journal_paths_free(paths, n);
    return out;
}

static void test_marks(void **state)
{
    struct cv_journal *j;
    uint64_t m0, m1, m2;

    (void)state;
    assert_int_equal(cv_journal_new(&j, 100), CV_OK);
    m0 = cv_journal_mark(j);
    assert_string_equal(since(j, 0), "-"); /* before anything: a walk */
    cv_journal_add(j, "a/1");
    cv_journal_add(j, "b/2");
    cv_journal_add(j, "a/1");
    assert_string_equal(since(j, m0), "a/1 b/2");
    m1 = cv_journal_mark(j);
    assert_string_equal(since(j, m1), "");
    cv_journal_add(j, "c/3");
    cv_journal_add(j, "a/1"); /* noted again: after m1 now */
    assert_string_equal(since(j, m1), "a/1 c/3");
    assert_string_equal(since(j, m0), "a/1 b/2 c/3");
    cv_journal_trim(j, m1); /* b/2 was noted before m1 only: forgotten */
    assert_string_equal(since(j, m1), "a/1 c/3");
    cv_journal_lost(j);
    assert_string_equal(since(j, m1), "-");
    m2 = cv_journal_mark(j);
    cv_journal_add(j, "d/4");
    assert_string_equal(since(j, m2), "d/4");
    cv_journal_free(j);
}

static void test_too_many(void **state)
{
    struct cv_journal *j;
    uint64_t m;
    char path[32];

    (void)state;
    assert_int_equal(cv_journal_new(&j, 600), CV_OK);
    m = cv_journal_mark(j);
    for (int i = 0; i < 2000; i++) {
        snprintf(path, sizeof(path), "p/%d", i);
        cv_journal_add(j, path);
    }
    assert_string_equal(since(j, m), "-");
    m = cv_journal_mark(j);
    cv_journal_add(j, "after");
    assert_string_equal(since(j, m), "after");
    cv_journal_free(j);

    assert_int_equal(cv_journal_new(&j, 100000), CV_OK);
    for (int i = 0; i < 3000; i++) { /* trimming keeps what is newer, and lookups work after */
        snprintf(path, sizeof(path), "q/%d", i);
        cv_journal_add(j, path);
        if (i == 1499)
            m = cv_journal_mark(j);
    }
    cv_journal_trim(j, m);
    cv_journal_add(j, "q/2999"); /* found again, not added twice */
    cv_journal_add(j, "q/1");    /* trimmed: new again */
    assert_non_null(strstr(since(j, m), "q/2999"));
    assert_non_null(strstr(since(j, m), "q/1 "));
    assert_null(strstr(since(j, m), "q/1498"));
    {
        char **paths;
        size_t n;

        assert_true(cv_journal_since(j, m, &paths, &n));
        assert_int_equal(n, 1501);
        cv_journal_paths_free(paths, n);
    }
    cv_journal_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marks),
        cmocka_unit_test(test_too_many),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
