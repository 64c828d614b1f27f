/*
 * restore.c: snapshots back into files. This thread walks the snapshot's trees and reads the
 * blobs (one block decrypt and decompress serves its ~100 neighbours, and every blob is checked
 * against its ID); a second thread (restore_write.c) creates the folders and files relative to
 * folder descriptors and sets their modes and times. A file whose data is damaged is reported
 * and not written; everything else is restored. Folders are only created when something in
 * them is restored, so `--patient` and `--include` restore just that part, with its path.
 */
#include "restore_int.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- records to the writer
 * ----------------------------------------------------------------------- */
static struct rec *out_rec(struct restorer *rs, uint8_t kind, const char *name, size_t name_len,
                           size_t data)
{
    struct batch *b = rs->cur;
    struct rec *r;

    if (b && (b->nrecs == BATCH_RECS || b->used + name_len + data > BATCH_ARENA)) {
        cv_queue_put_full(rs->q, b);
        rs->cur = b = NULL;
    }
    if (!b && !(b = rs->cur = cv_queue_get_free(rs->q, 0, 0)))
        return NULL; /* the writer stopped; its error explains why */
    r = &b->recs[b->nrecs++];
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->name_off = (uint32_t)b->used;
    r->name_len = (uint32_t)name_len;
    memcpy(b->arena + b->used, name, name_len);
    b->used += name_len;
    r->data_off = (uint32_t)b->used;
    if (data) {
        b->used += data;
        r->data_len = (uint32_t)data;
    }
    return r;
}

static void rec_times(struct rec *r, const struct cv_tree_entry *e)
{
    r->mode = e->mode;
    r->mtime_sec = e->mtime_sec;
    r->mtime_nsec = e->mtime_nsec;
}

/* Create every folder on the way down that is not created yet. */
static enum cv_err emit_dirs(struct restorer *rs)
{
    for (size_t i = 0; i < rs->ndirs; i++) {
        struct pending_dir *d = &rs->dirs[i];
        struct rec *r;

        if (d->emitted)
            continue;
        r = out_rec(rs, REC_DIR_BEGIN, d->name, d->name_len, 0);
        if (!r)
            return CV_ECANCELED;
        r->mode = d->mode;
        r->mtime_sec = d->mtime_sec;
        r->mtime_nsec = d->mtime_nsec;
        d->emitted = true;
    }
    return CV_OK;
}

static void report(struct restorer *rs, const char *reason)
{
    pthread_mutex_lock(rs->report_mu);
    rs->st->failed++;
    if (rs->o->problem)
        rs->o->problem(rs->o->problem_arg, rs->path, reason);
    pthread_mutex_unlock(rs->report_mu);
}

/* ---- files
 * ----------------------------------------------------------------------------------------- */
/* Send one file, chunk by chunk. A damaged chunk abandons the file (the writer removes what it
 * wrote of it) and is reported; the restore goes on. */
static enum cv_err restore_file(struct restorer *rs, const struct cv_tree_entry *e)
{
    uint64_t total = 0;
    bool sent = false;
    enum cv_err err = emit_dirs(rs);

    for (size_t i = 0; !err && (i < e->nchunks || i == 0); i++) {
        const uint8_t *p = NULL;
        size_t n = 0;
        struct rec *r;

        if (e->nchunks && (err = cv_reader_blob(rs->drd, e->chunks + i * CV_ID_LEN, &p, &n)))
            break;
        total += n;
        if (i + 1 >= e->nchunks && total != e->size) {
            err = cv_fail(CV_ECORRUPT, "its data is %llu bytes, the tree says %llu",
                          (unsigned long long)total, (unsigned long long)e->size);
            break;
        }
        r = out_rec(rs, i == 0 ? REC_FILE : REC_CHUNK, e->name, i == 0 ? e->name_len : 0, n);
        if (!r)
            return CV_ECANCELED;
        memcpy(rs->cur->arena + r->data_off, p, n);
        rec_times(r, e);
        r->more = i + 1 < e->nchunks;
        sent = true;
    }
    if (err == CV_ECANCELED)
        return err;
    if (err) {
        if (sent) { /* part of the file went out: the writer abandons it */
            struct rec *r = out_rec(rs, REC_CHUNK, "", 0, 0);

            if (!r)
                return CV_ECANCELED;
            r->failed = true;
        }
        report(rs, cv_errmsg());
        return CV_OK;
    }
    rs->sent_files++;
    rs->sent_bytes += total;
    return CV_OK;
}

