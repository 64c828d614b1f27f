/*
 * forget.c: which snapshots a keep policy keeps, and removing the others' snapshot objects.
 * Snapshots are judged per host and source, newest first, as restic and borg do: "the last N",
 * "within D of the newest", and "the newest of each of the last N hours/days/weeks/months/
 * years that have one" (local time). The newest of a group is always kept: a backup running
 * now builds on it. Forgetting removes only the snapshot objects; the data goes with prune.
 */
#include <chartvault/retention.h>

#include "store_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum { B_HOUR, B_DAY, B_WEEK, B_MONTH, B_YEAR, NBUCKETS };
static const char *const bucket_names[NBUCKETS] = {"hourly", "daily", "weekly", "monthly",
                                                   "yearly"};
static const char *const bucket_formats[NBUCKETS] = {"%Y%m%d%H", "%Y%m%d", "%G%V", "%Y%m", "%Y"};

static bool has_tag(const struct cv_snapshot *s, const char *tag)
{
    for (size_t i = 0; i < s->ntags; i++)
        if (strcmp(s->tags[i], tag) == 0)
            return true;
    return false;
}

static bool same_group(const struct cv_snapshot *a, const struct cv_snapshot *b)
{
    return strcmp(a->hostname ? a->hostname : "", b->hostname ? b->hostname : "") == 0 &&
           strcmp(a->source ? a->source : "", b->source ? b->source : "") == 0;
}

static void add_why(char *why, const char *rule)
{
    size_t len = strlen(why);

    snprintf(why + len, CV_KEEP_WHY_MAX - len, "%s%s", len ? ", " : "", rule);
}

static void bucket_key(int64_t t, int which, char key[16])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (!localtime_r(&tt, &tm) || !strftime(key, 16, bucket_formats[which], &tm))
        snprintf(key, 16, "%lld", (long long)t);
}

/* Judge the group whose members are `idx[0..n)` (newest first). */
static void judge_group(const struct cv_snapshot *s, const size_t *idx, size_t n,
                        const struct cv_keep_policy *p, bool *keep, char (*why)[CV_KEEP_WHY_MAX])
{
    const unsigned limits[NBUCKETS] = {p->hourly, p->daily, p->weekly, p->monthly, p->yearly};
    char last[NBUCKETS][16] = {{0}};
    unsigned used[NBUCKETS] = {0};
    int64_t newest = s[idx[0]].time;

    for (size_t k = 0; k < n; k++) {
        size_t i = idx[k];
        char rule[48];

        if (k == 0)
            add_why(why[i], "newest");
        if (k < p->last) {
            snprintf(rule, sizeof(rule), "last %u", p->last);
            add_why(why[i], rule);
        }
        if (p->within > 0 && newest - s[i].time <= p->within)
            add_why(why[i], "within");
        for (int b = 0; b < NBUCKETS; b++) {
            char key[16];

            if (!limits[b])
                continue;
            bucket_key(s[i].time, b, key);
            if (strcmp(key, last[b]) == 0)
                continue; /* a newer one keeps this bucket */
            memcpy(last[b], key, sizeof(key));
            if (used[b]++ < limits[b])
                add_why(why[i], bucket_names[b]);
        }
        keep[i] = why[i][0] != '\0';
    }
}

void cv_forget_plan(const struct cv_snapshot *s, size_t n, const struct cv_keep_policy *p,
                    bool *keep, char (*why)[CV_KEEP_WHY_MAX])
{
    size_t *idx = cv_calloc(n ? n : 1, sizeof(*idx));
    bool *done = cv_calloc(n ? n : 1, sizeof(*done));

    for (size_t i = 0; i < n; i++) {
        keep[i] = true; /* until judged: out of scope (another tag) stays */
        why[i][0] = '\0';
    }
    for (size_t i = 0; i < n; i++)
        if (p->tag && !has_tag(&s[i], p->tag)) {
            done[i] = true;
            snprintf(why[i], CV_KEEP_WHY_MAX, "not tagged '%s'", p->tag);
        }
    for (size_t i = n; idx && done && i-- > 0;) { /* newest first: s is oldest first */
        size_t m = 0;

        if (done[i])
            continue;
        for (size_t k = i + 1; k-- > 0;)
            if (!done[k] && same_group(&s[k], &s[i])) {
                idx[m++] = k;
                done[k] = true;
            }
        judge_group(s, idx, m, p, keep, why);
    }
    if (!idx || !done) /* out of memory: forget nothing */
        for (size_t i = 0; i < n; i++)
            keep[i] = true;
    cv_free(idx);
    cv_free(done);
}

enum cv_err cv_forget(struct cv_repo *repo, struct cv_remover *rm, const struct cv_keep_policy *p,
                      bool dry_run, cv_forget_fn fn, void *arg, struct cv_forget_stats *st)
{
    struct cv_snapshot *all = NULL;
    char(*why)[CV_KEEP_WHY_MAX] = NULL;
    bool *keep = NULL;
    size_t n = 0;
    enum cv_err err;

    memset(st, 0, sizeof(*st));
    if (!p->within && !p->last && !p->hourly && !p->daily && !p->weekly && !p->monthly &&
        !p->yearly)
        return cv_fail(CV_EINVAL, "no keep rule given: nothing would be kept but the newest");
    err = cv_snapshots_list(repo, &all, &n);
    if (!err && cv_repo_warnings(repo))
        err = cv_fail(CV_ECORRUPT, "some snapshots or index objects cannot be read; run check "
                                   "first (forget judges every snapshot it cannot see)");
    if (!err && (!(keep = cv_calloc(n ? n : 1, sizeof(*keep))) ||
                 !(why = cv_calloc(n ? n : 1, sizeof(*why)))))
        err = cv_fail(CV_ENOMEM, "out of memory");
    if (!err)
        cv_forget_plan(all, n, p, keep, why);
    for (size_t i = 0; i < n && !err; i++) {
        enum cv_remove_result res = CV_REMOVE_ABSENT;

        if (keep[i]) {
            st->kept++;
        } else if (!dry_run) {
            err = rm->ops->remove(rm, CV_OBJ_SNAPSHOT, all[i].name, &res);
            if (!err && res == CV_REMOVE_LOCKED)
                st->locked++;
            else if (!err)
                st->forgotten++;
        } else if (rm->ops->probe) { /* would the storage keep it? */
            err = rm->ops->probe(rm, CV_OBJ_SNAPSHOT, all[i].name, &res);
            if (!err && res == CV_REMOVE_LOCKED)
                st->locked++;
            else if (!err)
                st->forgotten++;
            if (res != CV_REMOVE_LOCKED)
                res = CV_REMOVE_ABSENT;
        } else {
            st->forgotten++;
        }
        if (!err && fn)
            fn(arg, &all[i], keep[i], why[i], res);
    }
    if (!err && !dry_run)
        err = rm->ops->sync(rm);
    cv_free(keep);
    cv_free(why);
    cv_snapshots_free(all, n);
    return err;
}
