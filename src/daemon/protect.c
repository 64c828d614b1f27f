/*
 * protect.c: the daemon's use of the vault. Each configured repository gets snapshots of the
 * source tree and of the MLLP storage (each carrying a copy of the index), tagged
 * "chartvault-run" plus "source"/"mllp" and, while frozen, "suspect". A round is as fresh as the
 * older of its two snapshots. Drills restore a random sample of the newest round (reservoir
 * sampling while walking the snapshot, so memory stays flat on a million files), let the vault
 * verify every object it reads, compare the bytes with the live files that have not changed
 * since, parse them as HL7, and open the snapshot's index.
 */
#include "daemon/daemon_parts.h"

#include <chartvault/backend.h>
#include <chartvault/hl7.h>
#include <chartvault/store.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define TAG_RUN     "chartvault-run"
#define TAG_SUSPECT "suspect"
#define PASS_MAX    1024

enum { ROOT_SOURCE, ROOT_MLLP, NROOTS };
static const char *const root_tags[NROOTS] = {"source", "mllp"};

struct cv_protector {
    const struct cv_config *cfg;
    const struct cv_config_repo *r;
    const char *roots[NROOTS];
    char real[NROOTS][PATH_MAX];                 /* as snapshots record them */
    char *pass;                                  /* sodium_malloc'd */
    struct cv_repo *repo;                        /* NULL until opened, and after a failure */
    char last[NROOTS][CV_SNAPSHOT_NAME_LEN + 1]; /* the snapshot made last of each tree, or "" */
    cv_progress_fn go_on;
    void *go_on_arg;
};

void cv_protector_set_cancel(struct cv_protector *p, cv_progress_fn fn, void *arg)
{
    p->go_on = fn;
    p->go_on_arg = arg;
}

/* ---- opening ----------------------------------------------------------------------------------
 */

static enum cv_err read_passphrase(const char *path, char **out)
{
    struct cv_buf b = CV_BUF_INIT(PASS_MAX);
    enum cv_err err = cv_file_check_private(path);
    size_t n;

    *out = NULL;
    if (!err)
        err = cv_buf_read_file(&b, path);
    if (!err) {
        n = strcspn(b.data ? b.data : "", "\r\n");
        if (n == 0)
            err = cv_fail(CV_EINVAL, "password file '%s' is empty", path);
        else if (!(*out = sodium_malloc(n + 1)))
            err = cv_fail(CV_ENOMEM, "out of memory");
        else
            memcpy(*out, b.data, n), (*out)[n] = '\0';
    }
    if (b.data)
        sodium_memzero(b.data, b.cap);
    cv_buf_free(&b);
    return err;
}

enum cv_err cv_protector_new(struct cv_protector **out, const struct cv_config *cfg,
                             const struct cv_config_repo *r)
{
    struct cv_protector *p = cv_calloc(1, sizeof(*p));
    enum cv_err err;

    *out = NULL;
    if (!p)
        return cv_fail(CV_ENOMEM, "out of memory");
    if (sodium_init() < 0) {
        cv_free(p);
        return cv_fail(CV_ECRYPTO, "cannot initialise libsodium");
    }
    p->cfg = cfg;
    p->r = r;
    p->roots[ROOT_SOURCE] = cfg->source_path;
    p->roots[ROOT_MLLP] = cfg->mllp_storage;
    for (int i = 0; i < NROOTS; i++)
        if (p->roots[i] && !realpath(p->roots[i], p->real[i]))
            cv_strlcpy(p->real[i], p->roots[i], sizeof(p->real[i]));
    err = read_passphrase(r->password_file, &p->pass);
    if (err) {
        cv_fail_prefix(err, "[repo %s]: ", r->name);
        cv_protector_free(p);
        return err;
    }
    *out = p;
    return CV_OK;
}

void cv_protector_free(struct cv_protector *p)
{
    if (!p)
        return;
    cv_repo_close(p->repo);
    sodium_free(p->pass);
    cv_free(p);
}

void cv_protect_backend_opts(const struct cv_config_repo *r, struct cv_backend_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->credentials_file = r->credentials;
    o->ca_file = r->ca_file;
    o->retention = r->retention;
}

static enum cv_err ensure_open(struct cv_protector *p)
{
    struct cv_backend_opts o;

    if (p->repo)
        return CV_OK;
    cv_protect_backend_opts(p->r, &o);
    return cv_repo_open_with(p->r->path, p->pass, &o, &p->repo);
}