static enum cv_err restore_symlink(struct restorer *rs, const struct cv_tree_entry *e)
{
    enum cv_err err = emit_dirs(rs);
    struct rec *r;

    if (err)
        return err;
    r = out_rec(rs, REC_SYMLINK, e->name, e->name_len, e->sub_len);
    if (!r)
        return CV_ECANCELED;
    memcpy(rs->cur->arena + r->data_off, e->sub, e->sub_len);
    rec_times(r, e);
    rs->sent_files++;
    return CV_OK;
}

/* ---- walking
 * ------------------------------------------------------------------------------------------ */
static bool wanted(const struct restorer *rs, bool under_match)
{
    if (!rs->o->include || under_match)
        return true;
    for (size_t i = 0; rs->o->include[i]; i++)
        if (fnmatch(rs->o->include[i], rs->path, 0) == 0)
            return true;
    return false;
}

static enum cv_err restore_listing(struct restorer *rs, const struct cv_listing *l,
                                   bool under_match);

static enum cv_err restore_dir(struct restorer *rs, const struct cv_tree_entry *e, bool under_match)
{
    struct cv_listing sub = CV_LISTING_INIT;
    struct pending_dir *d;
    enum cv_err err;

    if (rs->ndirs >= CV_TREE_DEPTH_MAX)
        return cv_fail(CV_ECORRUPT, "tree: folders nested deeper than %u", CV_TREE_DEPTH_MAX);
    err = cv_listing_load(rs->rd, e, &sub);
    if (err) { /* a damaged tree: everything in it ("path/") is lost, the rest goes on */
        size_t len = strlen(rs->path);

        if (len + 1 < sizeof(rs->path))
            strcpy(rs->path + len, "/");
        report(rs, cv_errmsg());
        rs->path[len] = '\0';
        cv_listing_free(&sub);
        return CV_OK;
    }
    d = &rs->dirs[rs->ndirs++];
    memcpy(d->name, e->name, e->name_len);
    d->name_len = e->name_len;
    d->mode = e->mode;
    d->mtime_sec = e->mtime_sec;
    d->mtime_nsec = e->mtime_nsec;
    d->emitted = false;
    if (wanted(rs, under_match) && rs->o->include)
        under_match = true;
    err = restore_listing(rs, &sub, under_match);
    if (!err && !d->emitted && !rs->o->include) /* an empty folder is restored too */
        err = emit_dirs(rs);
    rs->ndirs--;
    if (!err && d->emitted && !out_rec(rs, REC_DIR_END, "", 0, 0))
        err = CV_ECANCELED;
    cv_listing_free(&sub);
    return err;
}

static enum cv_err restore_listing(struct restorer *rs, const struct cv_listing *l,
                                   bool under_match)
{
    size_t path_len = strlen(rs->path);
    struct cv_tree_rd t;
    struct cv_tree_entry e;
    bool more;
    enum cv_err err;

    cv_listing_iter(l, &t);
    while ((err = cv_tree_next(&t, &e, &more)) == CV_OK && more) {
        if (path_len + 1 + e.name_len >= sizeof(rs->path))
            return cv_fail(CV_ECORRUPT, "tree: a path longer than %zu bytes", sizeof(rs->path));
        snprintf(rs->path + path_len, sizeof(rs->path) - path_len, "%s%.*s", path_len ? "/" : "",
                 (int)e.name_len, e.name);
        if (cv_te_is_dir(&e))
            err = restore_dir(rs, &e, under_match);
        else if (wanted(rs, under_match))
            err = e.kind == CV_TE_FILE ? restore_file(rs, &e) : restore_symlink(rs, &e);
        rs->path[path_len] = '\0';
        if (err)
            return err;
        if (rs->o->progress && ++rs->entries % 256 == 0) {
            struct cv_progress p = {"restoring", rs->sent_files, rs->total, rs->sent_bytes};

            if (!rs->o->progress(&p, rs->o->progress_arg))
                return cv_fail(CV_ECANCELED, "restore cancelled");
        }
    }
    if (err) /* a damaged listing: what came before it is restored */
        report(rs, cv_errmsg());
    return CV_OK;
}

/* Restore the folder `e` found in the current folder (whose path is rs->path). */
static enum cv_err restore_dir_at(struct restorer *rs, const struct cv_tree_entry *e)
{
    size_t len = strlen(rs->path);
    enum cv_err err;

