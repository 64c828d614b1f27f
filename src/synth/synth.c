/*
 * synth.c: `cv_synth_run`, the whole generation: check the options and the output folder,
 * make the people and the hospital, then plan, write and sum up each patient in ID order,
 * and finish the tree (folder times, optional sync) and the manifest. A failure stops the
 * run with a message that names the problem and says the tree is incomplete.
 */
#include "synth_internal.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MSG_BUFFER (256 * 1024)

void cv_synth_options_default(struct cv_synth_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->seed = 1;
    opt->years = 2;
    if (cv_parse_date(CV_SYNTH_DEFAULT_END, &opt->end_date) != CV_OK)
        opt->end_date = 0; /* a constant that always parses; check_options refuses 0 */
    opt->sync = true;
}

static enum cv_err check_options(const struct cv_synth_options *opt)
{
    const char *f = opt->facility ? opt->facility : CV_SYNTH_DEFAULT_FAC;
    size_t n = strlen(f);

    if (!opt->out_dir || !*opt->out_dir)
        return cv_fail(CV_EINVAL, "no output folder given");
    if (opt->patients < 1 || opt->patients > CV_SYNTH_MAX_PATIENTS)
        return cv_fail(CV_EINVAL, "patients must be 1 to %ld, not %ld", CV_SYNTH_MAX_PATIENTS,
                       opt->patients);
    if (opt->seed > 9007199254740991ULL) /* 2^53 - 1: exact in every JSON reader */
        return cv_fail(CV_EINVAL, "seed must be at most 9007199254740991");
    if (opt->years < 1 || opt->years > CV_SYNTH_MAX_YEARS)
        return cv_fail(CV_EINVAL, "years must be 1 to %d, not %d", CV_SYNTH_MAX_YEARS, opt->years);
    if (opt->end_date < cv_ymd_to_days(2000, 1, 1) || opt->end_date > cv_ymd_to_days(2099, 12, 31))
        return cv_fail(CV_EINVAL, "the end date must be in 2000-2099");
    if (n < 1 || n > 20)
        return cv_fail(CV_EINVAL, "facility ID '%s' must be 1 to 20 letters or digits", f);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)f[i]) || (unsigned char)f[i] >= 0x80)
            return cv_fail(CV_EINVAL, "facility ID '%s' must be letters or digits only", f);
    return CV_OK;
}

/* The output folder must be new or empty, so that nothing of the user's is mixed in. */
static enum cv_err prepare_out(const char *out, bool *created)
{
    struct stat st;

    *created = false;
    if (stat(out, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return cv_fail(CV_EEXIST, "'%s' exists and is not a folder", out);
        if (cv_dir_nonempty(out))
            return cv_fail(CV_EEXIST, "output folder '%s' is not empty", out);
        if (access(out, W_OK) != 0)
            return cv_fail_errno(CV_EPERM, "cannot write in '%s'", out);
        return CV_OK;
    }
    if (errno != ENOENT)
        return cv_fail_errno(CV_EIO, "cannot use '%s'", out);
    *created = true;
    return cv_mkdir_p(out, 0755);
}

/* The manifest replaces a regular file at most (never /dev/null or a folder), and is not
 * inside the storage, where it would be a stray non-HL7 file. */
static enum cv_err check_manifest_path(const char *out, const char *manifest)
{
    char rout[PATH_MAX], rdir[PATH_MAX], copy[PATH_MAX];
    struct stat st;
    size_t n;

