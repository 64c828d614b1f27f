/*
 * test_s3_xml.c: the parts of S3's version listings prune relies on: each version's
 * LastModified time (an unindexed pack goes only once old enough), delete markers told apart,
 * and an unreadable time given as 0, which prune takes as new (kept), never as old.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "backend/s3_int.h"
#include <string.h>

struct seen {
    struct cv_s3_version v[4];
    size_t n;
};

static enum cv_err collect(void *arg, const struct cv_s3_version *v)
{
    struct seen *s = arg;

    if (s->n < 4)
        s->v[s->n++] = *v;
    return CV_OK;
}

static void test_last_modified(void **state)
{
    static const char xml[] =
        "<ListVersionsResult><IsTruncated>false</IsTruncated>"
        "<Version><Key>h/packs/ab/ab</Key><VersionId>v2</VersionId>"
        "<LastModified>2026-12-08T02:50:01.123Z</LastModified><Size>22</Size></Version>"
        "<Version><Key>h/packs/ab/ab</Key><VersionId>v1</VersionId>"
        "<LastModified>2026-13-45T99:99:99Z</LastModified><Size>21</Size></Version>"
        "<DeleteMarker><Key>h/packs/cd/cd</Key><VersionId>m</VersionId>"
        "<LastModified>1970-01-01T00:00:10Z</LastModified></DeleteMarker>"
        "<Version><Key>h/x</Key><VersionId>v0</VersionId><Size>1</Size></Version>"
        "</ListVersionsResult>";
    struct seen s = {0};
    struct cv_s3_page page;
    int64_t want;

    (void)state;
    assert_int_equal(cv_s3_parse_versions(xml, strlen(xml), collect, &s, &page), CV_OK);
    assert_int_equal(s.n, 4);
    assert_int_equal(cv_s3_parse_time("2026-12-08T02:50:01Z", &want), CV_OK);
    assert_int_equal(s.v[0].modified, want);
    assert_int_equal(s.v[0].size, 22);
    assert_int_equal(s.v[1].modified, 0); /* not a date: 0 (new), and the listing still reads */
    assert_true(s.v[2].delete_marker);
    assert_int_equal(s.v[2].modified, 10);
    assert_int_equal(s.v[3].modified, 0); /* none given */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_last_modified),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
