/*
 * packs.c: the files. One PDF per ward (census, patient pages, wristband labels) and one
 * hospital-wide PDF (every ward's census, then the next of kin of every inpatient), each
 * written under a temporary name, synced and renamed into place. The daemon's refresh writes
 * a whole set into a new folder and switches the `current` symlink to it in one rename, so a
 * ward PC syncing `current/` never sees a mixture of two refreshes.
 */
#include "print_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_VALIDITY 3600
#define DEFAULT_KEEP     3
#define WARDS_MAX        1000

void cv_print_file_name(const char *ward, char *out, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    if (n == 0)
        return;
    out[0] = '\0';
    if (n < 16)
        return;
    o = (size_t)snprintf(out, n, "ward-");
    for (const unsigned char *p = (const unsigned char *)ward; *p && o + 8 < n; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-') {
            out[o++] = (char)*p;
        } else {
            out[o++] = '_';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    snprintf(out + o, n - o, ".pdf");
}

/* ---- the job: fonts, frame texts, dates ---------------------------------------------------- */

static void facility_from_source(const char *source, char *out, size_t n)
{
    const char *slash;
    size_t len = strlen(source);

    while (len > 1 && source[len - 1] == '/')
        len--;
    slash = memrchr(source, '/', len);
    slash = slash ? slash + 1 : source;
    snprintf(out, n, "%.*s", (int)(source + len - slash), slash);
}

static enum cv_err job_open(struct pr_job *job, struct cv_index *idx,
                            const struct cv_print_options *opt, char *facility, size_t nfac)
{
    struct cv_index_info info;
    long validity = opt->validity_seconds > 0 ? opt->validity_seconds : DEFAULT_VALIDITY;
    enum cv_err err;
    int y, m, dd;

    memset(job, 0, sizeof(*job));
    job->idx = idx;
    job->opt = opt;
    if (opt->recent_days < 0 || opt->recent_days > CV_RECENT_DAYS_MAX)
        return cv_fail(CV_EINVAL, "recent days %ld is not 1..%d", opt->recent_days,
                       CV_RECENT_DAYS_MAX);
    cv_facility_zone(); /* times below are the facility's (installs its zone if none was) */
    err = cv_index_info(idx, &info);
    if (err)
        return err;
    if (info.data_time_epoch <= 0)
        return cv_fail(CV_ENOENT, "the index has no completed run yet: no data time to print "
                                  "(run 'chartvault index' first)");
    cv_time_format_minutes((time_t)info.data_time_epoch, job->frame.as_of,
                           sizeof(job->frame.as_of));
    cv_time_format_minutes((time_t)(info.data_time_epoch + validity), job->frame.expires,
                           sizeof(job->frame.expires));
    cv_time_format_minutes(cv_now(), job->frame.printed, sizeof(job->frame.printed));
    if (opt->facility)
        snprintf(facility, nfac, "%s", opt->facility);
    else
        facility_from_source(info.source, facility, nfac);
    job->frame.facility = facility;
    if (opt->as_of_date) {
        if (cv_parse_date(opt->as_of_date, &job->today) != CV_OK)
            return cv_fail(CV_EINVAL, "bad date '%s' (want YYYY-MM-DD)", opt->as_of_date);
    } else {
        job->today = cv_today_days(); /* the one today: ages, current orders */
    }
    cv_days_to_ymd(job->today, &y, &m, &dd);
    snprintf(job->as_of_date, sizeof(job->as_of_date), "%04d-%02d-%02d", y, m, dd);
    return pr_fonts_open(opt->font_dir, &job->fonts);
}

static void job_close(struct pr_job *job)
{
    pr_fonts_close(&job->fonts);
}

/* ---- writing one PDF ------------------------------------------------------------------------ */

static enum cv_err write_doc(struct pr_doc *d, const char *dir, const char *name,
                             struct cv_print_stats *st)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    uint64_t bytes = 0;
    enum cv_err err;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
        (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-%ld", dir, name, (long)getpid()) >=
            sizeof(tmp))
        return cv_fail(CV_EINVAL, "path too long: '%s/%s'", dir, name);
    unlink(tmp); /* left by a crashed run of this pid */
    err = pr_doc_write_pdf(d, tmp, &bytes);
    if (!err && rename(tmp, path) != 0)
        err = cv_fail_errno(CV_EIO, "cannot rename '%s' to '%s'", tmp, path);
    if (err) {
        unlink(tmp);
        return err;
    }
    st->pages += (long)d->npages;
    st->bytes += bytes;
    return CV_OK;
}

static enum cv_err ward_pack(struct pr_job *job, const char *dir, const struct pr_ward *w,
                             struct cv_print_stats *st)
{
    struct pr_doc d;
    char name[4 * 256 + 16];
    enum cv_err err = CV_OK;

