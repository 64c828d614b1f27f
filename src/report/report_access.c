/*
 * report_access.c: the access-log section from the viewer's audit log: the hash chain walked
 * whole (cv_audit_verify), then the records of the period counted per account: logins, failed
 * logins, lockouts, patient views and prints, views at night, and the accounts that looked at
 * unusually many distinct patients in one day. Patient IDs are only hashed and counted, never
 * written. Lines are read with a fixed buffer: a line too long or not a record is counted as
 * damaged and is a reason for action, as is a broken chain.
 */
#include "report_int.h"

#include <chartvault/web.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 16384
#define NIGHT_FROM     22 /* views from 22:00 to 06:00 (the record's local time) */
#define NIGHT_TO       6

struct user_stat {
    char name[CV_ACCOUNT_NAME_MAX + 1];
    long long logins, failed, lockouts, refused, views, night, patients, busy_days;
};

struct view_key {
    uint32_t user;
    int32_t day;
    uint64_t patient;
};

struct access {
    struct user_stat users[RS_MAX_USERS + 1]; /* the last one: every other name */
    size_t nusers;
    struct view_key *views;
    size_t nviews, capviews;
    bool views_cut;
    long long records, period, damaged, logins, failed, lockouts, refused, viewed, night;
};

static size_t user_slot(struct access *a, const char *name)
{
    char n[CV_ACCOUNT_NAME_MAX + 1];

    cv_strlcpy(n, name, sizeof(n));
    for (size_t i = 0; i < a->nusers; i++)
        if (strcmp(a->users[i].name, n) == 0)
            return i;
    if (a->nusers == RS_MAX_USERS) {
        cv_strlcpy(a->users[RS_MAX_USERS].name, "(other)", sizeof(a->users[0].name));
        return RS_MAX_USERS;
    }
    cv_strlcpy(a->users[a->nusers].name, n, sizeof(a->users[0].name));
    return a->nusers++;
}

static void last_login(struct rs_access_out *out, const struct cv_audit_record *rec)
{
    size_t i;

    for (i = 0; i < out->nlast; i++)
        if (strcmp(out->last[i].user, rec->user) == 0)
            break;
    if (i == out->nlast) {
        if (out->nlast == RS_MAX_USERS)
            return;
        cv_strlcpy(out->last[out->nlast++].user, rec->user, sizeof(out->last[0].user));
    }
    cv_strlcpy(out->last[i].time, rec->time, sizeof(out->last[0].time));
}

static void add_view(struct access *a, size_t user, const struct cv_audit_record *rec)
{
    char date[11];
    long day = 0;

    if (a->nviews == a->capviews) {
        size_t cap = a->capviews ? a->capviews * 2 : 4096;
        struct view_key *v;

        if (cap > CV_REPORT_MAX_AUDIT_RECORDS || !(v = cv_realloc(a->views, cap * sizeof(*v)))) {
            a->views_cut = true;
            return;
        }
        a->views = v;
        a->capviews = cap;
    }
    cv_strlcpy(date, rec->time, sizeof(date));
    if (cv_parse_date(date, &day) != CV_OK)
        day = 0;
    a->views[a->nviews++] =
        (struct view_key){(uint32_t)user, (int32_t)day, cv_fnv1a_str(rec->patient)};
}

static void count(struct access *a, const struct cv_report *r, const struct cv_audit_record *rec,
                  struct rs_access_out *out)
{
    bool login = rec->event && strcmp(rec->event, "login") == 0;
    const char *res = rec->result ? rec->result : "";
    struct user_stat *u;
    int hour;