    if (!manifest)
        return CV_OK;
    if (lstat(manifest, &st) == 0 && !S_ISREG(st.st_mode))
        return cv_fail(CV_EEXIST, "manifest '%s' exists and is not a regular file", manifest);
    if (cv_strlcpy(copy, manifest, sizeof(copy)) >= sizeof(copy))
        return cv_fail(CV_EINVAL, "manifest path too long");
    if (!realpath(out, rout))
        return cv_fail_errno(CV_EIO, "cannot resolve '%s'", out);
    if (!realpath(dirname(copy), rdir))
        return cv_fail_errno(CV_EIO, "cannot use manifest '%s'", manifest);
    n = strlen(rout);
    if (strncmp(rdir, rout, n) == 0 && (rdir[n] == '\0' || rdir[n] == '/'))
        return cv_fail(CV_EINVAL, "manifest '%s' must not be inside the output folder", manifest);
    return CV_OK;
}

static void window(struct synth *s, const struct cv_synth_options *opt)
{
    int y, m, d;

    cv_days_to_ymd(opt->end_date, &y, &m, &d);
    if (m == 2 && d == 29)
        d = 28;
    s->end_day = (int32_t)opt->end_date;
    s->start_day = (int32_t)cv_ymd_to_days(y - opt->years, m, d) + 1;
    s->end_min = (int64_t)s->end_day * MIN_PER_DAY + MIN_PER_DAY - 1;
}

struct run {
    struct synth s;
    struct tree *tree;
    struct manifest *manifest;
    struct patient p;
    struct out o;
};

static enum cv_err generate(struct run *r, const struct cv_synth_options *opt)
{
    struct cv_progress prog = {"synthesizing", 0, r->s.npatients, 0};
    enum cv_err err;

    for (size_t i = 0; i < r->s.npatients; i++) {
        if ((err = sy_care_plan(&r->s, &r->p, (uint32_t)i)) ||
            (err = sy_tree_write_patient(r->tree, &r->s, &r->p, &r->o)))
            return err;
        if (r->manifest && (err = sy_manifest_patient(r->manifest, &r->s, &r->p)))
            return err;
        prog.done = i + 1;
        prog.bytes = r->s.bytes;
        if (opt->progress && !opt->progress(&prog, opt->progress_arg))
            return cv_fail(CV_ECANCELED, "stopped");
    }
    if ((err = sy_tree_finish(r->tree, opt->sync)))
        return err;
    return r->manifest ? sy_manifest_finish(r->manifest, &r->s) : CV_OK;
}

static void run_free(struct run *r)
{
    sy_tree_close(r->tree);
    sy_manifest_free(r->manifest);
    sy_patient_free(&r->p);
    sy_hospital_free(&r->s.h);
    cv_free(r->s.people);
    cv_free(r->s.ids);
    cv_free(r->s.bed_patient);
    cv_free(r->o.p);
    sy_jcache_free(r->o.cache);
}

enum cv_err cv_synth_run(const struct cv_synth_options *opt, struct cv_synth_stats *stats)
{
    uint64_t t0 = cv_monotonic_ms();
    struct run r;
    enum cv_err err;
    bool created;

    memset(&r, 0, sizeof(r));
    if (stats)
        memset(stats, 0, sizeof(*stats));
    if ((err = check_options(opt)) || (err = sy_jis_init()) ||
        (err = prepare_out(opt->out_dir, &created)))
        return err;
    if ((err = check_manifest_path(opt->out_dir, opt->manifest_path))) {
        if (created)
            rmdir(opt->out_dir); /* refused: leave nothing behind */
        return err;
    }
    r.s.opt = opt;
    snprintf(r.s.facility, sizeof(r.s.facility), "%s",
             opt->facility ? opt->facility : CV_SYNTH_DEFAULT_FAC);
    r.s.npatients = (size_t)opt->patients;
    window(&r.s, opt);
    r.o.p = cv_malloc(MSG_BUFFER);
    r.o.cap = MSG_BUFFER;
    if (!r.o.p || sy_jcache_new(&r.o.cache)) {
        err = cv_fail(CV_ENOMEM, "out of memory");
        goto out_free;
    }
    if ((err = sy_people_make(&r.s)) || (err = sy_hospital_make(&r.s)) ||
        (err = sy_tree_open(opt->out_dir, &r.tree)))
        goto out_free;
    if (opt->manifest_path && (err = sy_manifest_open(&r.s, opt->manifest_path, &r.manifest)))
        goto out_free;
    if ((err = generate(&r, opt)))
        goto out_free;
    if (stats) {
        stats->files = r.s.files;
        stats->bytes = r.s.bytes;
        stats->patients = r.s.npatients;
        stats->seconds = cv_seconds_since(t0);
    }
out_free:
    if (err)
        cv_fail_prefix(err, "stopped after %llu files, '%s' is incomplete: ",
                       (unsigned long long)r.s.files, opt->out_dir);
    run_free(&r);
    return err;
}