    if (strlen(w->name) > PR_WARD_NAME_MAX) /* its file name would pass NAME_MAX */
        return cv_fail(CV_ETOOBIG, "the ward name '%.40s...' is longer than %d bytes", w->name,
                       PR_WARD_NAME_MAX);
    pr_doc_init(&d, &job->fonts, &job->frame);
    pr_census(&d, job, w, true);
    for (size_t i = 0; i < w->n && !d.err; i++)
        pr_patient_pages(&d, job, w, &w->v[i]);
    pr_labels(&d, job, w);
    cv_print_file_name(w->name, name, sizeof(name));
    err = write_doc(&d, dir, name, st);
    if (!err) {
        st->wards++;
        st->patients += (long)w->n;
    }
    pr_doc_free(&d);
    return err;
}

/* ---- every ward --------------------------------------------------------------------------- */

struct ward_list {
    char **v;
    size_t n;
    enum cv_err err;
};

static void list_ward(const struct cv_ward *w, void *arg)
{
    struct ward_list *l = arg;
    char **v;

    if (l->err)
        return;
    if (l->n >= WARDS_MAX) {
        l->err = cv_fail(CV_ETOOBIG, "more than %d wards", WARDS_MAX);
        return;
    }
    v = cv_reallocarray(l->v, l->n + 1, sizeof(*v));
    if (!v || !(v[l->n] = cv_strdup(w->ward))) {
        if (v)
            l->v = v;
        l->err = cv_fail(CV_ENOMEM, "out of memory");
        return;
    }
    l->v = v;
    l->n++;
}

static void ward_list_free(struct ward_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        cv_free(l->v[i]);
    cv_free(l->v);
}

static enum cv_err hospital_pack(struct pr_job *job, const char *dir, const struct pr_ward *w,
                                 size_t n, struct cv_print_stats *st)
{
    struct pr_doc d;
    enum cv_err err;

    pr_doc_init(&d, &job->fonts, &job->frame);
    for (size_t i = 0; i < n && !d.err; i++)
        pr_census(&d, job, &w[i], i == 0);
    if (!n) {
        pr_doc_new_page(&d, "全病棟 入院患者一覧 all wards", NULL);
        pr_contacts_box(&d, job);
        pr_flow_text(&d, PR_F_BODY, "病棟なし", 0, 0);
    }
    pr_doc_new_page(&d, "緊急連絡先一覧 next-of-kin contacts of inpatients", NULL);
    for (size_t i = 0; i < n && !d.err; i++)
        pr_kin_list(&d, job, &w[i]);
    err = write_doc(&d, dir, "hospital.pdf", st);
    pr_doc_free(&d);
    return err;
}

/* Each ward's census rows and summaries, read once for its pack and the hospital's. */
static enum cv_err load_wards(struct pr_job *job, char *const *names, size_t n,
                              struct pr_ward **out, struct cv_print_stats *st)
{
    struct pr_ward *w = cv_calloc(n ? n : 1, sizeof(*w));
    uint64_t t0 = cv_monotonic_ms();
    enum cv_err err = CV_OK;

    *out = w;
    if (!w)
        return cv_fail(CV_ENOMEM, "out of memory");
    for (size_t i = 0; !err && i < n; i++)
        err = pr_ward_load(job->idx, names[i], job->as_of_date, (int)job->opt->recent_days, &w[i]);
    st->load_seconds += cv_seconds_since(t0);
    return err;
}

static void free_wards(struct pr_ward *w, size_t n)
{
    for (size_t i = 0; w && i < n; i++)
        pr_ward_free(&w[i]);
    cv_free(w);
}

enum cv_err cv_print_packs(struct cv_index *idx, const char *dir, const char *ward,
                           const struct cv_print_options *opt, struct cv_print_stats *stats)
{
    static const struct cv_print_options defaults;
    struct cv_print_stats local;
    struct cv_print_stats *st = stats ? stats : &local;
    struct ward_list l = {0};
    struct pr_ward *w = NULL;
    struct pr_job job;
    char facility[1024];
    uint64_t t0 = cv_monotonic_ms();
    bool began = false;
    enum cv_err err;

    memset(st, 0, sizeof(*st));
    if (!opt)
        opt = &defaults;
    err = cv_mkdir_p(dir, 0755);
    if (!err)
        err = job_open(&job, idx, opt, facility, sizeof(facility));
    if (err)
        return err;
    cv_strlcpy(st->as_of, job.frame.as_of, sizeof(st->as_of));
    cv_strlcpy(st->expires, job.frame.expires, sizeof(st->expires));
    cv_index_snapshot_begin(idx, &began); /* one state of the index for the whole set */
    err = cv_index_wards(idx, list_ward, &l);
    if (!err)
        err = l.err;
    if (!err && ward) { /* only this one */
        size_t i = 0;

        while (i < l.n && strcmp(l.v[i], ward) != 0)
            i++;
        if (i == l.n)
            err = cv_fail(CV_ENOENT, "no ward '%s' in the index", ward);
        for (size_t k = 0; k < l.n; k++)
            if (k != i)
                cv_free(l.v[k]);
        if (i < l.n) {
            l.v[0] = l.v[i];
            l.n = 1;
        } else {
            l.n = 0;
        }
    }
    if (!err)
        err = load_wards(&job, l.v, l.n, &w, st);
    for (size_t i = 0; !err && i < l.n; i++)
        err = ward_pack(&job, dir, &w[i], st);
    if (!err && !ward)
        err = hospital_pack(&job, dir, w, l.n, st);
    free_wards(w, l.n);
    if (!err)
        err = cv_fsync_dir(dir);
    cv_index_snapshot_end(idx, began);
    ward_list_free(&l);
    job_close(&job);
    st->seconds = cv_seconds_since(t0);
    return err;
}