    if (login && strcmp(res, "ok") == 0 && rec->user)
        last_login(out, rec);
    if (!rec->time || strlen(rec->time) < 13 || strncmp(rec->time, r->since, 10) < 0)
        return;
    a->period++;
    if (!rec->user || !*rec->user) /* `chartvault user` on the host, no account */
        return;
    u = &a->users[user_slot(a, rec->user)];
    if (login) {
        if (strcmp(res, "ok") == 0)
            a->logins++, u->logins++;
        else if (strcmp(res, "fail") == 0 || strcmp(res, "totp-fail") == 0)
            a->failed++, u->failed++;
        else if (strcmp(res, "locked-now") == 0)
            a->lockouts++, u->lockouts++, a->failed++, u->failed++;
        else if (strcmp(res, "locked") == 0)
            a->refused++, u->refused++;
        return;
    }
    if (!rec->event || (strcmp(rec->event, "view") != 0 && strcmp(rec->event, "print") != 0) ||
        strcmp(res, "ok") != 0 || !rec->patient)
        return;
    a->viewed++, u->views++;
    hour = (rec->time[11] - '0') * 10 + (rec->time[12] - '0');
    if (hour >= NIGHT_FROM || hour < NIGHT_TO)
        a->night++, u->night++;
    add_view(a, (size_t)(u - a->users), rec);
}

static int view_cmp(const void *x, const void *y)
{
    const struct view_key *a = x, *b = y;

    if (a->user != b->user)
        return a->user < b->user ? -1 : 1;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return a->patient < b->patient ? -1 : a->patient > b->patient;
}

/* Distinct patients per account over the period, and days over CV_REPORT_MANY_PATIENTS. */
static void distinct(struct access *a)
{
    size_t i = 0;

    if (a->nviews)
        qsort(a->views, a->nviews, sizeof(*a->views), view_cmp);
    while (i < a->nviews) {
        size_t j = i, per_day = 0;

        while (j < a->nviews && a->views[j].user == a->views[i].user &&
               a->views[j].day == a->views[i].day) {
            if (j == i || a->views[j].patient != a->views[j - 1].patient)
                per_day++;
            j++;
        }
        a->users[a->views[i].user].patients += (long long)per_day;
        a->users[a->views[i].user].busy_days += per_day > CV_REPORT_MANY_PATIENTS;
        i = j;
    }
}

static enum cv_err read_log(struct access *a, const struct cv_report *r, const char *state,
                            struct rs_access_out *out)
{
    static struct cv_audit_record rec;
    char path[4096];
    char *line = cv_malloc(LINE_MAX_BYTES);
    FILE *f;

    if (!line)
        return cv_fail(CV_ENOMEM, "out of memory");
    if (cv_path_join(path, sizeof(path), state, "audit.log") != CV_OK || !(f = fopen(path, "r"))) {
        cv_free(line);
        return cv_fail_errno(CV_EIO, "cannot open the audit log in '%s'", state);
    }
    while (fgets(line, LINE_MAX_BYTES, f)) {
        size_t n = strlen(line);

        if (n && line[n - 1] == '\n') {
            line[--n] = '\0';
        } else if (!feof(f)) { /* too long: skip to its end */
            int c;

            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            a->damaged++;
            continue;
        }
        a->records++;
        if (cv_audit_record_parse(line, n, &rec) != CV_OK) {
            a->damaged++;
            continue;
        }
        count(a, r, &rec, out);
    }
    fclose(f);
    cv_free(line);
    return CV_OK;
}

static void write_users(const struct cv_report *r, const struct access *a,
                        struct cv_report_section *s)
{
    char fig[64];

    rs_sub(s, RL(r, "アカウント別（期間内）", "per account (in the period)"));
    for (size_t i = 0; i <= RS_MAX_USERS; i++) {
        const struct user_stat *u = &a->users[i];

        if (i == a->nusers && i < RS_MAX_USERS)
            i = RS_MAX_USERS; /* the catch-all, if anything fell there */
        if (!u->name[0])
            continue;
        rs_line(s,
                RL(r,
                   "%s: ログイン %lld、失敗 %lld、ロックアウト %lld、患者閲覧 %lld（異なる患者 "
                   "延べ%lld、夜間 %lld）",
                   "%s: logins %lld, failed %lld, lockouts %lld, patient views %lld (distinct "
                   "patients per day, summed %lld; at night %lld)"),
                u->name, u->logins, u->failed, u->lockouts, u->views, u->patients, u->night);
        snprintf(fig, sizeof(fig), "logins.%s", u->name);
        rs_figure(s, fig, u->logins);
        snprintf(fig, sizeof(fig), "views.%s", u->name);
        rs_figure(s, fig, u->views);
        if (u->busy_days)
            rs_action(s,
                      RL(r, "%s: 1日に%d人を超える患者を閲覧した日が%lld日（内容の確認が必要）",
                         "%s: viewed more than %d distinct patients in one day on %lld days "
                         "(to be reviewed)"),
                      u->name, CV_REPORT_MANY_PATIENTS, u->busy_days);
    }
}

