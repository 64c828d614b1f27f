/*
 * parts_pending.c: TEMPORARY stand-ins for the parts that need the vault (repository), so that
 * the run loop, status, resume and alerts build and run before it lands. Removed when
 * pending/protect.c comes in.
 */
#include "daemon/daemon_parts.h"

#include <string.h>

struct cv_protector {
    int unused;
};

enum cv_err cv_protector_new(struct cv_protector **out, const struct cv_config *cfg,
                             const struct cv_config_repo *r)
{
    (void)cfg, (void)r;
    *out = cv_calloc(1, sizeof(**out));
    return *out ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
}

void cv_protector_free(struct cv_protector *p)
{
    cv_free(p);
}

enum cv_err cv_protector_newest(struct cv_protector *p, struct cv_snap_info *out)
{
    (void)p;
    memset(out, 0, sizeof(*out));
    return cv_fail(CV_EUNSUPPORTED, "the vault is not built in yet");
}

enum cv_err cv_protector_snapshot(struct cv_protector *p, const char *index_copy, bool suspect,
                                  struct cv_snap_info *out)
{
    (void)p, (void)index_copy, (void)suspect;
    memset(out, 0, sizeof(*out));
    return cv_fail(CV_EUNSUPPORTED, "the vault is not built in yet");
}

enum cv_err cv_protector_drill(struct cv_protector *p, const char *scratch, long sample,
                               struct cv_drill_result *out)
{
    (void)p, (void)scratch, (void)sample;
    memset(out, 0, sizeof(*out));
    return cv_fail(CV_EUNSUPPORTED, "the vault is not built in yet");
}

enum cv_err cv_protector_check(struct cv_protector *p, bool *ok, char *detail, size_t n)
{
    (void)p;
    *ok = false;
    cv_strlcpy(detail, "", n);
    return cv_fail(CV_EUNSUPPORTED, "the vault is not built in yet");
}

enum cv_err cv_protect_reachable(const struct cv_config_repo *r)
{
    (void)r;
    return cv_fail(CV_EUNSUPPORTED, "the vault is not built in yet");
}

void cv_protect_repo_kind(const struct cv_config_repo *r, bool *offsite, bool *immutable)
{
    *offsite = strstr(r->path, "://") != NULL;
    *immutable = false;
}
