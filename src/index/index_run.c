/*
 * index_run.c: a run of the indexer. The calling thread walks the tree, reads and parses files
 * and hands batches of work items to a writer thread that holds the SQLite connection, so that
 * parsing and inserting overlap on two cores. A first build (or --reread) writes a fresh file
 * next to the index with journaling off, creates the secondary indexes after the bulk load,
 * derives every patient's current state, and renames the file over the index: viewers see the
 * old data until the new one is complete. Later runs apply their changes in one transaction.
 * Also here: the daemon's scan/apply pair and cv_index_paths().
 */
#include "index_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QUEUE_DEPTH      4
#define BULK_COMMIT_ROWS 50000

/* ---- the writer thread -------------------------------------------------------------------- */
struct pipeline {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch *head, *tail;
    size_t depth;
    bool closed, bulk;
    enum cv_err err;
    char errmsg[1024];
    sqlite3 *db;
    struct writer *w;
    uint64_t since_commit;
};

static enum cv_err apply_batch(struct pipeline *p, struct batch *b)
{
    enum cv_err err = CV_OK;

    for (size_t i = 0; !err && i < b->n; i++)
        err = writer_apply(p->w, &b->items[i]);
    p->since_commit += b->n;
    if (!err && p->bulk && p->since_commit >= BULK_COMMIT_ROWS) {
        err = index_exec(p->db, "COMMIT; BEGIN;");
        p->since_commit = 0;
    }
    return err;
}

