/*
 * clock.c: wall-clock time that tests can move forward (lockout windows, session expiry,
 * stale-backup alerts), dates without time zones for SS-MIX2 care dates, and durations
 * written the way operators write them in config files ("15m", "1h").
 */
#include <chartvault/common.h>

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long clock_offset;

void cv_clock_set_offset(long seconds)
{
    atomic_store(&clock_offset, seconds);
}

/* The test clock: seconds to add, from the file $CHARTVAULT_TEST_CLOCK_FILE names. Only a build
 * made for the tests (CV_TEST_HOOKS, which 'make check' sets) reads it: in the release build
 * an environment variable cannot move the clock that lockouts, sessions and alerts go by. */
#ifdef CV_TEST_HOOKS
static long file_offset(void)
{
    const char *path = getenv("CHARTVAULT_TEST_CLOCK_FILE");
    long v = 0;
    FILE *f;

    if (!path || !*path)
        return 0;
    f = fopen(path, "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld", &v) != 1)
        v = 0;
    fclose(f);
    return v;
}
#else
static long file_offset(void)
{
    return 0;
}
#endif

bool cv_test_hooks(void)
{
#ifdef CV_TEST_HOOKS
    return true;
#else
    return false;
#endif
}

void cv_now_ns(int64_t *sec, uint32_t *nsec)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    *sec = (int64_t)ts.tv_sec + atomic_load(&clock_offset) + file_offset();
    *nsec = (uint32_t)ts.tv_nsec;
}

time_t cv_now(void)
{
    int64_t sec;
    uint32_t nsec;

    cv_now_ns(&sec, &nsec);
    return (time_t)sec;
}

uint64_t cv_monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

double cv_seconds_since(uint64_t start_ms)
{
    return (double)(cv_monotonic_ms() - start_ms) / 1000.0;
}

void cv_time_format_minutes(time_t t, char *buf, size_t n)
{
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
}

void cv_time_format_iso(time_t t, char *buf, size_t n)
{
    struct tm tm;
    char tz[8];

    localtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(tz, sizeof(tz), "%z", &tm); /* +0900 -> +09:00 */
    if (strlen(buf) + 7 <= n && tz[0] && tz[1])
        snprintf(buf + strlen(buf), n - strlen(buf), "%.3s:%.2s", tz, tz + 3);
}

enum cv_err cv_parse_duration(const char *s, long *seconds)
{
    char *end;
    long v;
    long unit = 1;

    *seconds = 0;
    if (!s || !isdigit((unsigned char)*s))
        return cv_fail(CV_EINVAL, "'%s' is not a duration (examples: 90s, 15m, 1h, 2d)",
                       s ? s : "");
    v = strtol(s, &end, 10);
    switch (*end) {
    case '\0':
    case 's':
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    default:
        return cv_fail(CV_EINVAL, "'%s' is not a duration (examples: 90s, 15m, 1h, 2d)", s);
    }
    if (*end && end[1])
        return cv_fail(CV_EINVAL, "'%s' is not a duration (examples: 90s, 15m, 1h, 2d)", s);
    if (v > 100L * 365 * 86400 / unit)
        return cv_fail(CV_EINVAL, "duration '%s' is too long", s);
    *seconds = v * unit;
    return CV_OK;
}

/* Howard Hinnant's days-from-civil algorithm: exact for the proleptic Gregorian calendar. */
long cv_ymd_to_days(int y, int m, int d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cv_days_to_ymd(long days, int *y, int *m, int *d)
{
    long z = days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;

    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static bool valid_ymd(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1)
        return false;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

enum cv_err cv_parse_date(const char *s, long *days)
{
    int y, m, d, used = 0;

    *days = 0;
    if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || s[used] != '\0' || used != 10 ||
        !valid_ymd(y, m, d))
        return cv_fail(CV_EINVAL, "'%s' is not a date (YYYY-MM-DD)", s ? s : "");
    *days = cv_ymd_to_days(y, m, d);
    return CV_OK;
}
