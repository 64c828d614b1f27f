/*
 * hl7_ts.c: HL7 timestamps as real SS-MIX2 files write them, normalised to the dates and
 * minutes the index and the viewer show. Real data holds fractions of any length, missing
 * seconds or minutes, zones, and hours 24..47 (the next day's early hours, as Japanese
 * schedules count them); these roll over to the next day.
 */
#include <chartvault/hl7.h>

#include <stdio.h>
#include <string.h>

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return mdays[m - 1] + (m == 2 && leap(y));
}

static int digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* The digits before any fraction or zone, checking that what follows is one of those. */
static int count_digits(const char *s)
{
    int n = 0;
    const char *rest;

    while (s[n] >= '0' && s[n] <= '9' && n < 18)
        n++;
    rest = s + n;
    if (*rest == '.') {
        rest++;
        while (*rest >= '0' && *rest <= '9')
            rest++;
    }
    if (*rest == '+' || *rest == '-') {
        int z = 0;

        while (rest[1 + z] >= '0' && rest[1 + z] <= '9')
            z++;
        if (z != 4 && z != 2)
            return -1;
        rest += 1 + z;
    }
    return *rest ? -1 : n;
}

enum cv_err cv_hl7_ts_parse(const char *s, struct cv_hl7_ts *out)
{
    struct cv_hl7_ts t = {0};
    int n;

    memset(out, 0, sizeof(*out));
    /* 15..17 digits: seconds followed by an undotted fraction (SS-MIX2 event times) */
    if (!s || (n = count_digits(s)) < 0 || n > 17 ||
        (n < 14 && n != 4 && n != 6 && n != 8 && n != 10 && n != 12))
        return cv_fail(CV_EPARSE, "not an HL7 timestamp");
    if (n > 14)
        n = 14;
    t.precision = n;
    t.year = digits(s, 4);
    t.month = n >= 6 ? digits(s + 4, 2) : 1;
    t.day = n >= 8 ? digits(s + 6, 2) : 1;
    t.hour = n >= 10 ? digits(s + 8, 2) : 0;
    t.minute = n >= 12 ? digits(s + 10, 2) : 0;
    t.second = n >= 14 ? digits(s + 12, 2) : 0;
    if (t.year < 1800 || t.year > 2200 || t.month < 1 || t.month > 12 || t.day < 1 ||
        t.day > month_days(t.year, t.month) || t.hour > 47 || t.minute > 59 || t.second > 60)
        return cv_fail(CV_EPARSE, "not an HL7 timestamp");
    if (t.hour >= 24) {
        int y, m, d;

        cv_days_to_ymd(cv_ymd_to_days(t.year, t.month, t.day) + 1, &y, &m, &d);
        t.year = y;
        t.month = m;
        t.day = d;
        t.hour -= 24;
    }
    *out = t;
    return CV_OK;
}

bool cv_hl7_ts_date(const char *s, char *buf, size_t n)
{
    struct cv_hl7_ts t;

    if (n)
        buf[0] = '\0';
    if (!s || cv_hl7_ts_parse(s, &t) || t.precision < 8)
        return false;
    snprintf(buf, n, "%04d-%02d-%02d", t.year, t.month, t.day);
    return true;
}

bool cv_hl7_ts_minutes(const char *s, char *buf, size_t n)
{
    struct cv_hl7_ts t;

    if (n)
        buf[0] = '\0';
    if (!s || cv_hl7_ts_parse(s, &t) || t.precision < 8)
        return false;
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d", t.year, t.month, t.day, t.hour, t.minute);
    return true;
}
