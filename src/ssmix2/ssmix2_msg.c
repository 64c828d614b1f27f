/*
 * ssmix2_msg.c: what a message says about itself in SS-MIX2 terms (event, patient, order,
 * care date, department, the folder it belongs in), and whether that agrees with where a
 * file sits in the tree. The MLLP listener validates with it; the indexer checks files with it.
 */
#include <chartvault/ssmix2.h>

#include <stdio.h>
#include <string.h>

static void copy_text(char *dst, size_t cap, const char *s)
{
    cv_strlcpy(dst, s ? s : "", cap);
}

static bool id_like(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* "ORC-9" -> the first such segment's field, rep 1, comp 1, sub 1 as YYYYMMDD. */
static void read_care_date(struct cv_hl7_msg *m, const char *spec, char *out)
{
    char seg[4], date[11];
    int field;
    long s;

    out[0] = '\0';
    if (sscanf(spec, "%3[A-Z0-9]-%d", seg, &field) != 2)
        return;
    s = cv_hl7_find(m, seg, 0);
    if (s < 0 || !cv_hl7_ts_date(cv_hl7_text(m, s, field, 1, 1, 1), date, sizeof(date)))
        return;
    snprintf(out, 9, "%.4s%.2s%.2s", date, date + 5, date + 8);
}

/* MSH-7 as 17 digits: yyyyMMddHHmmss + milliseconds. */
static void read_message_time(struct cv_hl7_msg *m, char *out)
{
    const char *s = cv_hl7_text(m, 0, 7, 1, 1, 0);
    struct cv_hl7_ts t;
    const char *dot;
    char ms[4] = "000";

    out[0] = '\0';
    if (!s || cv_hl7_ts_parse(s, &t))
        return;
    dot = strchr(s, '.');
    for (int i = 0; dot && i < 3 && dot[1 + i] >= '0' && dot[1 + i] <= '9'; i++)
        ms[i] = dot[1 + i];
    snprintf(out, 18, "%04d%02d%02d%02d%02d%02d%s", t.year, t.month, t.day, t.hour, t.minute,
             t.second, ms);
}

static void read_pid3(struct cv_hl7_msg *m, struct cv_ssmix2_msginfo *out)
{
    long pid = cv_hl7_find(m, "PID", 0);
    struct cv_hl7_span field, rep;
    const char *first = NULL, *pi = NULL;

    if (pid < 0 || !cv_hl7_raw(m, pid, 3, 0, 0, 0, &field))
        return;
    for (int r = 0; r < 20 && cv_hl7_span_next(m, &field, cv_hl7_delimiters(m)[2], &rep); r++) {
        struct cv_hl7_span id = rep, type = rep, piece;
        const char *idtext;

        cv_hl7_span_next(m, &id, cv_hl7_delimiters(m)[1], &piece);
        idtext = cv_hl7_span_text(m, piece);
        for (int c = 0; c < 5; c++)
            cv_hl7_span_next(m, &type, cv_hl7_delimiters(m)[1], &piece);
        if (!idtext)
            continue;
        if (!first)
            first = idtext;
        if (!pi && piece.n == 2 && memcmp(piece.p, "PI", 2) == 0)
            pi = idtext;
    }
    copy_text(out->pid3, sizeof(out->pid3), pi ? pi : first);
}

static void read_order_and_dept(struct cv_hl7_msg *m, struct cv_ssmix2_msginfo *out)
{
    long orc = cv_hl7_find(m, "ORC", 0), obr = cv_hl7_find(m, "OBR", 0);
    long pv1 = cv_hl7_find(m, "PV1", 0);
    const char *order = orc >= 0 ? cv_hl7_text(m, orc, 2, 1, 1, 0) : NULL;
    const char *dept = orc >= 0 ? cv_hl7_text(m, orc, 17, 1, 1, 0) : NULL;

    if (!order && obr >= 0)
        order = cv_hl7_text(m, obr, 2, 1, 1, 0);
    if (order && !id_like(order, CV_SSMIX2_ORDER_MAX))
        out->problems |= CV_SSMIX2_P_ORDER;
    else
        copy_text(out->order_no, sizeof(out->order_no), order);
    if (!dept && pv1 >= 0)
        dept = cv_hl7_text(m, pv1, 10, 1, 1, 0);
    if (dept && id_like(dept, CV_SSMIX2_DEPT_MAX) && !strchr(dept, '.') && !strchr(dept, '-'))
        copy_text(out->dept, sizeof(out->dept), dept);
}

static const char *const problem_reasons[] = {
    "MSH-9 names no event that SS-MIX2 stores",
    "MSH-10 message control ID is empty",
    "MSH-7 message time is not a timestamp",
    "no PID segment or PID-3 patient ID is empty",
    "PID-3 patient ID is not 1 to 15 letters or digits",
    "ORC-2 order number is not 1 to 15 letters or digits",
    "the care date field is empty or not a date",
    "MSH-18 does not name the character set of the text (~ISO IR87 or UNICODE UTF-8)",
};

/* Does MSH-18 name what the text uses? Plain ASCII needs no name. */
static bool charset_named(struct cv_hl7_msg *m)
{
    const char *declared = cv_hl7_text(m, 0, 18, 0, 0, 0);
    char norm[64];
    size_t k = 0;

    for (const char *p = declared ? declared : ""; *p && k + 1 < sizeof(norm); p++)
        if (*p != ' ' && *p != '_' && *p != '~')
            norm[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    norm[k] = '\0';
    if (cv_hl7_charset(m) == CV_HL7_CHARSET_UTF8)
        return true; /* only MSH-18 makes the reader take UTF-8 */
    if (strstr(norm, "IR87") || strstr(norm, "2022"))
        return true;
    for (size_t i = 0; i < cv_hl7_warning_count(m); i++)
        if (strstr(cv_hl7_warning(m, i), "MSH-18"))
            return false;
    return true;
}

enum cv_err cv_ssmix2_msginfo_get(struct cv_hl7_msg *m, struct cv_ssmix2_msginfo *out)
{
    const char *type = cv_hl7_text(m, 0, 9, 1, 1, 0), *trig = cv_hl7_text(m, 0, 9, 1, 2, 0);

    memset(out, 0, sizeof(*out));
    out->charset = cv_hl7_charset(m);
    if (type && trig && strlen(type) <= 3 && strlen(trig) <= 3)
        snprintf(out->event, sizeof(out->event), "%s^%s", type, trig);
    copy_text(out->structure, sizeof(out->structure), cv_hl7_text(m, 0, 9, 1, 3, 0));
    copy_text(out->control_id, sizeof(out->control_id), cv_hl7_text(m, 0, 10, 1, 1, 0));
    copy_text(out->version, sizeof(out->version), cv_hl7_text(m, 0, 12, 1, 1, 0));
    read_message_time(m, out->message_time);
    read_pid3(m, out);
    read_order_and_dept(m, out);
    out->type = out->event[0] ? cv_ssmix2_type_for_message(m, out->event) : NULL;
    if (!out->type)
        out->problems |= CV_SSMIX2_P_EVENT;
    if (!out->control_id[0])
        out->problems |= CV_SSMIX2_P_CONTROL;
    if (!out->message_time[0])
        out->problems |= CV_SSMIX2_P_TIME;
    if (!out->pid3[0])
        out->problems |= CV_SSMIX2_P_PID;
    else if (!id_like(out->pid3, CV_SSMIX2_ID_MAX) || strchr(out->pid3, '.'))
        out->problems |= CV_SSMIX2_P_PID_LONG;
    else
        copy_text(out->patient_id, sizeof(out->patient_id), out->pid3);
    out->care_date_field = cv_ssmix2_care_date_field(out->event);
    if (out->care_date_field)
        read_care_date(m, out->care_date_field, out->care_date);
    if (out->type && out->type->dated && !out->care_date[0])
        out->problems |= CV_SSMIX2_P_CARE_DATE;
    if (!charset_named(m))
        out->problems |= CV_SSMIX2_P_CHARSET;
    for (size_t i = 0; i < CV_ARRAY_LEN(problem_reasons); i++)
        if (out->problems & (1u << i))
            return cv_fail(CV_EPARSE, "%s", problem_reasons[i]);
    return CV_OK;
}

static bool is_injection(struct cv_hl7_msg *m)
{
    static const char *const parenteral[] = {"IV", "IM", "SC", "SQ",  "IVP", "IA", "ID",
                                             "IT", "EP", "IO", "IVC", "IVE", "IVI"};
    long rxr = cv_hl7_find(m, "RXR", 0);
    const char *route;

    if (cv_hl7_find(m, "RXC", 0) >= 0)
        return true;
    route = rxr >= 0 ? cv_hl7_text(m, rxr, 1, 1, 1, 0) : NULL;
    for (size_t i = 0; route && i < CV_ARRAY_LEN(parenteral); i++)
        if (strcmp(route, parenteral[i]) == 0)
            return true;
    return false;
}

static const char *obr_code_system(struct cv_hl7_msg *m)
{
    long obr = cv_hl7_find(m, "OBR", 0);
    const char *sys = obr >= 0 ? cv_hl7_text(m, obr, 4, 1, 3, 0) : NULL;

    return sys ? sys : "";
}

const struct cv_ssmix2_type *cv_ssmix2_type_for_message(struct cv_hl7_msg *m, const char *event)
{
    const struct cv_ssmix2_type *t, *found = NULL;
    int matches = 0;

    for (size_t i = 0; (t = cv_ssmix2_type_at(i)) != NULL; i++)
        if (cv_ssmix2_type_accepts(t, event) && matches++ == 0)
            found = t;
    if (matches <= 1)
        return found;
    if (strcmp(event, "RDE^O11") == 0)
        return cv_ssmix2_type_find(is_injection(m) ? "OMP-02" : "OMP-01");
    if (strcmp(event, "RAS^O17") == 0)
        return cv_ssmix2_type_find(is_injection(m) ? "OMP-12" : "OMP-11");
    if (strcmp(event, "OMG^O19") == 0 || strcmp(event, "OMI^Z23") == 0) {
        const char *sys = obr_code_system(m);
        bool order = event[1] == 'M' && event[2] == 'G';

        if (strcmp(sys, "JJ1017") == 0)
            return cv_ssmix2_type_find(order ? "OMG-01" : "OMG-11");
        if (strcmp(sys, "LENDO") == 0)
            return cv_ssmix2_type_find(order ? "OMG-02" : "OMG-12");
        return cv_ssmix2_type_find(order ? "OMG-03" : "OMG-11");
    }
    if (strcmp(event, "ADT^A11") == 0) {
        long pv1 = cv_hl7_find(m, "PV1", 0);
        const char *cls = pv1 >= 0 ? cv_hl7_text(m, pv1, 2, 1, 1, 0) : NULL;

        return cv_ssmix2_type_find(cls && strcmp(cls, "O") == 0 ? "ADT-12" : "ADT-22");
    }
    return found;
}

static void add_warning(struct cv_buf *w, const char *text)
{
    if (!w)
        return;
    if (w->len)
        cv_buf_puts(w, "; ");
    cv_buf_puts(w, text);
}

enum cv_err cv_ssmix2_check_consistency(const struct cv_ssmix2_path *path,
                                        const struct cv_ssmix2_msginfo *info,
                                        struct cv_buf *warnings)
{
    char text[160];

    if (!info->event[0])
        return cv_fail(CV_EPARSE, "MSH-9 message type is empty");
    if (path->type && !cv_ssmix2_type_accepts(path->type, info->event))
        return cv_fail(CV_EPARSE, "MSH-9 %s does not belong in an %s folder", info->event,
                       path->type->code);
    if (info->care_date[0] && strcmp(path->folder_date, "-") != 0 &&
        strcmp(info->care_date, path->folder_date) != 0) {
        snprintf(text, sizeof(text), "care date in %s differs from the folder's",
                 info->care_date_field ? info->care_date_field : "the message");
        add_warning(warnings, text);
    }
    if (info->pid3[0] && strcmp(info->pid3, path->folder_id) != 0)
        add_warning(warnings, "PID-3 differs from the patient folder");
    if (path->name.flag == CV_SSMIX2_CURRENT && cv_ssmix2_type_is_cancel(path->type, info->event)) {
        snprintf(text, sizeof(text), "cancel message %s stored as current (_1)", info->event);
        add_warning(warnings, text);
    }
    return CV_OK;
}