/* After a failure the repository is opened afresh next time (it may have vanished and come
 * back, or another process may have added to it). */
static enum cv_err failed(struct cv_protector *p, enum cv_err err)
{
    cv_repo_close(p->repo);
    p->repo = NULL;
    memset(p->last, 0, sizeof(p->last)); /* the next snapshots walk: nothing is assumed */
    return err;
}

enum cv_err cv_protect_reachable(const struct cv_config_repo *r)
{
    struct cv_backend_opts o;
    struct cv_backend *be;
    enum cv_err err;

    cv_protect_backend_opts(r, &o);
    err = cv_backend_open(r->path, &o, &be);
    if (!err)
        cv_backend_close(be);
    return err;
}

void cv_protect_repo_kind(const struct cv_config_repo *r, bool *offsite, bool *immutable)
{
    /* An object store is another building by nature; only S3 can lock (and whether a given
     * repository does is proved by reading its locks back, not by its kind). */
    *offsite = cv_backend_is_s3(r->path) || strstr(r->path, "://") != NULL;
    *immutable = cv_backend_is_s3(r->path);
}

enum cv_err cv_protector_lock(struct cv_protector *p, const struct cv_snap_info *info,
                              struct cv_lock_info *out)
{
    struct cv_backend *be;
    enum cv_err err = ensure_open(p);

    memset(out, 0, sizeof(*out));
    if (err)
        return failed(p, err);
    be = cv_repo_backend(p->repo);
    if (!be->ops->lock_read)
        return cv_fail(CV_EUNSUPPORTED, "[repo %s] cannot lock objects", p->r->name);
    /* the config and every snapshot of the newest round: the weakest lock is the answer */
    err = be->ops->lock_read(be, CV_OBJ_CONFIG, NULL, out);
    for (int i = 0; !err && i < NROOTS; i++) {
        struct cv_lock_info li;

        if (!info->names[i][0])
            continue;
        err = be->ops->lock_read(be, CV_OBJ_SNAPSHOT, info->names[i], &li);
        if (!err && (!li.locked || li.until < out->until))
            *out = li;
    }
    if (err)
        return failed(p, err);
    return CV_OK;
}

enum cv_err cv_protector_extend_locks(struct cv_protector *p, uint64_t *extended)
{
    struct cv_backend *be;
    enum cv_err err = ensure_open(p);

    *extended = 0;
    if (err)
        return failed(p, err);
    be = cv_repo_backend(p->repo);
    if (be->ops->lock_extend && (err = be->ops->lock_extend(be, extended)) != CV_OK)
        return failed(p, err);
    return CV_OK;
}

enum cv_err cv_protector_copy_from(struct cv_protector *p, const struct cv_config_repo *src,
                                   struct cv_copy_stats *st)
{
    struct cv_backend_opts so, to;
    struct cv_backend *from = NULL, *dst = NULL;
    struct cv_copy_opts co = {.progress = p->go_on, .progress_arg = p->go_on_arg};
    enum cv_err err;

    memset(st, 0, sizeof(*st));
    cv_protect_backend_opts(src, &so);
    cv_protect_backend_opts(p->r, &to);
    err = cv_backend_open(src->path, &so, &from);
    if (!err && (err = cv_backend_open(p->r->path, &to, &dst)) == CV_ENOENT) {
        to.create = to.resume = true; /* the first copy makes the replica */
        err = cv_backend_open(p->r->path, &to, &dst);
    }
    if (!err)
        err = cv_copy(from, dst, &co, st);
    cv_backend_close(from);
    cv_backend_close(dst);
    if (err)
        cv_fail_prefix(err, "[repo %s] copy from [repo %s]: ", p->r->name, src->name);
    return failed(p, err); /* reopen afterwards: the repository gained snapshots */
}

/* ---- newest round ---------------------------------------------------------------------------- */

static bool has_tag(const struct cv_snapshot *s, const char *tag)
{
    for (size_t i = 0; i < s->ntags; i++)
        if (strcmp(s->tags[i], tag) == 0)
            return true;
    return false;
}

static int root_of(const struct cv_protector *p, const struct cv_snapshot *s)
{
    if (!has_tag(s, TAG_RUN))
        return -1;
    for (int i = 0; i < NROOTS; i++)
        if (p->roots[i] && has_tag(s, root_tags[i]) &&
            (strcmp(s->source, p->real[i]) == 0 || strcmp(s->source, p->roots[i]) == 0))
            return i;
    return -1;
}