/* ---- the daemon's refresh ------------------------------------------------------------------ */

static int newest_first(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

static enum cv_err remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *e;
    char p[PATH_MAX];

    if (!dir)
        return cv_fail_errno(CV_EIO, "cannot open '%s'", path);
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        unlink(p); /* packs folders hold files only */
    }
    closedir(dir);
    return rmdir(path) == 0 ? CV_OK : cv_fail_errno(CV_EIO, "cannot remove '%s'", path);
}

/* Remove all but the newest `keep` packs-* folders (never the one `current` points to). */
static void prune(const char *root, unsigned keep, const char *current)
{
    DIR *dir = opendir(root);
    struct dirent *e;
    char *names[256];
    size_t n = 0;

    if (!dir)
        return;
    while ((e = readdir(dir)) != NULL && n < CV_ARRAY_LEN(names))
        if (strncmp(e->d_name, "packs-", 6) == 0 && (names[n] = cv_strdup(e->d_name)) != NULL)
            n++;
    closedir(dir);
    qsort(names, n, sizeof(names[0]), newest_first);
    for (size_t i = 0; i < n; i++) {
        char p[PATH_MAX];

        if (i >= keep && strcmp(names[i], current) != 0) {
            snprintf(p, sizeof(p), "%s/%s", root, names[i]);
            if (remove_tree(p) != CV_OK)
                log_warn("packs: %s", cv_errmsg());
        }
        cv_free(names[i]);
    }
}

enum cv_err cv_print_refresh(struct cv_index *idx, const char *root, unsigned keep,
                             const struct cv_print_options *opt, struct cv_print_stats *stats)
{
    char name[80], dir[PATH_MAX], link[PATH_MAX], tmp[PATH_MAX], build[PATH_MAX];
    time_t now = cv_now();
    struct tm tm;
    enum cv_err err;

    localtime_r(&now, &tm);
    snprintf(name, sizeof(name), "packs-%04d%02d%02d-%02d%02d%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", root, name) >= sizeof(dir) ||
        (size_t)snprintf(link, sizeof(link), "%s/current", root) >= sizeof(link) ||
        (size_t)snprintf(tmp, sizeof(tmp), "%s/.current.tmp", root) >= sizeof(tmp) ||
        (size_t)snprintf(build, sizeof(build), "%s/.packs-building", root) >= sizeof(build))
        return cv_fail(CV_EINVAL, "path too long: '%s'", root);
    err = cv_mkdir_p(root, 0755);
    if (err)
        return err;
    /* made under a hidden name, renamed when whole: a packs-* folder is always complete */
    if (access(build, F_OK) == 0 && remove_tree(build) != CV_OK) /* left by a crash */
        return CV_EIO;
    for (int i = 2; access(dir, F_OK) == 0 && i < 100; i++) { /* two refreshes in a second */
        snprintf(name + 21, sizeof(name) - 21, "-%d", i);
        snprintf(dir, sizeof(dir), "%s/%s", root, name);
    }
    err = cv_print_packs(idx, build, NULL, opt, stats);
    if (!err && rename(build, dir) != 0)
        err = cv_fail_errno(CV_EIO, "cannot rename '%s' to '%s'", build, dir);
    if (err) {
        if (access(build, F_OK) == 0)
            remove_tree(build);
        return err;
    }
    unlink(tmp);
    if (symlink(name, tmp) != 0)
        return cv_fail_errno(CV_EIO, "cannot make the link '%s'", tmp);
    if (rename(tmp, link) != 0) {
        err = cv_fail_errno(CV_EIO, "cannot rename '%s' to '%s'", tmp, link);
        unlink(tmp);
        return err;
    }
    err = cv_fsync_dir(root);
    prune(root, keep ? keep : DEFAULT_KEEP, name);
    return err;
}
