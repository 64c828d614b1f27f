/*
 * ssmix2_name.c: SS-MIX2 file names and paths: parsing and checking
 * <ID>_<care date|->_<data type>_<order no>_<event time>_<dept|->_<flag> and its place
 * <ID[0:3]>/<ID[3:6]>/<ID>/<date|->/<type>/ in the tree, and formatting them for writers.
 * Names come from outside (any byte may appear), so every field is length- and
 * character-checked before it is copied.
 */
#include <chartvault/ssmix2.h>

#include <stdio.h>
#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool all_match(const char *s, size_t n, bool (*ok)(char))
{
    for (size_t i = 0; i < n; i++)
        if (!ok(s[i]))
            return false;
    return true;
}

static bool id_char(char c)
{
    return is_alnum(c) || c == '-';
}

static bool order_char(char c)
{
    return is_alnum(c) || c == '-' || c == '.';
}

static bool valid_yyyymmdd(const char *s, size_t n)
{
    int y, m, d;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (n != 8 || !all_match(s, 8, is_digit))
        return false;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[4] - '0') * 10 + (s[5] - '0');
    d = (s[6] - '0') * 10 + (s[7] - '0');
    if (y < 1800 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

static bool valid_care_date(const char *s, size_t n)
{
    return (n == 1 && s[0] == '-') || valid_yyyymmdd(s, n);
}

static bool valid_id(const char *s, size_t n)
{
    return n >= 1 && n <= CV_SSMIX2_ID_MAX && all_match(s, n, id_char);
}

static bool valid_dept(const char *s, size_t n)
{
    return (n == 1 && s[0] == '-') ||
           (n >= 1 && n <= CV_SSMIX2_DEPT_MAX && all_match(s, n, is_alnum));
}

static void copy_field(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Check one field of a name; `what` names it in the reason. */
static enum cv_err name_field(int i, const char *s, size_t n, struct cv_ssmix2_name *out)
{
    switch (i) {
    case 0:
        if (!valid_id(s, n))
            return cv_fail(CV_EPARSE, "file name: patient ID is not 1 to 15 letters or digits");
        copy_field(out->patient_id, sizeof(out->patient_id), s, n);
        return CV_OK;
    case 1:
        if (!valid_care_date(s, n))
            return cv_fail(CV_EPARSE, "file name: care date is not YYYYMMDD or -");
        copy_field(out->care_date, sizeof(out->care_date), s, n);
        return CV_OK;
    case 2:
        copy_field(out->data_type, sizeof(out->data_type), s, n);
        if (n >= sizeof(out->data_type) || !cv_ssmix2_type_find(out->data_type))
            return cv_fail(CV_EPARSE, "file name: unknown data type");
        return CV_OK;
    case 3:
        if (n < 1 || n > CV_SSMIX2_ORDER_MAX || !all_match(s, n, order_char))
            return cv_fail(CV_EPARSE, "file name: order number is not 1 to 15 letters or digits");
        copy_field(out->order_no, sizeof(out->order_no), s, n);
        return CV_OK;
    case 4:
        if (n < 14 || n > 17 || !all_match(s, n, is_digit) || !valid_yyyymmdd(s, 8))
            return cv_fail(CV_EPARSE, "file name: event time is not yyyyMMddHHmmssfff");
        copy_field(out->event_time, sizeof(out->event_time), s, n);
        return CV_OK;
    case 5:
        if (!valid_dept(s, n))
            return cv_fail(CV_EPARSE, "file name: department code is not 1 to 3 letters or "
                                      "digits or -");
        copy_field(out->dept, sizeof(out->dept), s, n);
        return CV_OK;
    default:
        if (n != 1 || s[0] < '0' || s[0] > '2')
            return cv_fail(CV_EPARSE, "file name: condition flag is not 0, 1 or 2");
        out->flag = s[0] - '0';
        return CV_OK;
    }
}

enum cv_err cv_ssmix2_name_parse(const char *name, struct cv_ssmix2_name *out)
{
    const char *parts[7];
    size_t lens[7], count = 0;
    const char *p = name;
    enum cv_err err = CV_OK;

    memset(out, 0, sizeof(*out));
    out->flag = -1;
    for (;;) {
        const char *us = strchr(p, '_');
        size_t n = us ? (size_t)(us - p) : strlen(p);

        if (count < 7) {
            parts[count] = p;
            lens[count] = n;
        }
        count++;
        if (!us)
            break;
        p = us + 1;
    }
    if (count != 7)
        return cv_fail(CV_EPARSE, "file name has %zu of 7 fields", count > 99 ? (size_t)99 : count);
    for (int i = 0; i < 7 && !err; i++)
        err = name_field(i, parts[i], lens[i], out);
    if (!err && strcmp(out->data_type, "-") != 0) {
        const struct cv_ssmix2_type *t = cv_ssmix2_type_find(out->data_type);

        if (t && t->dated != (strcmp(out->care_date, "-") != 0))
            err = cv_fail(CV_EPARSE,
                          t->dated ? "file name: %s needs a care date, not -"
                                   : "file name: %s is stored under -, not a date",
                          t->code);
    }
    return err;
}

enum cv_err cv_ssmix2_name_format(const struct cv_ssmix2_name *n, char *buf, size_t size)
{
    struct cv_ssmix2_name check;
    int len;

    if (size)
        buf[0] = '\0';
    len = snprintf(buf, size, "%s_%s_%s_%s_%s_%s_%d", n->patient_id, n->care_date, n->data_type,
                   n->order_no, n->event_time, n->dept, n->flag);
    if (len < 0 || (size_t)len >= size)
        return cv_fail(CV_EINVAL, "file name does not fit in %zu bytes", size);
    if (cv_ssmix2_name_parse(buf, &check)) {
        buf[0] = '\0';
        return cv_fail_prefix(CV_EINVAL, "cannot name the file: ");
    }
    return CV_OK;
}

enum cv_err cv_ssmix2_dir_format(const struct cv_ssmix2_name *n, char *buf, size_t size)
{
    size_t idlen = strlen(n->patient_id);
    int len;

    if (size)
        buf[0] = '\0';
    if (idlen < 6 || !valid_id(n->patient_id, idlen))
        return cv_fail(CV_EINVAL, "patient ID must be 6 to 15 letters or digits to be stored "
                                  "(pad it as the site does)");
    len = snprintf(buf, size, "%.3s/%.3s/%s/%s/%s", n->patient_id, n->patient_id + 3, n->patient_id,
                   n->care_date, n->data_type);
    if (len < 0 || (size_t)len >= size)
        return cv_fail(CV_EINVAL, "folder name does not fit in %zu bytes", size);
    return CV_OK;
}

/* Split a relative path at '/' into at most `max` parts; returns the count seen. */
static size_t split_path(const char *path, const char **parts, size_t *lens, size_t max)
{
    size_t count = 0;
    const char *p = path;

    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);

        if (count < max) {
            parts[count] = p;
            lens[count] = n;
        }
        count++;
        if (!slash)
            return count;
        p = slash + 1;
    }
}