struct size_ctx {
    struct cv_backend *be;
    enum cv_obj_kind kind;
    long long total;
};

/* list() callback: add one object's size. */
static enum cv_err add_size(const char *name, void *arg)
{
    struct size_ctx *ctx = arg;
    uint64_t size;

    if (ctx->be->ops->size(ctx->be, ctx->kind, name, &size) == CV_OK)
        ctx->total += (long long)size;
    return CV_OK;
}

/* The repository's size: every key, snapshot, index and pack object. */
static long long repo_bytes(const struct cv_config_repo *r)
{
    struct size_ctx ctx = {0};
    struct cv_backend_opts o;

    cv_protect_backend_opts(r, &o);
    if (cv_backend_open(r->path, &o, &ctx.be) != CV_OK)
        return 0;
    for (int k = CV_OBJ_KEY; k <= CV_OBJ_PACK; k++) {
        ctx.kind = (enum cv_obj_kind)k;
        ctx.be->ops->list(ctx.be, ctx.kind, add_size, &ctx, NULL);
    }
    cv_backend_close(ctx.be);
    return ctx.total;
}

/* The newest snapshot of each configured root; `found` says which exist. */
static enum cv_err newest_per_root(struct cv_protector *p, struct cv_snapshot *list, size_t n,
                                   const struct cv_snapshot *newest[NROOTS])
{
    for (int i = 0; i < NROOTS; i++)
        newest[i] = NULL;
    for (size_t k = 0; k < n; k++) {
        int i = root_of(p, &list[k]);

        if (i >= 0 && (!newest[i] || list[k].time >= newest[i]->time))
            newest[i] = &list[k];
    }
    for (int i = 0; i < NROOTS; i++)
        if (p->roots[i] && !newest[i])
            return cv_fail(CV_ENOENT, "[repo %s] has no snapshot of the %s tree yet", p->r->name,
                           root_tags[i]);
    return CV_OK;
}

static void describe_round(struct cv_protector *p, const struct cv_snapshot *newest[NROOTS],
                           struct cv_snap_info *out)
{
    memset(out, 0, sizeof(*out));
    out->time = -1;
    for (int i = 0; i < NROOTS; i++) {
        const struct cv_snapshot *s = newest[i];

        if (!s)
            continue;
        if (out->time < 0 || s->time < out->time)
            out->time = s->time;
        out->files += (long long)s->stats.files;
        out->suspect |= has_tag(s, TAG_SUSPECT);
        cv_strlcpy(out->names[i], s->name, sizeof(out->names[i]));
        snprintf(out->id + strlen(out->id), sizeof(out->id) - strlen(out->id), "%s%.8s",
                 out->id[0] ? "+" : "", s->name);
    }
    out->bytes = repo_bytes(p->r);
}

enum cv_err cv_protector_newest(struct cv_protector *p, struct cv_snap_info *out)
{
    const struct cv_snapshot *newest[NROOTS];
    struct cv_snapshot *list = NULL;
    size_t n = 0;
    enum cv_err err;

    memset(out, 0, sizeof(*out));
    err = ensure_open(p);
    if (!err)
        err = cv_snapshots_list(p->repo, &list, &n);
    if (err)
        return failed(p, err);
    err = newest_per_root(p, list, n, newest);
    if (!err)
        describe_round(p, newest, out);
    cv_snapshots_free(list, n);
    return err;
}

/* ---- snapshots ------------------------------------------------------------------------------- */

static void log_problem(void *arg, const char *path, const char *reason)
{
    const char *root = arg;

    log_warn("snapshot of the %s tree: cannot read '%s': %s", root, path, reason);
}

enum cv_err cv_protector_snapshot(struct cv_protector *p, const char *index_copy, bool suspect,
                                  const struct cv_snap_changes changes[2], bool walked[2],
                                  struct cv_snap_info *out)
{
    const struct cv_snapshot *newest[NROOTS] = {NULL, NULL};
    struct cv_snapshot made[NROOTS];
    enum cv_err err = ensure_open(p);