void rs_access(const struct cv_report *r, const struct cv_report_options *o,
               struct cv_report_section *s, struct rs_access_out *out)
{
    struct cv_audit_verify v;
    struct access *a;

    if (!o->viewer_state) {
        rs_action(s, "%s",
                  RL(r,
                     "閲覧システムの状態フォルダが指定されていないため、監査ログを確認していません"
                     "（--viewer-state）",
                     "the viewer's state folder was not given, so the audit log was not "
                     "checked (--viewer-state)"));
        return;
    }
    if (cv_audit_verify(o->viewer_state, &v) != CV_OK) {
        rs_action(s, RL(r, "監査ログを読めません: %s", "the audit log cannot be read: %s"),
                  cv_errmsg());
        return;
    }
    if (v.first_bad_line)
        rs_action(s,
                  RL(r, "監査ログの改ざんまたは破損: %llu行目: %s（それ以前の%llu件は完全）",
                     "the audit log is tampered with or damaged: line %llu: %s (%llu records "
                     "intact before it)"),
                  (unsigned long long)v.first_bad_line, v.reason, (unsigned long long)v.records);
    else
        rs_line(s,
                RL(r, "監査ログのハッシュチェーン: 検証済み（%llu件、改ざんなし）",
                   "audit log hash chain: verified (%llu records, intact)"),
                (unsigned long long)v.records);
    rs_figure(s, "chain_ok", v.first_bad_line == 0);
    a = cv_calloc(1, sizeof(*a));
    if (!a) {
        rs_action(s, "%s", "out of memory");
        return;
    }
    if (read_log(a, r, o->viewer_state, out) != CV_OK) {
        rs_action(s, RL(r, "監査ログを読めません: %s", "the audit log cannot be read: %s"),
                  cv_errmsg());
        goto out_free;
    }
    distinct(a);
    if (a->damaged)
        rs_action(s, RL(r, "読めない記録が%lld件", "%lld records could not be read"), a->damaged);
    if (a->views_cut)
        rs_action(s,
                  RL(r, "閲覧記録が多すぎるため、%zu件までしか患者数を数えていません",
                     "too many views: distinct patients were counted over the first %zu only"),
                  a->nviews);
    rs_line(s,
            RL(r,
               "期間 %s 以降: 記録 %lld件、ログイン %lld、ログイン失敗 %lld、ロックアウト "
               "%lld（ロック中の拒否 %lld）、患者閲覧 %lld（うち夜間 %d時〜%d時 %lld）",
               "since %s: %lld records, %lld logins, %lld failed logins, %lld lockouts (%lld "
               "refused while locked), %lld patient views (%d:00-%d:00: %lld)"),
            r->since, a->period, a->logins, a->failed, a->lockouts, a->refused, a->viewed,
            NIGHT_FROM, NIGHT_TO, a->night);
    write_users(r, a, s);
    rs_figure(s, "records", a->records);
    rs_figure(s, "records_period", a->period);
    rs_figure(s, "logins", a->logins);
    rs_figure(s, "failed_logins", a->failed);
    rs_figure(s, "lockouts", a->lockouts);
    rs_figure(s, "views", a->viewed);
    rs_figure(s, "night_views", a->night);
    rs_figure(s, "damaged", a->damaged);
out_free:
    cv_free(a->views);
    cv_free(a);
}
