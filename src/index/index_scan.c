/*
 * index_scan.c: what the protection daemon needs beyond a plain update. cv_index_scan() finds
 * every change since the last run and classifies it (new, changed content, renamed, vanished,
 * no longer HL7, high entropy) without touching the index, so that a ransomware-like mass
 * change can be refused; cv_index_apply() then applies all of it or only some kinds.
 * cv_index_paths() indexes a handful of named files at once (inotify events, messages the
 * MLLP listener just stored) without walking the tree.
 */
#include "index_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct cv_index_scan {
    char *root;
    pthread_mutex_t mu; /* the walk's threads hand in batches at the same time */
    struct batch *head, *tail;
    struct cv_index_scan_summary sum;
};

static void summarise(struct cv_index_scan_summary *s, const struct item *it)
{
    switch (it->kind) {
    case IT_NEW:
        s->new_files++;
        s->renamed_unknown += !it->path_ok;
        break;
    case IT_CONTENT:
        s->changed++;
        s->unparseable += it->read_done && !it->parses;
        s->high_entropy += it->high_entropy;
        break;
    case IT_RENAMED:
        s->renamed++;
        s->renamed_unknown += !it->path_ok;
        break;
    case IT_VANISHED:
        s->vanished++;
        break;
    case IT_TOUCHED:
        s->touched++;
        break;
    case IT_DIR:
        break;
    }
}

static enum cv_err keep_batch(struct batch *b, void *arg)
{
    struct cv_index_scan *scan = arg;

    pthread_mutex_lock(&scan->mu);
    for (size_t i = 0; i < b->n; i++)
        summarise(&scan->sum, &b->items[i]);
    b->next = NULL;
    if (scan->tail)
        scan->tail->next = b;
    else
        scan->head = b;
    scan->tail = b;
    pthread_mutex_unlock(&scan->mu);
    return CV_OK;
}

void cv_index_scan_free(struct cv_index_scan *scan)
{
    if (!scan)
        return;
    while (scan->head) {
        struct batch *next = scan->head->next;

        batch_free(scan->head);
        scan->head = next;
    }
    pthread_mutex_destroy(&scan->mu);
    cv_free(scan->root);
    cv_free(scan);
}

enum cv_err cv_index_scan(struct cv_index *idx, const char *root,
                          const struct cv_index_options *opt, struct cv_index_scan **out)
{
    struct cv_index_scan *scan = cv_calloc(1, sizeof(*scan));
    struct walk_sink sink = {keep_batch, scan};
    struct cv_index_stats stats = {0};
    sqlite3 *view = NULL;
    long long existing = 0;
    enum cv_err err;

    *out = NULL;
    if (idx->stale) {
        cv_free(scan);
        return index_stale_error(idx->path, idx->stale);
    }
    if (!scan || !(scan->root = cv_strdup(root))) {
        cv_free(scan);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&scan->mu, NULL);
    err = index_refresh(idx);
    if (!err)
        err = index_open_view(idx, &view);
    if (!err)
        err = index_files_count(view, &existing);
    sqlite3_close(view);
    if (!err)
        err = index_walk(idx->path, root, opt, &sink, &stats, false);
    if (err) {
        cv_index_scan_free(scan);
        return err;
    }
    scan->sum.seen = stats.seen;
    scan->sum.existing = (uint64_t)existing;
    *out = scan;
    return CV_OK;
}

void cv_index_scan_summary(const struct cv_index_scan *scan, struct cv_index_scan_summary *out)
{
    *out = scan->sum;
}