    memset(out, 0, sizeof(*out));
    memset(made, 0, sizeof(made));
    for (int i = 0; i < NROOTS && !err; i++) {
        const char *tags[] = {TAG_RUN, root_tags[i], suspect ? TAG_SUSPECT : NULL, NULL};
        struct cv_backup_opts opts = {.source = p->roots[i],
                                      .db = index_copy,
                                      .tags = tags,
                                      .problem = log_problem,
                                      .problem_arg = (void *)root_tags[i]};
        struct cv_backup_stats stats;
        char name[CV_SNAPSHOT_NAME_LEN + 1];

        walked[i] = true;
        if (!p->roots[i])
            continue;
        if (changes && !changes[i].walk && p->last[i][0]) { /* on top of our own last one */
            opts.parent = p->last[i];
            opts.changes = changes[i].paths;
            opts.nchanges = changes[i].n;
            walked[i] = false;
        }
        err = cv_backup(p->repo, &opts, name, &stats);
        if (!err)
            err = cv_snapshot_find(p->repo, name, &made[i]);
        if (!err) {
            newest[i] = &made[i];
            cv_strlcpy(p->last[i], name, sizeof(p->last[i]));
            log_debug("[repo %s] %s tree: %llu files (%llu new, %llu changed), %llu bytes added "
                      "in %.1f s (%s)",
                      p->r->name, root_tags[i], (unsigned long long)stats.files,
                      (unsigned long long)stats.files_new, (unsigned long long)stats.files_changed,
                      (unsigned long long)stats.added_stored, stats.seconds,
                      walked[i] ? "whole tree walked" : "journal");
        }
    }
    if (!err)
        describe_round(p, newest, out);
    for (int i = 0; i < NROOTS; i++)
        cv_snapshot_clear(&made[i]);
    if (err)
        return failed(p, err);
    return CV_OK;
}

/* ---- drills ---------------------------------------------------------------------------------- */

struct sampled {
    char *path;
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
};

struct sampler {
    struct sampled *items;
    size_t want, have;
    uint64_t seen;
};

static bool glob_safe(const char *s)
{
    return strpbrk(s, "*?[]\\") == NULL;
}

/* Reservoir sampling (Algorithm R): each file of the snapshot is kept with equal chance. */
static enum cv_err sample_node(void *arg, const struct cv_node *node)
{
    struct sampler *sm = arg;
    struct sampled *slot = NULL;

