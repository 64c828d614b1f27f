/*
 * test_retention.c: which snapshots a keep policy keeps (per host and source, the newest of
 * each always; last N; within a duration of the newest; the newest of each of the last N
 * hours/days/weeks/months/years that have one; a tag limiting what is judged), and the prune
 * record's encoding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <chartvault/retention.h>

#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY  86400
#define HOUR 3600

static struct cv_snapshot snaps[32];
static size_t nsnaps;
static char *tag_v[32][1];

/* 2026-12-01 00:00 UTC */
#define T0 1796083200

static void add(int64_t t, const char *source, const char *tag)
{
    struct cv_snapshot *s = &snaps[nsnaps];

    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%064zx", nsnaps);
    s->time = t;
    s->hostname = (char *)"host";
    s->source = (char *)source;
    if (tag) {
        tag_v[nsnaps][0] = (char *)tag;
        s->tags = tag_v[nsnaps];
        s->ntags = 1;
    }
    nsnaps++;
}

/* The kept snapshots' numbers (oldest first, as added), as "0 3 4". */
static const char *kept(const struct cv_keep_policy *p)
{
    static char out[256];
    bool keep[32];
    char why[32][CV_KEEP_WHY_MAX];

    cv_forget_plan(snaps, nsnaps, p, keep, why);
    out[0] = '\0';
    for (size_t i = 0; i < nsnaps; i++)
        if (keep[i])
            snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%zu", out[0] ? " " : "", i);
    return out;
}

static int setup(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    nsnaps = 0;
    return 0;
}

static void test_last_and_within(void **state)
{
    struct cv_keep_policy p = {0};

    (void)state;
    for (int i = 0; i < 6; i++)
        add(T0 + i * 15 * 60, "/src", NULL); /* every 15 minutes */
    p.last = 2;
    assert_string_equal(kept(&p), "4 5");
    p.last = 0;
    p.within = 30 * 60;
    assert_string_equal(kept(&p), "3 4 5");
    p.within = 0;
    p.last = 100;
    assert_string_equal(kept(&p), "0 1 2 3 4 5");
}

static void test_buckets(void **state)
{
    struct cv_keep_policy p = {0};

    (void)state;
    /* three days, several a day; then the next month */
    add(T0 + 1 * HOUR, "/src", NULL);            /* 0: day 1 */
    add(T0 + 5 * HOUR, "/src", NULL);            /* 1: day 1, newest of it */
    add(T0 + DAY + 2 * HOUR, "/src", NULL);      /* 2: day 2 */
    add(T0 + DAY + 2 * HOUR + 60, "/src", NULL); /* 3: day 2, same hour */
    add(T0 + DAY + 9 * HOUR, "/src", NULL);      /* 4: day 2, newest */
    add(T0 + 2 * DAY + HOUR, "/src", NULL);      /* 5: day 3 */
    add(T0 + 31 * DAY + HOUR, "/src", NULL);     /* 6: January */
    p.daily = 2;
    assert_string_equal(kept(&p), "5 6");
    p.daily = 4;
    assert_string_equal(kept(&p), "1 4 5 6");
    p.daily = 0;
    p.hourly = 4;
    assert_string_equal(kept(&p), "3 4 5 6");
    p.hourly = 0;
    p.monthly = 2;
    assert_string_equal(kept(&p), "5 6");
    p.monthly = 1;
    p.yearly = 2; /* 2026 and 2027 */
    assert_string_equal(kept(&p), "5 6");
}

static void test_groups_and_tags(void **state)
{
    struct cv_keep_policy p = {0};
    char why[32][CV_KEEP_WHY_MAX];
    bool keep[32];

    (void)state;
    add(T0, "/a", "x");       /* 0 */
    add(T0 + 10, "/b", NULL); /* 1 */
    add(T0 + 20, "/a", "x");  /* 2 */
    add(T0 + 30, "/b", NULL); /* 3 */
    add(T0 + 40, "/a", NULL); /* 4: the newest of /a, but without tag x */
    p.last = 1;
    assert_string_equal(kept(&p), "3 4"); /* the newest of each source */
    p.tag = "x";
    assert_string_equal(kept(&p), "1 2 3 4"); /* only 0 and 2 judged: 2 kept */
    cv_forget_plan(snaps, nsnaps, &p, keep, why);
    assert_non_null(strstr(why[1], "not tagged"));
    assert_non_null(strstr(why[2], "newest"));
}

static void test_record(void **state)
{
    struct cv_prune_record r, back;
    struct cv_buf out = CV_BUF_INIT(1 << 20);
    uint8_t ids[3][32];

    (void)state;
    memset(&r, 0, sizeof(r));
    memset(ids, 7, sizeof(ids));
    ids[1][0] = 9;
    r.time = T0;
    r.grace = 60;
    r.snaps = ids;
    r.nsnaps = 2;
    r.packs = ids + 2;
    r.npacks = 1;
    assert_int_equal(cv_prune_record_encode(&r, &out), CV_OK);
    assert_int_equal(cv_prune_record_decode((const uint8_t *)out.data, out.len, &back), CV_OK);
    assert_int_equal(back.time, T0);
    assert_int_equal(back.grace, 60);
    assert_int_equal(back.nsnaps, 2);
    assert_int_equal(back.npacks, 1);
    assert_memory_equal(back.snaps[1], ids[1], 32);
    cv_prune_record_clear(&back);
    assert_int_equal(cv_prune_record_decode((const uint8_t *)out.data, out.len - 1, &back),
                     CV_ECORRUPT);
    cv_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_last_and_within, setup),
        cmocka_unit_test_setup(test_buckets, setup),
        cmocka_unit_test_setup(test_groups_and_tags, setup),
        cmocka_unit_test(test_record),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