    snprintf(rs->path + len, sizeof(rs->path) - len, "%s%.*s", len ? "/" : "", (int)e->name_len,
             e->name);
    err = restore_dir(rs, e, false);
    rs->path[len] = '\0';
    return err;
}

/* ---- one patient
 * ------------------------------------------------------------------------------------- */
static enum cv_err find_entry(const struct cv_listing *l, const char *name, bool want_dir,
                              struct cv_tree_entry *e, bool *found)
{
    struct cv_tree_rd t;
    size_t n = strlen(name);
    bool more;
    enum cv_err err;

    *found = false;
    cv_listing_iter(l, &t);
    while ((err = cv_tree_next(&t, e, &more)) == CV_OK && more) {
        if (e->name_len == n && memcmp(e->name, name, n) == 0) {
            *found = !want_dir || cv_te_is_dir(e);
            return CV_OK;
        }
    }
    return err;
}

static void push_pending(struct restorer *rs, const struct cv_tree_entry *e)
{
    struct pending_dir *d = &rs->dirs[rs->ndirs++];
    size_t len = strlen(rs->path);

    memcpy(d->name, e->name, e->name_len);
    d->name_len = e->name_len;
    d->mode = e->mode;
    d->mtime_sec = e->mtime_sec;
    d->mtime_nsec = e->mtime_nsec;
    d->emitted = false;
    snprintf(rs->path + len, sizeof(rs->path) - len, "%s%.*s", len ? "/" : "", (int)e->name_len,
             e->name);
}

/* Where SS-MIX2 keeps a patient: <id[0:3]>/<id[3:6]>/<id>. [out] the two folders above and
 * the patient's folder, each entry pointing into the listing before it. */
static enum cv_err find_patient_direct(struct restorer *rs, const struct cv_listing *root,
                                       const char *id, struct cv_listing ls[2],
                                       struct cv_tree_entry e[3], bool *found)
{
    char part[4];
    enum cv_err err;

    *found = false;
    if (strlen(id) < 6)
        return CV_OK;
    snprintf(part, sizeof(part), "%.3s", id);
    err = find_entry(root, part, true, &e[0], found);
    if (!err && *found)
        err = cv_listing_load(rs->rd, &e[0], &ls[0]);
    snprintf(part, sizeof(part), "%.3s", id + 3);
    if (!err && *found)
        err = find_entry(&ls[0], part, true, &e[1], found);
    if (!err && *found)
        err = cv_listing_load(rs->rd, &e[1], &ls[1]);
    if (!err && *found)
        err = find_entry(&ls[1], id, true, &e[2], found);
    return err;
}

/* Sites pad short IDs their own way: look for the patient's folder two levels down. */
static enum cv_err find_patient_anywhere(struct restorer *rs, const struct cv_listing *root,
                                         const char *id, struct cv_listing ls[2],
                                         struct cv_tree_entry e[3], bool *found)
{
    struct cv_tree_rd t0, t1;
    bool more0, more1;
    enum cv_err err;

    *found = false;
    cv_listing_iter(root, &t0);
    while (!*found && (err = cv_tree_next(&t0, &e[0], &more0)) == CV_OK && more0) {
        if (!cv_te_is_dir(&e[0]))
            continue;
        if ((err = cv_listing_load(rs->rd, &e[0], &ls[0])) != CV_OK)
            return err;
        cv_listing_iter(&ls[0], &t1);
        while (!*found && (err = cv_tree_next(&t1, &e[1], &more1)) == CV_OK && more1) {
            if (!cv_te_is_dir(&e[1]))
                continue;
            err = cv_listing_load(rs->rd, &e[1], &ls[1]);
            if (!err)
                err = find_entry(&ls[1], id, true, &e[2], found);
            if (err)
                return err;
        }
        if (err)
            return err;
    }
    return err;
}

static enum cv_err restore_patient(struct restorer *rs, const struct cv_listing *root)
{
    struct cv_listing ls[2] = {CV_LISTING_INIT, CV_LISTING_INIT};
    struct cv_tree_entry e[3];
    const char *id = rs->o->patient;
    bool found;
    enum cv_err err;