    if (node->kind != CV_NODE_FILE || !glob_safe(node->path))
        return CV_OK;
    sm->seen++;
    if (sm->have < sm->want) {
        slot = &sm->items[sm->have++];
    } else {
        uint64_t j = randombytes_uniform((uint32_t)(sm->seen > UINT32_MAX ? UINT32_MAX : sm->seen));

        if (j < sm->want) {
            slot = &sm->items[j];
            cv_free(slot->path);
        }
    }
    if (!slot)
        return CV_OK;
    *slot = (struct sampled){cv_strdup(node->path), node->size, node->mtime_sec, node->mtime_nsec};
    return slot->path ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

struct drill_ctx {
    struct cv_drill_result *res;
    struct cv_hl7_msg *msg;
    struct cv_buf a, b;
};

CV_PRINTF(2, 3)
static void drill_problem(struct drill_ctx *d, const char *fmt, ...)
{
    va_list ap;

    d->res->errors++;
    if (d->res->detail[0])
        return;
    va_start(ap, fmt);
    vsnprintf(d->res->detail, sizeof(d->res->detail), fmt, ap);
    va_end(ap);
}

static void restore_problem(void *arg, const char *path, const char *reason)
{
    drill_problem(arg, "'%s' could not be restored: %s", path, reason);
}

/* One restored file: the size recorded, the live file's bytes when it has not changed since
 * the snapshot, and HL7 (unless the live file is not HL7 either: then the copy is faithful). */
static void verify_file(struct drill_ctx *d, const char *live_root, const char *restored_root,
                        const struct sampled *f)
{
    char live[PATH_MAX], copy[PATH_MAX];
    struct stat sb;
    bool live_same;

    if (cv_path_join(copy, sizeof(copy), restored_root, f->path) ||
        cv_path_join(live, sizeof(live), live_root, f->path)) {
        drill_problem(d, "'%s': %s", f->path, cv_errmsg());
        return;
    }
    cv_buf_reset(&d->a);
    if (cv_buf_read_file(&d->a, copy) != CV_OK) {
        drill_problem(d, "'%s' missing after restore", f->path);
        return;
    }
    d->res->files++;
    if (d->a.len != f->size) {
        drill_problem(d, "'%s' restored with %zu bytes, %llu recorded", f->path, d->a.len,
                      (unsigned long long)f->size);
        return;
    }
    live_same = stat(live, &sb) == 0 && (uint64_t)sb.st_size == f->size &&
                sb.st_mtim.tv_sec == f->mtime_sec && sb.st_mtim.tv_nsec == (long)f->mtime_nsec;
    cv_buf_reset(&d->b);
    if (live_same && cv_buf_read_file(&d->b, live) == CV_OK &&
        (d->b.len != d->a.len || memcmp(d->a.data, d->b.data, d->a.len) != 0)) {
        drill_problem(d, "'%s' restored differs from the unchanged live file", f->path);
        return;
    }
    if (cv_hl7_msg_parse(d->msg, d->a.data ? d->a.data : "", d->a.len) != CV_OK &&
        !(live_same && d->b.len == d->a.len))
        drill_problem(d, "'%s' restored does not parse as HL7: %s", f->path, cv_errmsg());
}

/* The snapshot's index must come back and open. */
static void verify_index(struct drill_ctx *d, struct cv_repo *repo, const struct cv_snapshot *s,
                         const char *scratch)
{
    char path[PATH_MAX];
    long long files;
    uint64_t size;

    if (!s->has_db) {
        drill_problem(d, "snapshot %.8s carries no index", s->name);
        return;
    }
    if (cv_path_format(path, sizeof(path), "%s/index-%.8s.sqlite", scratch, s->name) ||
        cv_dump_index(repo, s, path, true, &size) != CV_OK) {
        drill_problem(d, "the index of snapshot %.8s could not be restored: %s", s->name,
                      cv_errmsg());
        return;
    }
    if (cv_index_probe(path, &files) != CV_OK)
        drill_problem(d, "the index of snapshot %.8s does not open: %s", s->name, cv_errmsg());
    unlink(path);
}

/* The patient folder of an SS-MIX2 path ("999/901/9999013/..."), or false. */
static bool patient_of(const char *path, char *id, size_t n)
{
    const char *a = strchr(path, '/'), *b = a ? strchr(a + 1, '/') : NULL;
    const char *c = b ? strchr(b + 1, '/') : NULL;

    if (!c || (size_t)(c - b - 1) >= n)
        return false;
    memcpy(id, b + 1, (size_t)(c - b - 1));
    id[c - b - 1] = '\0';
    return true;
}

static int by_path(const void *x, const void *y)
{
    return strcmp(((const struct sampled *)x)->path, ((const struct sampled *)y)->path);
}

/* Restore the sampled files, one patient folder at a time: the vault goes straight to a
 * patient's folder, so the cost follows the sample, not the size of the snapshot. */
static enum cv_err restore_sample(struct cv_protector *p, struct drill_ctx *d,
                                  const struct cv_snapshot *s, struct sampler *sm,
                                  const char *target, const char **include)
{
    enum cv_err err = CV_OK;
    size_t i = 0;

    qsort(sm->items, sm->have, sizeof(*sm->items), by_path);
    while (i < sm->have && !err) {
        struct cv_restore_opts ro = {.target = target,
                                     .include = include,
                                     .force = true,
                                     .problem = restore_problem,
                                     .problem_arg = d};
        struct cv_restore_stats rst;
        char id[64], other[64];
        size_t k = 0;

        if (patient_of(sm->items[i].path, id, sizeof(id)))
            ro.patient = id;
        do /* the run of sampled files in the same patient folder (sorted by path) */
            include[k++] = sm->items[i++].path;
        while (ro.patient && i < sm->have && patient_of(sm->items[i].path, other, sizeof(other)) &&
               strcmp(other, id) == 0 && strncmp(sm->items[i].path, sm->items[i - 1].path, 8) == 0);
        include[k] = NULL;
        err = cv_restore(p->repo, s, &ro, &rst);
        if (err == CV_ECORRUPT || err == CV_ENOENT) {
            if (err == CV_ENOENT)
                drill_problem(d, "%s", cv_errmsg());
            err = CV_OK; /* counted through restore_problem: the drill goes on */
        }
    }
    return err;
}

static enum cv_err drill_root(struct cv_protector *p, struct drill_ctx *d, int root,
                              const struct cv_snapshot *s, const char *scratch, size_t want)
{
    struct sampler sm = {.want = want};
    char target[PATH_MAX];
    const char **include = NULL;
    enum cv_err err;

    sm.items = cv_calloc(want ? want : 1, sizeof(*sm.items));
    include = cv_calloc(want + 1, sizeof(*include));
    if (!sm.items || !include) {
        err = cv_fail(CV_ENOMEM, "out of memory");
        goto out_free;
    }
    err = cv_snapshot_walk(p->repo, s, NULL, sample_node, &sm);
    if (err)
        goto out_free;
    err = cv_path_join(target, sizeof(target), scratch, root_tags[root]);
    if (err)
        goto out_free;
    remove_tree(target);
    err = restore_sample(p, d, s, &sm, target, include);
    for (size_t i = 0; !err && i < sm.have; i++)
        verify_file(d, p->roots[root], target, &sm.items[i]);
    if (!err)
        verify_index(d, p->repo, s, scratch);
    remove_tree(target);
out_free:
    for (size_t i = 0; i < sm.have; i++)
        cv_free(sm.items[i].path);
    cv_free(sm.items);
    cv_free(include);
    return err;
}

/* ---- full drills ---------------------------------------------------------------------------- */

struct full_verify {
    struct cv_protector *p;
    struct drill_ctx *d;
    const char *live_root, *target;
    uint64_t seen;
};

static enum cv_err verify_node(void *arg, const struct cv_node *node)
{
    struct full_verify *v = arg;
    struct sampled f;