/* Which of the folder levels the name disagrees with, as "patient ID, data type". */
static void mismatches(const struct cv_ssmix2_path *out, char *what, size_t n)
{
    what[0] = '\0';
    if (strcmp(out->name.patient_id, out->folder_id) != 0)
        snprintf(what + strlen(what), n - strlen(what), "patient ID");
    if (strcmp(out->name.care_date, out->folder_date) != 0)
        snprintf(what + strlen(what), n - strlen(what), "%scare date", *what ? ", " : "");
    if (strcmp(out->name.data_type, out->folder_type) != 0)
        snprintf(what + strlen(what), n - strlen(what), "%sdata type", *what ? ", " : "");
}

static enum cv_err check_folders(const char **parts, const size_t *lens, struct cv_ssmix2_path *out)
{
    if (!valid_id(parts[2], lens[2]))
        return cv_fail(CV_EPARSE, "patient folder name is not 1 to 15 letters or digits");
    copy_field(out->folder_id, sizeof(out->folder_id), parts[2], lens[2]);
    if (lens[2] >= 6 && (lens[0] != 3 || lens[1] != 3 || memcmp(parts[0], parts[2], 3) != 0 ||
                         memcmp(parts[1], parts[2] + 3, 3) != 0))
        return cv_fail(CV_EPARSE, "patient folder is not under <ID[0:3]>/<ID[3:6]>");
    if (!valid_care_date(parts[3], lens[3]))
        return cv_fail(CV_EPARSE, "care date folder is not YYYYMMDD or -");
    copy_field(out->folder_date, sizeof(out->folder_date), parts[3], lens[3]);
    copy_field(out->folder_type, sizeof(out->folder_type), parts[4], lens[4]);
    out->type = lens[4] < sizeof(out->folder_type) ? cv_ssmix2_type_find(out->folder_type) : NULL;
    if (!out->type)
        return cv_fail(CV_EPARSE, "data type folder is not an SS-MIX2 data type");
    return CV_OK;
}

enum cv_err cv_ssmix2_path_parse(const char *relpath, struct cv_ssmix2_path *out)
{
    const char *parts[6];
    size_t lens[6], count;
    char what[64];
    enum cv_err err;

    memset(out, 0, sizeof(*out));
    out->name.flag = -1;
    count = split_path(relpath, parts, lens, 6);
    if (count != 6)
        return cv_fail(CV_EPARSE,
                       "not in an SS-MIX2 folder (<ID[0:3]>/<ID[3:6]>/<ID>/<date>/"
                       "<type>/<file>): %zu levels deep",
                       count > 99 ? (size_t)99 : count);
    err = check_folders(parts, lens, out);
    if (err)
        return err;
    err = cv_ssmix2_name_parse(parts[5], &out->name);
    if (err)
        return err;
    mismatches(out, what, sizeof(what));
    if (*what)
        return cv_fail(CV_EPARSE, "file name does not match its folder (%s)", what);
    return CV_OK;
}