    if (!cv_tree_name_ok(id, strlen(id)))
        return cv_fail(CV_EINVAL, "'%s' cannot be a patient ID", id);
    err = find_patient_direct(rs, root, id, ls, e, &found);
    if (!err && !found)
        err = find_patient_anywhere(rs, root, id, ls, e, &found);
    if (!err && !found)
        err = cv_fail(CV_ENOENT, "no patient '%s' in snapshot %.8s", id, rs->snap_name);
    if (!err) {
        push_pending(rs, &e[0]);
        push_pending(rs, &e[1]);
        err = restore_dir_at(rs, &e[2]);
    }
    while (!err && rs->ndirs > 0) /* close the folders above the patient's */
        if (rs->dirs[--rs->ndirs].emitted && !out_rec(rs, REC_DIR_END, "", 0, 0))
            err = CV_ECANCELED;
    cv_listing_free(&ls[0]);
    cv_listing_free(&ls[1]);
    return err;
}

/* ---- the whole restore
 * ---------------------------------------------------------------------------- */
static enum cv_err open_target(const struct cv_restore_opts *o, int *fd)
{
    enum cv_err err;

    *fd = -1;
    if (!o->force && cv_dir_nonempty(o->target))
        return cv_fail(CV_EEXIST, "'%s' is not empty (use --force to restore into it)", o->target);
    err = cv_mkdir_p(o->target, 0700);
    if (err)
        return err;
    *fd = open(o->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return *fd < 0 ? cv_fail_errno(CV_EIO, "cannot open '%s'", o->target) : CV_OK;
}

/* Read the snapshot and feed the writer; runs on the calling thread. */
static enum cv_err read_snapshot_tree(struct restorer *rs, const struct cv_snapshot *snap)
{
    struct cv_listing root = CV_LISTING_INIT;
    enum cv_err err = cv_snapshot_root(rs->rd, snap, &root);

    if (!err)
        err = rs->o->patient ? restore_patient(rs, &root) : restore_listing(rs, &root, false);
    cv_listing_free(&root);
    if (rs->cur && rs->cur->nrecs)
        cv_queue_put_full(rs->q, rs->cur);
    else if (rs->cur)
        cv_queue_put_free(rs->q, rs->cur);
    rs->cur = NULL;
    cv_queue_close(rs->q);
    return err;
}

enum cv_err cv_restore(struct cv_repo *repo, const struct cv_snapshot *snap,
                       const struct cv_restore_opts *o, struct cv_restore_stats *st)
{
    uint64_t t0 = cv_monotonic_ms();
    struct restorer rs;
    struct restore_writer w;
    struct queue q;
    pthread_t thread;
    pthread_mutex_t report_mu = PTHREAD_MUTEX_INITIALIZER;
    enum cv_err err;
    mode_t mask = umask(0);

    umask(mask);
    memset(st, 0, sizeof(*st));
    memset(&rs, 0, sizeof(rs));
    memset(&w, 0, sizeof(w));
    rs.repo = repo;
    rs.o = o;
    rs.st = st;
    rs.q = &q;
    rs.snap_name = snap->name;
    rs.total = o->patient || o->include ? 0 : snap->stats.files;
    rs.report_mu = &report_mu;
    w.q = &q;
    w.force = o->force;
    w.umask_bits = (unsigned)mask;
    w.o = o;
    w.st = st;
    w.report_mu = &report_mu;
    err = open_target(o, &w.target_fd);
    if (err)
        return err;
    err = cv_queue_init(&q, 1);
    if (!err)
        err = cv_reader_new(repo, 8, &rs.rd);
    if (!err)
        err = cv_reader_new(repo, 32, &rs.drd);
    if (!err && pthread_create(&thread, NULL, cv_restore_write, &w) != 0)
        err = cv_fail(CV_ENOMEM, "cannot start the writing thread");
    if (!err) {
        err = read_snapshot_tree(&rs, snap);
        pthread_join(thread, NULL);
        if (w.err) /* the writer's failure is the real story */
            err = cv_fail(w.err, "%s", w.errmsg);
    }
    cv_reader_free(rs.rd);
    cv_reader_free(rs.drd);
    cv_queue_destroy(&q);
    close(w.target_fd);
    st->seconds = cv_seconds_since(t0);
    if (!err && st->failed)
        err = cv_fail(CV_ECORRUPT, "%llu file%s could not be restored",
                      (unsigned long long)st->failed, st->failed == 1 ? "" : "s");
    else if (!err && st->refused)
        err =
            cv_fail(CV_EEXIST, "%llu entr%s not restored: a link or another file stood where %s go",
                    (unsigned long long)st->refused, st->refused == 1 ? "y was" : "ies were",
                    st->refused == 1 ? "it was to" : "they were to");
    return err;
}