    if (node->kind != CV_NODE_FILE)
        return CV_OK;
    if (++v->seen % 4096 == 0 && v->p->go_on) {
        struct cv_progress pr = {.phase = "verifying", .done = v->seen};

        if (!v->p->go_on(&pr, v->p->go_on_arg))
            return cv_fail(CV_ECANCELED, "stopped");
    }
    f = (struct sampled){(char *)node->path, node->size, node->mtime_sec, node->mtime_nsec};
    verify_file(v->d, v->live_root, v->target, &f);
    return CV_OK;
}

/* A full restore needs the snapshot's bytes, a block per file and folder, and the index. */
static enum cv_err room_for(const char *scratch, const struct cv_snapshot *const newest[NROOTS])
{
    struct statvfs fs;
    unsigned long long need = (unsigned long long)64 << 20, nodes = 0, have;
    char a[32], b[32];

    if (statvfs(scratch, &fs) != 0)
        return cv_fail(CV_EIO, "drill scratch space: %s", strerror(errno));
    for (int i = 0; i < NROOTS; i++) {
        if (!newest[i])
            continue;
        nodes += newest[i]->stats.files + newest[i]->stats.dirs;
        need += newest[i]->stats.bytes + newest[i]->db_size;
    }
    need += nodes * fs.f_frsize;
    have = (unsigned long long)fs.f_bavail * fs.f_frsize;
    if (have < need) {
        cv_format_bytes(need, a, sizeof(a));
        cv_format_bytes(have, b, sizeof(b));
        return cv_fail(CV_ENOSPC,
                       "a full drill needs about %s of scratch space in the state folder, and "
                       "%s is free there",
                       a, b);
    }
    if (fs.f_files && fs.f_favail < nodes)
        return cv_fail(CV_ENOSPC,
                       "a full drill restores %llu files and folders, and the scratch file "
                       "system has only %llu free inodes",
                       nodes, (unsigned long long)fs.f_favail);
    return CV_OK;
}

static enum cv_err drill_root_full(struct cv_protector *p, struct drill_ctx *d, int root,
                                   const struct cv_snapshot *s, const char *scratch)
{
    char target[PATH_MAX];
    struct cv_restore_opts ro = {.target = target,
                                 .force = true,
                                 .progress = p->go_on,
                                 .progress_arg = p->go_on_arg,
                                 .problem = restore_problem,
                                 .problem_arg = d};
    struct cv_restore_stats rst = {0};
    struct full_verify v = {p, d, p->roots[root], target, 0};
    enum cv_err err =
        cv_path_format(target, sizeof(target), "%s/full-%s", scratch, root_tags[root]);

    if (err)
        return err;
    remove_tree(target);
    err = cv_restore(p->repo, s, &ro, &rst);
    if (err == CV_ECORRUPT || err == CV_EEXIST)
        err = CV_OK; /* each such file was counted through restore_problem: the drill goes on */
    d->res->bytes += (long long)rst.bytes;
    if (!err)
        err = cv_snapshot_walk(p->repo, s, NULL, verify_node, &v);
    if (err == CV_EAUTH || err == CV_ECORRUPT || err == CV_ENOENT) {
        /* damage that stopped the restore of this tree (its listings): a failed drill */
        drill_problem(d, "%s", cv_errmsg());
        err = CV_OK;
    } else if (!err) {
        verify_index(d, p->repo, s, scratch);
    }
    remove_tree(target);
    return err;
}

static double mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Both kinds of drill: `sample` files of the newest round, or (sample < 0) all of it. */
static enum cv_err drill(struct cv_protector *p, const char *scratch, long sample,
                         struct cv_drill_result *out)
{
    const struct cv_snapshot *newest[NROOTS] = {0};
    struct drill_ctx d = {.res = out};
    struct cv_snapshot *list = NULL;
    size_t n = 0, nroots = 0;
    double t0 = mono_now();
    enum cv_err err;

