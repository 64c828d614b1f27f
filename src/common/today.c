/*
 * today.c: the one definition of "today" for the whole program: the calendar date at the
 * facility, in the facility's time zone (Asia/Tokyo unless $CHARTVAULT_TIMEZONE names
 * another). Ages, current orders, the census and freshness all ask here, so a server kept
 * in UTC never shows a patient one age on the census and another on the summary between
 * 00:00 and 09:00 JST. The zone is installed as the process's TZ, so every local time the
 * program prints (data time, audit, alerts) is facility time too.
 */
#include <chartvault/common.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_ZONE "Asia/Tokyo"
/* Japan has kept one offset with no summer time since 1951: the same rules as the tz file,
 * for a machine without tzdata. */
#define DEFAULT_ZONE_POSIX "JST-9"

static pthread_once_t zone_once = PTHREAD_ONCE_INIT;
static char zone_name[64] = DEFAULT_ZONE;
static bool zone_chosen; /* cv_facility_zone_set() succeeded: the lazy default stays out */

/* A POSIX TZ rule ("JST-9", "UTC0", "EST5EDT,M3.2.0,M11.1.0") needs no tz database. */
static bool posix_rule(const char *zone)
{
    return zone[0] != ':' && strpbrk(zone, "0123456789") && !strchr(zone, '/');
}

static bool zone_file_exists(const char *zone)
{
    char path[256];
    struct stat st;

    if (zone[0] == ':')
        zone++;
    if (!*zone || zone[0] == '/' || strstr(zone, ".."))
        return false;
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

enum cv_err cv_facility_zone_set(const char *zone)
{
    const char *tz;

    if (!zone || !*zone) {
        zone = getenv("CHARTVAULT_TIMEZONE");
        if (!zone || !*zone)
            zone = DEFAULT_ZONE;
    }
    if (strlen(zone) >= sizeof(zone_name) || strpbrk(zone, " \t\r\n"))
        return cv_fail(CV_EINVAL, "'%s' is not a time zone", zone);
    tz = zone;
    if (!zone_file_exists(zone) && !posix_rule(zone)) {
        if (strcmp(zone, DEFAULT_ZONE) != 0)
            return cv_fail(CV_EINVAL,
                           "unknown time zone '%s' (no /usr/share/zoneinfo/%s; a POSIX rule such "
                           "as JST-9 also works)",
                           zone, zone);
        tz = DEFAULT_ZONE_POSIX;
    }
    cv_strlcpy(zone_name, zone, sizeof(zone_name));
    setenv("TZ", tz, 1);
    tzset();
    zone_chosen = true;
    return CV_OK;
}

/* For a program that never chose (a library user, a unit test): the first use picks. */
static void zone_default(void)
{
    if (zone_chosen)
        return;
    if (cv_facility_zone_set(NULL) != CV_OK) /* a bad $CHARTVAULT_TIMEZONE: the default */
        cv_facility_zone_set(DEFAULT_ZONE);
}

const char *cv_facility_zone(void)
{
    pthread_once(&zone_once, zone_default);
    return zone_name;
}

long cv_today_days(void)
{
    time_t now = cv_now();
    struct tm tm;

    pthread_once(&zone_once, zone_default);
    localtime_r(&now, &tm);
    return cv_ymd_to_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void cv_today(char buf[11])
{
    int y, m, d;

    cv_days_to_ymd(cv_today_days(), &y, &m, &d);
    snprintf(buf, 11, "%04d-%02d-%02d", y, m, d);
}

int cv_age_on(const char *birth_date, long on_days)
{
    int by, bm, bd, y, m, d, age;
    long days;

    if (!birth_date || cv_parse_date(birth_date, &days) != CV_OK)
        return -1;
    cv_days_to_ymd(days, &by, &bm, &bd);
    cv_days_to_ymd(on_days, &y, &m, &d);
    age = y - by - (m < bm || (m == bm && d < bd));
    return age >= 0 && age < 200 ? age : -1;
}
