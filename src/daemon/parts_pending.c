/*
 * parts_pending.c: TEMPORARY stand-ins for the parts that need the reader (index) and the vault
 * (repository), so that the run loop, status, resume and alerts build and run before those
 * land. Removed when pending/indexer.c, pending/mllp_store.c and protect.c come in.
 */
#include "daemon/daemon_parts.h"

#include <string.h>

struct cv_indexer {
    struct cv_indexer_stats stats;
};

enum cv_err cv_indexer_open(struct cv_indexer **out, const struct cv_config *cfg,
                            struct cv_alerter *alerts)
{
    (void)cfg;
    (void)alerts;
    *out = cv_calloc(1, sizeof(**out));
    return *out ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
}

enum cv_err cv_indexer_start(struct cv_indexer *ix)
{
    (void)ix;
    return CV_OK;
}

void cv_indexer_request_rescan(struct cv_indexer *ix)
{
    (void)ix;
}

void cv_indexer_request_resume(struct cv_indexer *ix)
{
    ix->stats.frozen = false;
}

void cv_indexer_stats(struct cv_indexer *ix, struct cv_indexer_stats *out)
{
    *out = ix->stats;
}

enum cv_err cv_indexer_add_mllp_files(struct cv_indexer *ix, const char *const *relpaths, size_t n)
{
    (void)ix;
    (void)relpaths;
    (void)n;
    return CV_OK;
}

enum cv_err cv_indexer_copy_db(struct cv_indexer *ix, const char *dest)
{
    (void)ix;
    return cv_file_write_atomic(dest, "", 0, 0600);
}

void cv_indexer_free(struct cv_indexer *ix)
{
    cv_free(ix);
}

struct cv_mllp_store {
    int unused;
};

enum cv_err cv_mllp_store_open(struct cv_mllp_store **out, const struct cv_config *cfg,
                               struct cv_indexer *ix)
{
    (void)cfg;
    (void)ix;
    *out = cv_calloc(1, sizeof(**out));
    return *out ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
}

void cv_mllp_store_handle(enum cv_mllp_frame_status status, const char *msg, size_t len,
                          size_t full_len, const char *peer, struct cv_ack_request *req,
                          struct cv_ack_reply *reply, void *arg)
{
    (void)status, (void)msg, (void)len, (void)full_len, (void)peer, (void)req, (void)arg;
    reply->code = CV_ACK_AR;
    reply->hl7_error = "207";
    cv_strlcpy(reply->text, "storage not built in yet", sizeof(reply->text));
}

void cv_mllp_store_free(struct cv_mllp_store *st)
{
    cv_free(st);
}

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