static void *writer_main(void *arg)
{
    struct pipeline *p = arg;

    for (;;) {
        struct batch *b;
        enum cv_err err;

        pthread_mutex_lock(&p->mu);
        while (!p->head && !p->closed)
            pthread_cond_wait(&p->cv, &p->mu);
        b = p->head;
        if (b) {
            p->head = b->next;
            if (!p->head)
                p->tail = NULL;
            p->depth--;
            pthread_cond_broadcast(&p->cv);
        }
        pthread_mutex_unlock(&p->mu);
        if (!b)
            return NULL;
        err = p->err ? CV_OK : apply_batch(p, b);
        batch_free(b);
        if (err) {
            pthread_mutex_lock(&p->mu);
            p->err = err;
            cv_strlcpy(p->errmsg, cv_errmsg(), sizeof(p->errmsg));
            pthread_cond_broadcast(&p->cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static enum cv_err pipeline_push(struct batch *b, void *arg)
{
    struct pipeline *p = arg;
    enum cv_err err;

    pthread_mutex_lock(&p->mu);
    while (p->depth >= QUEUE_DEPTH && !p->err)
        pthread_cond_wait(&p->cv, &p->mu);
    err = p->err;
    if (!err) {
        b->next = NULL;
        if (p->tail)
            p->tail->next = b;
        else
            p->head = b;
        p->tail = b;
        p->depth++;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    if (err) {
        batch_free(b);
        return cv_fail(err, "%s", p->errmsg);
    }
    return CV_OK;
}

static enum cv_err pipeline_start(struct pipeline *p, sqlite3 *db, bool bulk)
{
    enum cv_err err;

    memset(p, 0, sizeof(*p));
    p->db = db;
    p->bulk = bulk;
    err = writer_new(db, &p->w);
    if (err)
        return err;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->thread, NULL, writer_main, p) != 0) {
        writer_free(p->w);
        p->w = NULL;
        return cv_fail(CV_ENOMEM, "cannot start the index writer thread");
    }
    return CV_OK;
}

/* Wait for the writer to finish what it has. Returns its error, if any. */
static enum cv_err pipeline_finish(struct pipeline *p)
{
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    while (p->head) {
        struct batch *next = p->head->next;

        batch_free(p->head);
        p->head = next;
    }
    return p->err ? cv_fail(p->err, "%s", p->errmsg) : CV_OK;
}

/* ---- finishing a run ---------------------------------------------------------------------- */

static enum cv_err stats_json(const struct cv_index_stats *s, struct cv_buf *out)
{
    struct cv_json j;

    cv_json_init(&j, out, false);
    cv_json_object_begin(&j);
    cv_json_kv_int(&j, "seen", (long long)s->seen);
    cv_json_kv_int(&j, "new", (long long)s->new_files);
    cv_json_kv_int(&j, "updated", (long long)s->updated);
    cv_json_kv_int(&j, "renamed", (long long)s->renamed);
    cv_json_kv_int(&j, "superseded", (long long)s->superseded);
    cv_json_kv_int(&j, "deleted", (long long)s->deleted);
    cv_json_kv_int(&j, "vanished", (long long)s->vanished);
    cv_json_kv_int(&j, "rejected", (long long)s->rejected);
    cv_json_object_end(&j);
    return cv_json_finish(&j);
}

static enum cv_err record_counts(sqlite3 *db)
{
    static const char *const q[][2] = {
        {"patients", "SELECT count(*) FROM patients"},
        {"files", "SELECT count(*) FROM files"},
        {"rejected", "SELECT count(*) FROM files WHERE state = 'rejected'"},
    };
    enum cv_err err = CV_OK;

    for (size_t i = 0; !err && i < CV_ARRAY_LEN(q); i++) {
        sqlite3_stmt *st;
        char num[32] = "0";

        if (sqlite3_prepare_v2(db, q[i][1], -1, &st, NULL) != SQLITE_OK)
            return index_db_error(db, "counting");
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(num, sizeof(num), "%lld", sqlite3_column_int64(st, 0));
        sqlite3_finalize(st);
        err = index_meta_set(db, q[i][0], num);
    }
    return err;
}

/* Derive the touched patients and record the run. Inside the run's transaction. */
enum cv_err index_finish_run(sqlite3 *db, struct writer *w, bool all_patients, const char *root,
                             const struct cv_index_stats *stats, unsigned record)
{
    char **touched = NULL, when[40], epoch[32], abs_root[PATH_MAX];
    size_t n = 0;
    struct cv_buf js = CV_BUF_INIT(4096);
    enum cv_err err;

    touched = writer_take_touched(w, &n);
    if (!touched)
        return cv_fail(CV_ENOMEM, "out of memory");
    err = all_patients ? index_derive_all(db) : index_derive(db, touched, n);
    ((struct cv_index_stats *)stats)->patients = all_patients ? 0 : n;
    index_free_strings(touched, n);
    if (!err && (record & FINISH_TIME)) {
        time_t now = cv_now();

        cv_time_format_iso(now, when, sizeof(when));
        snprintf(epoch, sizeof(epoch), "%lld", (long long)now);
        err = index_meta_set(db, "data_time", when);
        if (!err)
            err = index_meta_set(db, "data_time_epoch", epoch);
        if (!err)
            err = index_meta_set(db, "source", realpath(root, abs_root) ? abs_root : root);
    }
    if (!err)
        err = stats_json(stats, &js);
    if (!err)
        err = index_meta_set(db, "last_run", cv_buf_str(&js));
    if (!err && (record & FINISH_COUNTS))
        err = record_counts(db);
    cv_buf_free(&js);
    return err;
}

enum cv_err index_files_count(sqlite3 *db, long long *n)
{
    sqlite3_stmt *st;
    int rc;

    *n = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM files", -1, &st, NULL) != SQLITE_OK)
        return index_db_error(db, "counting files");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? CV_OK : index_db_error(db, "counting files");
}

/* ---- a full build into a new file ------------------------------------------------------- */

static void remove_db_files(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[PATH_MAX + 16];

    for (size_t i = 0; i < CV_ARRAY_LEN(suffixes); i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

static enum cv_err open_bulk(const char *tmp, sqlite3 **out)
{
    sqlite3 *db = NULL;
    enum cv_err err;

    remove_db_files(tmp);
    err = index_file_mode(tmp);
    if (err)
        return err;
    errno = 0;
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        err = cv_fail(CV_EDB, "cannot create '%s': %s", tmp, index_db_cause(db));
        sqlite3_close(db);
        return err;
    }
    err = index_check_writable(db, tmp, errno);
    if (!err)
        err =
            index_exec(db, "PRAGMA page_size=8192; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                           " PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-262144;"
                           " PRAGMA temp_store=MEMORY;");
    if (!err)
        err = index_create_tables(db);
    if (!err)
        err = index_exec(db, "BEGIN");
    if (err) {
        sqlite3_close(db);
        unlink(tmp);
        return err;
    }
    *out = db;
    return CV_OK;
}

static enum cv_err fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    enum cv_err err = CV_OK;

    if (fd < 0 || fsync(fd) != 0)
        err = cv_fail_errno(CV_EIO, "cannot sync '%s'", path);
    if (fd >= 0)
        close(fd);
    return err;
}

/* Close the bulk file, put it in place of the index, reopen the handle on it. */
static enum cv_err install(struct cv_index *idx, sqlite3 *db, const char *tmp)
{
    char dir[PATH_MAX], stale[PATH_MAX + 8];
    enum cv_err err = index_exec(db, "PRAGMA journal_mode=DELETE");
    char *slash;

    if (sqlite3_close(db) != SQLITE_OK && !err)
        err = cv_fail(CV_EDB, "cannot close the new index");
    if (!err)
        err = fsync_path(tmp);
    if (err)
        return err;
    index_close_db(idx);
    snprintf(stale, sizeof(stale), "%s-wal", idx->path);
    unlink(stale);
    snprintf(stale, sizeof(stale), "%s-shm", idx->path);
    unlink(stale);
    if (rename(tmp, idx->path) != 0)
        return cv_fail_errno(CV_EIO, "cannot rename '%s' to '%s'", tmp, idx->path);
    cv_strlcpy(dir, idx->path, sizeof(dir));
    slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    err = cv_fsync_dir(slash ? (*dir ? dir : "/") : ".");
    return err ? err : index_reopen(idx);
}

static enum cv_err full_build(struct cv_index *idx, const char *root,
                              const struct cv_index_options *opt, struct cv_index_stats *stats)
{
    char tmp[PATH_MAX];
    struct pipeline p;
    struct walk_sink sink = {pipeline_push, &p};
    sqlite3 *db = NULL;
    enum cv_err err, werr;
    uint64_t t0 = cv_monotonic_ms();

    if (snprintf(tmp, sizeof(tmp), "%s.new", idx->path) >= (int)sizeof(tmp))
        return cv_fail(CV_EINVAL, "index path is too long");
    err = open_bulk(tmp, &db);
    if (err)
        return err;
    err = pipeline_start(&p, db, true);
    if (err)
        goto out_db;
    err = index_walk(NULL, root, opt, &sink, stats, true);
    werr = pipeline_finish(&p);
    if (!err)
        err = werr;
    log_debug("full build: walk and load done after %.2f s", cv_seconds_since(t0));
    if (!err)
        err = index_create_indexes(db);
    log_debug("full build: indexes done after %.2f s", cv_seconds_since(t0));
    if (!err)
        err = index_finish_run(db, p.w, true, root, stats, FINISH_TIME | FINISH_COUNTS);
    log_debug("full build: patients derived after %.2f s", cv_seconds_since(t0));
    if (!err)
        err = index_exec(db, "COMMIT");
    writer_free(p.w);
    if (!err)
        return install(idx, db, tmp);
out_db:
    sqlite3_close(db);
    remove_db_files(tmp);
    return err;
}

/* ---- an incremental run ----------------------------------------------------------------- */

enum cv_err index_open_view(struct cv_index *idx, sqlite3 **out)
{
    *out = NULL;
    if (sqlite3_open_v2(idx->path, out, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        enum cv_err err = cv_fail(CV_EDB, "cannot open '%s' for reading", idx->path);

        sqlite3_close(*out);
        *out = NULL;
        return err;
    }
    sqlite3_busy_timeout(*out, 10000);
    return CV_OK;
}

static enum cv_err incremental(struct cv_index *idx, const char *root,
                               const struct cv_index_options *opt, struct cv_index_stats *stats)
{
    struct pipeline p;
    struct walk_sink sink = {pipeline_push, &p};
    enum cv_err err, werr;

    err = index_exec(idx->db, "BEGIN IMMEDIATE");
    if (err)
        return err;
    err = pipeline_start(&p, idx->db, false);
    if (err) {
        index_exec(idx->db, "ROLLBACK");
        return err;
    }
    err = index_walk(idx->path, root, opt, &sink, stats, true);
    werr = pipeline_finish(&p);
    if (!err)
        err = werr;
    if (!err)
        err = index_finish_run(idx->db, p.w, false, root, stats, FINISH_TIME | FINISH_COUNTS);
    if (!err)
        err = index_exec(idx->db, "COMMIT");
    if (err)
        index_exec(idx->db, "ROLLBACK");
    writer_free(p.w);
    return err;
}

enum cv_err cv_index_update(struct cv_index *idx, const char *root,
                            const struct cv_index_options *opt, struct cv_index_stats *stats)
{
    uint64_t start = cv_monotonic_ms();
    long long nfiles;
    enum cv_err err;

    memset(stats, 0, sizeof(*stats));
    if (idx->flags & CV_INDEX_READONLY)
        return cv_fail(CV_EINVAL, "the index was opened read-only");
    err = index_refresh(idx);
    if (!err && !idx->stale)
        err = index_files_count(idx->db, &nfiles);
    if (err)
        return err;
    if (idx->stale || nfiles == 0 || (opt && opt->reread))
        err = full_build(idx, root, opt, stats);
    else
        err = incremental(idx, root, opt, stats);
    stats->seconds = cv_seconds_since(start);
    return err;
}