int cv_index_scan_foreach(const struct cv_index_scan *scan,
                          int (*fn)(const struct cv_index_change *c, void *arg), void *arg)
{
    static const enum cv_index_change_kind kinds[] = {
        [IT_NEW] = CV_CHANGE_NEW,         [IT_CONTENT] = CV_CHANGE_CONTENT,
        [IT_RENAMED] = CV_CHANGE_RENAMED, [IT_VANISHED] = CV_CHANGE_VANISHED,
        [IT_TOUCHED] = CV_CHANGE_TOUCHED,
    };

    for (const struct batch *b = scan->head; b; b = b->next) {
        for (size_t i = 0; i < b->n; i++) {
            const struct item *it = &b->items[i];
            char path[8192], old[8192];
            struct cv_index_change c;
            int rc;

            if (it->kind == IT_DIR)
                continue;
            if (index_join(path, sizeof(path), it->dir, it->name) ||
                index_join(old, sizeof(old), it->dir, it->old_name ? it->old_name : it->name))
                return -1;
            c = (struct cv_index_change){kinds[it->kind],
                                         path,
                                         it->kind == IT_RENAMED ? old : NULL,
                                         it->path_ok,
                                         it->kind != IT_CONTENT || it->parses,
                                         it->high_entropy,
                                         it->entropy};
            rc = fn(&c, arg);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static bool wanted(const struct item *it, unsigned what)
{
    static const unsigned bits[] = {[IT_NEW] = CV_APPLY_NEW,
                                    [IT_CONTENT] = CV_APPLY_CONTENT,
                                    [IT_RENAMED] = CV_APPLY_RENAMED,
                                    [IT_VANISHED] = CV_APPLY_VANISHED,
                                    [IT_TOUCHED] = CV_APPLY_TOUCHED};

    return it->kind != IT_DIR && (what & bits[it->kind]);
}

static void count_applied(struct cv_index_stats *s, const struct item *it)
{
    if (it->kind == IT_NEW)
        s->new_files++;
    else if (it->kind == IT_CONTENT)
        s->updated++;
    else if (it->kind == IT_RENAMED)
        s->renamed++;
    else if (it->kind == IT_VANISHED)
        s->vanished++;
    if (it->kind == IT_VANISHED || it->kind == IT_TOUCHED)
        return;
    s->rejected += it->state == FS_REJECTED;
    s->superseded += it->state == FS_SUPERSEDED;
    s->deleted += it->state == FS_DELETED;
}

/* One item of a scan: re-read new and changed files (they may have changed again). */
static enum cv_err apply_item(struct writer *w, struct reader *rd, const char *root,
                              struct batch *b, struct item *it, unsigned what,
                              struct cv_index_stats *stats)
{
    if (it->kind == IT_DIR) {
        struct item d = *it;

        if (what != CV_APPLY_ALL && d.dir_sig == INT64_MIN && !(what & CV_APPLY_VANISHED))
            return CV_OK;
        if (what != CV_APPLY_ALL && d.dir_sig != INT64_MIN)
            d.dir_sig = 0; /* look at this folder again next time */
        return writer_apply(w, &d);
    }
    if (!wanted(it, what))
        return CV_OK;
    if (it->kind == IT_NEW || it->kind == IT_CONTENT) {
        enum cv_err err;

        memset(&it->rows, 0, sizeof(it->rows));
        it->deferred = false;
        err = reader_process(rd, root, it, &b->arena, true);
        if (err)
            return err;
        if (it->deferred) {
            stats->deferred++;
            return CV_OK;
        }
    }
    count_applied(stats, it);
    return writer_apply(w, it);
}

enum cv_err cv_index_apply(struct cv_index *idx, struct cv_index_scan *scan, unsigned what,
                           const struct cv_index_options *opt, struct cv_index_stats *stats)
{
    uint64_t start = cv_monotonic_ms();
    struct writer *w = NULL;
    struct reader rd;
    enum cv_err err;

    memset(stats, 0, sizeof(*stats));
    if (idx->flags & CV_INDEX_READONLY)
        return cv_fail(CV_EINVAL, "the index was opened read-only");
    err = reader_init(&rd, opt);
    if (err)
        return err;
    err = index_refresh(idx);
    if (!err)
        err = index_exec(idx->db, "BEGIN IMMEDIATE");
    if (err)
        goto out_reader;
    err = writer_new(idx->db, &w);
    for (struct batch *b = scan->head; !err && b; b = b->next)
        for (size_t i = 0; !err && i < b->n; i++)
            err = apply_item(w, &rd, scan->root, b, &b->items[i], what, stats);
    stats->seen = scan->sum.seen;
    stats->bytes = rd.bytes;
    if (!err)
        err = index_finish_run(idx->db, w, false, scan->root, stats,
                               what == CV_APPLY_ALL ? FINISH_TIME | FINISH_COUNTS : FINISH_COUNTS);
    if (!err)
        err = index_exec(idx->db, "COMMIT");
    if (err)
        index_exec(idx->db, "ROLLBACK");
    writer_free(w);
out_reader:
    reader_free(&rd);
    stats->seconds = cv_seconds_since(start);
    return err;
}

/* ---- a few named paths ------------------------------------------------------------------- */

struct paths_ctx {
    struct cv_index *idx;
    const char *root;
    struct writer *w;
    struct reader rd;
    struct batch b;
    sqlite3_stmt *dir_q, *file_q;
    int64_t next_dir, next_file;
    struct cv_index_stats *stats;
};

static enum cv_err max_id(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return index_db_error(db, "reading ids");
    *out = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) + 1 : 1;
    sqlite3_finalize(st);
    return CV_OK;
}

static bool safe_relpath(const char *p)
{
    if (!*p || *p == '/' || strlen(p) > 3000)
        return false;
    for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2)
        if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
            return false;
    return true;
}

/* The folder's id (creating its row with signature 0, so a walk looks at it again). */
static enum cv_err folder_id(struct paths_ctx *c, const char *dir, int64_t *id)
{
    struct item d = {.kind = IT_DIR, .dir = dir, .dir_sig = 0};

    sqlite3_reset(c->dir_q);
    sqlite3_bind_text(c->dir_q, 1, dir, -1, SQLITE_TRANSIENT);
    d.dir_id =
        sqlite3_step(c->dir_q) == SQLITE_ROW ? sqlite3_column_int64(c->dir_q, 0) : c->next_dir++;
    sqlite3_reset(c->dir_q);
    *id = d.dir_id;
    return writer_apply(c->w, &d);
}

/* Classify one path into an item of c->b (or none when nothing changed). */
static enum cv_err classify(struct paths_ctx *c, const char *rel)
{
    char dir[4096], full[8192];
    const char *slash = strrchr(rel, '/'), *name = slash ? slash + 1 : rel;
    struct stat st;
    struct item *it;
    int64_t dir_id;
    bool on_disk, in_db;
    enum cv_err err;

    if (cv_path_format(dir, sizeof(dir), "%.*s", slash ? (int)(slash - rel) : 0, rel) ||
        cv_path_join(full, sizeof(full), c->root, rel))
        return cv_fail_prefix(CV_ETOOBIG, "scan: ");
    on_disk = lstat(full, &st) == 0 && !S_ISDIR(st.st_mode);
    err = folder_id(c, dir, &dir_id);
    if (err)
        return err;
    sqlite3_reset(c->file_q);
    sqlite3_bind_int64(c->file_q, 1, dir_id);
    sqlite3_bind_text(c->file_q, 2, name, -1, SQLITE_TRANSIENT);
    in_db = sqlite3_step(c->file_q) == SQLITE_ROW;
    if (!on_disk && !in_db)
        return CV_OK;
    c->stats->seen += on_disk;
    if (!(it = batch_add(&c->b)))
        return cv_fail(CV_ENOMEM, "out of memory");
    it->dir = xa_dup(&c->b.arena, dir);
    it->name = xa_dup(&c->b.arena, name);
    it->dir_id = dir_id;
    it->file_id = in_db ? sqlite3_column_int64(c->file_q, 0) : c->next_file++;
    it->size = on_disk ? st.st_size : sqlite3_column_int64(c->file_q, 1);
    it->mtime_ns = on_disk ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec
                           : sqlite3_column_int64(c->file_q, 2);
    if (in_db && sqlite3_column_bytes(c->file_q, 3) == INDEX_HASH_LEN) {
        memcpy(it->hash, sqlite3_column_blob(c->file_q, 3), INDEX_HASH_LEN);
        it->have_hash = true;
    }
    it->kind = !on_disk ? IT_VANISHED : in_db ? IT_CONTENT : IT_NEW;
    if (it->kind == IT_CONTENT && it->size == sqlite3_column_int64(c->file_q, 1) &&
        it->mtime_ns == sqlite3_column_int64(c->file_q, 2))
        c->b.n--; /* unchanged */
    sqlite3_reset(c->file_q);
    if (it->dir && it->name)
        cv_ssmix2_path_parse(rel, &it->path);
    return it->dir && it->name ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
}

/* A vanished path and a new one with the same bytes in this call are a rename. */
static void pair_renames(struct paths_ctx *c)
{
    for (size_t i = 0; i < c->b.n; i++) {
        struct item *nw = &c->b.items[i];
        uint8_t hash[INDEX_HASH_LEN];
        bool hashed = false;

        for (size_t k = 0; nw->kind == IT_NEW && k < c->b.n; k++) {
            struct item *gone = &c->b.items[k];

            if (gone->kind != IT_VANISHED || !gone->have_hash || gone->dir_id != nw->dir_id ||
                gone->size != nw->size)
                continue;
            if (!hashed && !reader_hash(&c->rd, c->root, nw->dir, nw->name, hash))
                break;
            hashed = true;
            if (memcmp(hash, gone->hash, INDEX_HASH_LEN) != 0)
                continue;
            nw->kind = IT_RENAMED;
            nw->file_id = gone->file_id;
            nw->state = nw->path.name.flag;
            gone->kind = IT_DIR; /* consumed: replaced by the rename */
            gone->dir_sig = 0;
        }
    }
}

static enum cv_err paths_apply(struct paths_ctx *c)
{
    enum cv_err err = CV_OK;

    pair_renames(c);
    for (size_t i = 0; !err && i < c->b.n; i++) {
        struct item *it = &c->b.items[i];

        if (it->kind == IT_NEW || it->kind == IT_CONTENT) {
            err = reader_process(&c->rd, c->root, it, &c->b.arena, true);
            if (err)
                break;
            if (it->deferred) {
                c->stats->deferred++;
                continue;
            }
        }
        count_applied(c->stats, it);
        err = writer_apply(c->w, it);
    }
    return err;
}

static enum cv_err paths_prepare(struct paths_ctx *c)
{
    enum cv_err err = max_id(c->idx->db, "SELECT max(id) FROM dirs", &c->next_dir);

    if (!err)
        err = max_id(c->idx->db, "SELECT max(id) FROM files", &c->next_file);
    if (!err && (sqlite3_prepare_v2(c->idx->db, "SELECT id FROM dirs WHERE path = ?1", -1,
                                    &c->dir_q, NULL) != SQLITE_OK ||
                 sqlite3_prepare_v2(c->idx->db,
                                    "SELECT id, size, mtime_ns, hash FROM files"
                                    " WHERE dir_id = ?1 AND name = ?2",
                                    -1, &c->file_q, NULL) != SQLITE_OK))
        err = index_db_error(c->idx->db, "prepare");
    if (!err)
        err = writer_new(c->idx->db, &c->w);
    return err;
}

enum cv_err cv_index_paths(struct cv_index *idx, const char *root, const char *const *relpaths,
                           size_t n, const struct cv_index_options *opt,
                           struct cv_index_stats *stats)
{
    uint64_t start = cv_monotonic_ms();
    struct paths_ctx c = {.idx = idx, .root = root, .stats = stats};
    enum cv_err err;

    memset(stats, 0, sizeof(*stats));
    if (idx->flags & CV_INDEX_READONLY)
        return cv_fail(CV_EINVAL, "the index was opened read-only");
    if (idx->stale)
        return index_stale_error(idx->path, idx->stale);
    for (size_t i = 0; i < n; i++)
        if (!safe_relpath(relpaths[i]))
            return cv_fail(CV_EINVAL, "path %zu is not relative to the source", i + 1);
    err = reader_init(&c.rd, opt);
    if (err)
        return err;
    err = index_refresh(idx);
    if (!err)
        err = index_exec(idx->db, "BEGIN IMMEDIATE");
    if (err)
        goto out_reader;
    err = paths_prepare(&c);
    for (size_t i = 0; !err && i < n; i++)
        err = classify(&c, relpaths[i]);
    if (!err)
        err = paths_apply(&c);
    stats->bytes = c.rd.bytes;
    if (!err)
        err = index_finish_run(idx->db, c.w, false, root, stats, FINISH_TIME);
    if (!err)
        err = index_exec(idx->db, "COMMIT");
    if (err)
        index_exec(idx->db, "ROLLBACK");
    sqlite3_finalize(c.dir_q);
    sqlite3_finalize(c.file_q);
    writer_free(c.w);
    xa_free(&c.b.arena);
    cv_free(c.b.items);
out_reader:
    reader_free(&c.rd);
    stats->seconds = cv_seconds_since(start);
    return err;
}
