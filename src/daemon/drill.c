/*
 * drill.c: the record every restore drill leaves in the state's history (the daemon's hourly
 * sample drills, its periodic full drills, and `chartvault drill`), and one drill run now.
 */
#include <chartvault/daemon.h>

#include "daemon_parts.h"
#include <chartvault/state.h>

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void cv_drill_record(struct cv_state *s, const char *repo, bool full, long long started, long rto,
                     const struct cv_drill_result *res, enum cv_err err, const char *why,
                     struct cv_state_drill *h)
{
    memset(h, 0, sizeof(*h));
    h->time = started;
    cv_strlcpy(h->repo, repo, sizeof(h->repo));
    cv_strlcpy(h->kind, full ? "full" : "sample", sizeof(h->kind));
    cv_strlcpy(h->snap_id, res->snap_id, sizeof(h->snap_id));
    h->ok = !err && res->errors == 0;
    h->files = res->files;
    h->bytes = res->bytes;
    h->errors = err ? res->errors + 1 : res->errors;
    h->seconds = res->seconds;
    h->rto = full ? rto : 0;
    cv_strlcpy(h->detail, err ? why : res->detail, sizeof(h->detail));
    if (s)
        cv_state_drill_add(s, h);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

enum cv_err cv_daemon_drill(const struct cv_config *cfg, const struct cv_drill_opts *o)
{
    char scratch[4096];
    struct cv_state *s;
    size_t ran = 0;
    enum cv_err err;

    for (size_t i = 0; i < cfg->nrepos; i++)
        ran += !o->repo || strcmp(cfg->repos[i].name, o->repo) == 0;
    if (!ran)
        return cv_fail(CV_ENOENT, "no [repo %s] in the configuration", o->repo);
    /* apart from the running daemon's own scratch folder */
    if (cv_path_format(scratch, sizeof(scratch), "%s/drill-%ld", cfg->state_dir, (long)getpid()))
        return cv_fail(CV_EINVAL, "state folder path too long");
    err = cv_state_open(&s, cfg->state_dir, false);
    if (err)
        return err;
    for (size_t i = 0; i < cfg->nrepos; i++) {
        const struct cv_config_repo *r = &cfg->repos[i];
        struct cv_drill_result res = {0};
        struct cv_drill_report rep = {0};
        struct cv_protector *p = NULL;
        struct cv_state_drill h;
        long long started = cv_now();

        if (o->repo && strcmp(r->name, o->repo) != 0)
            continue;
        err = cv_protector_new(&p, cfg, r);
        if (!err) {
            cv_protector_set_cancel(p, o->progress, o->progress_arg);
            err = o->full ? cv_protector_drill_full(p, scratch, &res)
                          : cv_protector_drill(p, scratch, cfg->drill_sample, &res);
        }
        cv_drill_record(s, r->name, o->full, started, cfg->drill_rto, &res, err, cv_errmsg(), &h);
        cv_protector_free(p);
        cv_strlcpy(rep.repo, h.repo, sizeof(rep.repo));
        cv_strlcpy(rep.snap_id, h.snap_id, sizeof(rep.snap_id));
        cv_strlcpy(rep.detail, h.detail, sizeof(rep.detail));
        rep.full = o->full;
        rep.ran = !err;
        rep.ok = h.ok;
        rep.files = h.files;
        rep.bytes = h.bytes;
        rep.errors = h.errors;
        rep.seconds = h.seconds;
        rep.rto = cfg->drill_rto;
        rep.over_rto = o->full && h.seconds > (double)cfg->drill_rto;
        if (o->done)
            o->done(&rep, o->done_arg);
        if (err == CV_ECANCELED)
            break;
    }
    nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    cv_state_close(s);
    return CV_OK;
}