    memset(out, 0, sizeof(*out));
    cv_buf_init(&d.a, (size_t)16 << 20);
    cv_buf_init(&d.b, (size_t)16 << 20);
    err = cv_mkdir_p(scratch, 0700);
    if (!err)
        err = cv_hl7_msg_new(&d.msg);
    if (!err)
        err = ensure_open(p);
    if (!err)
        err = cv_snapshots_list(p->repo, &list, &n);
    if (!err)
        err = newest_per_root(p, list, n, newest);
    for (int i = 0; i < NROOTS; i++) {
        nroots += p->roots[i] != NULL;
        if (!err && newest[i])
            snprintf(out->snap_id + strlen(out->snap_id),
                     sizeof(out->snap_id) - strlen(out->snap_id), "%s%.8s",
                     out->snap_id[0] ? "+" : "", newest[i]->name);
    }
    if (!err && sample < 0)
        err = room_for(scratch, newest);
    for (int i = 0; !err && i < NROOTS; i++)
        if (p->roots[i])
            err = sample < 0 ? drill_root_full(p, &d, i, newest[i], scratch)
                             : drill_root(p, &d, i, newest[i], scratch, (size_t)sample / nroots);
    out->seconds = mono_now() - t0;
    if (!err && !out->errors)
        snprintf(out->detail, sizeof(out->detail), "%lld files restored, verified and parsed",
                 out->files);
    cv_snapshots_free(list, n);
    cv_hl7_msg_free(d.msg);
    cv_buf_free(&d.a);
    cv_buf_free(&d.b);
    if (err || out->errors)
        failed(p, CV_OK); /* open afresh next time: the damage may be in what we cached */
    return err;
}

enum cv_err cv_protector_drill_full(struct cv_protector *p, const char *scratch,
                                    struct cv_drill_result *out)
{
    return drill(p, scratch, -1, out);
}

enum cv_err cv_protector_drill(struct cv_protector *p, const char *scratch, long sample,
                               struct cv_drill_result *out)
{
    return drill(p, scratch, sample < 1 ? 1 : sample, out);
}

/* ---- check ---------------------------------------------------------------------------------- */

struct check_ctx {
    char *detail;
    size_t n;
};

static void check_problem(void *arg, const char *object, const char *reason)
{
    struct check_ctx *c = arg;

    if (!c->detail[0])
        snprintf(c->detail, c->n, "%s: %s", object, reason);
}

enum cv_err cv_protector_check(struct cv_protector *p, bool *ok, char *detail, size_t n)
{
    struct check_ctx c = {detail, n};
    struct cv_check_opts opts = {
        .problem = check_problem, .arg = &c, .progress = p->go_on, .progress_arg = p->go_on_arg};
    struct cv_check_stats stats;
    enum cv_err err;

    *ok = false;
    detail[0] = '\0';
    err = ensure_open(p);
    if (!err)
        err = cv_check(p->repo, &opts, &stats);
    if (err == CV_ECORRUPT) {
        if (!detail[0])
            snprintf(detail, n, "%llu problems", (unsigned long long)stats.problems);
        failed(p, CV_OK);
        return CV_OK;
    }
    if (err)
        return failed(p, err);
    *ok = true;
    snprintf(detail, n, "%llu snapshots, %llu packs, %llu files: no problem",
             (unsigned long long)stats.snapshots, (unsigned long long)stats.packs,
             (unsigned long long)stats.files);
    return CV_OK;
}
