/*
 * index_walk.c: walks the source tree and compares it with what the index holds, without
 * reading unchanged files. Every folder's files are summarised in a signature (a sum of hashes
 * of name, size and mtime); a folder whose signature matches the stored one is skipped after
 * one readdir and one fstatat per file, so a run with no change costs about as much as
 * `find -printf '%s %T@'`. In a changed folder, names are matched with the stored rows: same
 * size and mtime is unchanged; a vanished name and a new name with the same content (hash)
 * is a rename (_1 -> _2) and is not parsed again; the rest is new, changed or vanished.
 *
 * The walker emits work items in batches to a sink (the writer thread, or a scan kept for the
 * daemon). It reads the database through its own connection and never writes it.
 */
#include "index_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct dirinfo {
    char *path;
    int64_t id, sig;
    bool seen;
};

struct entry {
    char *name;
    int64_t size, mtime_ns;
    bool regular;
};

struct dbrow {
    char *name;
    int64_t id, size, mtime_ns;
    uint8_t hash[INDEX_HASH_LEN];
    bool have_hash, rejected, matched;
};

struct walk {
    sqlite3 *db; /* read-only view; NULL for a full build */
    sqlite3_stmt *rows_stmt;
    const char *root;
    const struct cv_index_options *opt;
    struct reader *rd;
    struct walk_sink *sink;
    struct cv_index_stats *stats;
    bool extract; /* parse new and changed files now (update), or classify only (scan) */
    bool reread;
    struct dirinfo *dirs; /* open addressing on path */
    size_t dircap, ndirs;
    int64_t next_dir_id, next_file_id;
    struct batch *batch;
    uint64_t files_done, files_total;
    enum cv_err err;
};

/* ---- the folder map ----------------------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static struct dirinfo *dir_slot(struct walk *w, const char *path)
{
    size_t i;

    if (!w->dircap)
        return NULL;
    for (i = hash_str(path) & (w->dircap - 1); w->dirs[i].path; i = (i + 1) & (w->dircap - 1))
        if (strcmp(w->dirs[i].path, path) == 0)
            return &w->dirs[i];
    return &w->dirs[i];
}

static enum cv_err dir_map_grow(struct walk *w, size_t want)
{
    size_t cap = 1024;
    struct dirinfo *old = w->dirs;
    size_t oldcap = w->dircap;

    while (cap < want * 2)
        cap *= 2;
    if (cap <= w->dircap)
        return CV_OK;
    w->dirs = cv_calloc(cap, sizeof(*w->dirs));
    if (!w->dirs) {
        w->dirs = old;
        return cv_fail(CV_ENOMEM, "out of memory for %zu folders", want);
    }
    w->dircap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].path)
            *dir_slot(w, old[i].path) = old[i];
    cv_free(old);
    return CV_OK;
}

static enum cv_err load_dirs(struct walk *w)
{
    sqlite3_stmt *st;
    enum cv_err err = CV_OK;
    int rc;

    if (!w->db)
        return dir_map_grow(w, 16);
    if (sqlite3_prepare_v2(w->db, "SELECT id, path, sig FROM dirs", -1, &st, NULL) != SQLITE_OK)
        return index_db_error(w->db, "reading folders");
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct dirinfo *d;

        if (w->ndirs * 2 >= w->dircap && (err = dir_map_grow(w, w->ndirs * 2 + 16)))
            break;
        d = dir_slot(w, index_col(st, 1));
        d->path = cv_strdup(index_col(st, 1));
        if (!d->path) {
            err = cv_fail(CV_ENOMEM, "out of memory");
            break;
        }
        d->id = sqlite3_column_int64(st, 0);
        d->sig = sqlite3_column_int64(st, 2);
        w->ndirs++;
        if (d->id >= w->next_dir_id)
            w->next_dir_id = d->id + 1;
    }
    sqlite3_finalize(st);
    if (!err && w->ndirs == 0)
        err = dir_map_grow(w, 16);
    return err;
}

static void free_dirs(struct walk *w)
{
    for (size_t i = 0; i < w->dircap; i++)
        cv_free(w->dirs[i].path);
    cv_free(w->dirs);
    w->dirs = NULL;
}

/* ---- batches ------------------------------------------------------------------------------ */

static enum cv_err flush(struct walk *w)
{
    struct batch *b = w->batch;

    w->batch = NULL;
    if (!b || b->n == 0) {
        batch_free(b);
        return CV_OK;
    }
    return w->sink->batch_ready(b, w->sink->arg);
}

static struct item *new_item(struct walk *w, enum item_kind kind, const char *dir)
{
    struct item *it;

    if (w->batch && (w->batch->n >= INDEX_BATCH_FILES || w->batch->arena.bytes > (8u << 20)) &&
        (w->err = flush(w)))
        return NULL;
    if (!w->batch && !(w->batch = cv_calloc(1, sizeof(*w->batch)))) {
        w->err = cv_fail(CV_ENOMEM, "out of memory");
        return NULL;
    }
    it = batch_add(w->batch);
    if (!it || !(it->dir = xa_dup(&w->batch->arena, dir))) {
        w->err = cv_fail(CV_ENOMEM, "out of memory");
        return NULL;
    }
    it->kind = kind;
    return it;
}

static bool progress(struct walk *w)
{
    struct cv_progress p = {"indexing", w->files_done, w->files_total, w->rd->bytes};

    if (w->files_total && w->files_done > w->files_total)
        p.total = 0;
    if (w->opt && w->opt->progress && !w->opt->progress(&p, w->opt->progress_arg)) {
        w->err = cv_fail(CV_ECANCELED, "indexing stopped");
        return false;
    }
    return true;
}

/* ---- one file ----------------------------------------------------------------------------- */

static void count_state(struct walk *w, const struct item *it)
{
    if (it->state == FS_REJECTED)
        w->stats->rejected++;
    else if (it->state == FS_SUPERSEDED)
        w->stats->superseded++;
    else if (it->state == FS_DELETED)
        w->stats->deleted++;
}

/* A new or changed file: read it (and parse it when extracting), then queue it. */
static bool emit_read(struct walk *w, const char *dir, int64_t dir_id, const struct entry *e,
                      enum item_kind kind, int64_t file_id)
{
    struct item *it = new_item(w, kind, dir);

    if (!it)
        return false;
    it->dir_id = dir_id;
    it->file_id = file_id;
    it->name = xa_dup(&w->batch->arena, e->name);
    it->size = e->size;
    it->mtime_ns = e->mtime_ns;
    if (!it->name) {
        w->err = cv_fail(CV_ENOMEM, "out of memory");
        return false;
    }
    if (!e->regular) {
        char rel[4096];

        index_join(rel, sizeof(rel), dir, e->name);
        it->path_ok = cv_ssmix2_path_parse(rel, &it->path) == CV_OK;
        it->state = FS_REJECTED;
        it->read_done = true;
        it->reason = "not a regular file (symbolic links and devices are not followed)";
    } else if (w->extract || kind == IT_CONTENT) {
        w->err = reader_process(w->rd, w->root, it, &w->batch->arena, w->extract);
        if (w->err)
            return false;
    } else {
        char rel[4096];

        index_join(rel, sizeof(rel), dir, e->name);
        it->path_ok = cv_ssmix2_path_parse(rel, &it->path) == CV_OK;
    }
    if (it->deferred) {
        w->batch->n--; /* not recorded: looked at again next run */
        w->stats->deferred++;
        return false;
    }
    if (kind == IT_NEW)
        w->stats->new_files++;
    else
        w->stats->updated++;
    if (it->read_done)
        count_state(w, it);
    return true;
}

/* A stored file that is gone (or renamed away). */
static bool emit_simple(struct walk *w, enum item_kind kind, const char *dir, int64_t dir_id,
                        const struct dbrow *row, const struct entry *e)
{
    struct item *it = new_item(w, kind, dir);
    char rel[4096];

    if (!it)
        return false;
    it->dir_id = dir_id;
    it->file_id = row->id;
    it->old_name = xa_dup(&w->batch->arena, row->name);
    it->name = e ? xa_dup(&w->batch->arena, e->name) : it->old_name;
    it->size = e ? e->size : row->size;
    it->mtime_ns = e ? e->mtime_ns : row->mtime_ns;
    memcpy(it->hash, row->hash, INDEX_HASH_LEN);
    it->have_hash = row->have_hash;
    if (!it->name || !it->old_name) {
        w->err = cv_fail(CV_ENOMEM, "out of memory");
        return false;
    }
    index_join(rel, sizeof(rel), dir, it->name);
    it->path_ok = cv_ssmix2_path_parse(rel, &it->path) == CV_OK;
    if (kind == IT_RENAMED) {
        it->state = it->path.name.flag;
        w->stats->renamed++;
        count_state(w, it);
    } else if (kind == IT_VANISHED) {
        w->stats->vanished++;
    } else if (kind == IT_TOUCHED) {
        w->stats->unchanged++;
    }
    return true;
}

/* ---- one folder --------------------------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static int64_t entry_sig(const struct entry *e)
{
    uint64_t h = hash_str(e->name);

    h = (h ^ (uint64_t)e->size) * 1099511628211ULL;
    h = (h ^ (uint64_t)e->mtime_ns) * 1099511628211ULL;
    h ^= h >> 29;
    return (int64_t)(h * 0xBF58476D1CE4E5B9ULL);
}

static enum cv_err load_rows(struct walk *w, int64_t dir_id, struct dbrow **out, size_t *n)
{
    sqlite3_stmt *st = w->rows_stmt;
    struct dbrow *rows = NULL;
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (!st)
        return CV_OK;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, dir_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct dbrow *r;
        const void *h = sqlite3_column_blob(st, 4);

        if (*n == cap) {
            struct dbrow *grown = cv_reallocarray(rows, cap ? cap * 2 : 16, sizeof(*rows));

            if (!grown)
                goto out_nomem;
            rows = grown;
            cap = cap ? cap * 2 : 16;
        }
        r = &rows[(*n)++];
        memset(r, 0, sizeof(*r));
        r->id = sqlite3_column_int64(st, 0);
        r->name = cv_strdup(index_col(st, 1));
        r->size = sqlite3_column_int64(st, 2);
        r->mtime_ns = sqlite3_column_int64(st, 3);
        r->have_hash = h && sqlite3_column_bytes(st, 4) == INDEX_HASH_LEN;
        if (r->have_hash)
            memcpy(r->hash, h, INDEX_HASH_LEN);
        r->rejected = strcmp(index_col(st, 5) ? index_col(st, 5) : "", "rejected") == 0;
        if (!r->name)
            goto out_nomem;
    }
    sqlite3_reset(st);
    *out = rows;
    return rc == SQLITE_DONE ? CV_OK : index_db_error(w->db, "reading files");

out_nomem:
    sqlite3_reset(st);
    *out = rows;
    return cv_fail(CV_ENOMEM, "out of memory");
}

static void free_rows(struct dbrow *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cv_free(rows[i].name);
    cv_free(rows);
}

/* Is the new entry `e` the content of a vanished row under a new name? Returns the row. */
static struct dbrow *find_rename(struct walk *w, const char *dir, const struct entry *e,
                                 struct dbrow *rows, size_t nrows)
{
    uint8_t hash[INDEX_HASH_LEN];
    bool hashed = false;
    char rel[4096];
    struct cv_ssmix2_path p;

    for (size_t k = 0; k < nrows; k++) {
        struct dbrow *r = &rows[k];

        if (r->matched || r->rejected || !r->have_hash || r->size != e->size || !e->regular)
            continue;
        if (!hashed) {
            index_join(rel, sizeof(rel), dir, e->name);
            if (cv_ssmix2_path_parse(rel, &p) || !reader_hash(w->rd, w->root, dir, e->name, hash))
                return NULL;
            hashed = true;
        }
        if (memcmp(hash, r->hash, INDEX_HASH_LEN) == 0)
            return r;
    }
    return NULL;
}

/* An existing name whose size or time changed: touched (same bytes) or changed. */
static bool changed_entry(struct walk *w, const char *dir, int64_t dir_id, const struct entry *e,
                          const struct dbrow *r)
{
    uint8_t hash[INDEX_HASH_LEN];

    if (e->regular && r->have_hash && !w->reread &&
        reader_hash(w->rd, w->root, dir, e->name, hash) &&
        memcmp(hash, r->hash, INDEX_HASH_LEN) == 0)
        return emit_simple(w, IT_TOUCHED, dir, dir_id, r, e);
    return emit_read(w, dir, dir_id, e, IT_CONTENT, r->id);
}

/* Compare a folder's entries with its stored rows and emit the differences. */
static void diff_dir(struct walk *w, const char *dir, int64_t dir_id, struct entry *ents, size_t n,
                     struct dbrow *rows, size_t nrows, bool *incomplete)
{
    size_t i = 0, k = 0;
    bool *is_new = cv_calloc(n + 1, sizeof(bool));

    if (!is_new) {
        w->err = cv_fail(CV_ENOMEM, "out of memory");
        return;
    }
    if (n > 1)
        qsort(ents, n, sizeof(*ents), cmp_entry);
    while (!w->err && (i < n || k < nrows)) {
        int c = i == n ? 1 : k == nrows ? -1 : strcmp(ents[i].name, rows[k].name);

        if (c < 0) {
            is_new[i++] = true;
        } else if (c > 0) {
            k++; /* vanished unless claimed by a rename below */
        } else {
            rows[k].matched = true;
            if (w->reread || ents[i].size != rows[k].size || ents[i].mtime_ns != rows[k].mtime_ns)
                *incomplete |= !changed_entry(w, dir, dir_id, &ents[i], &rows[k]) && !w->err;
            else
                w->stats->unchanged++;
            i++;
            k++;
        }
    }
    for (i = 0; !w->err && i < n; i++) {
        struct dbrow *from =
            is_new[i] && !w->reread ? find_rename(w, dir, &ents[i], rows, nrows) : NULL;

        if (from) {
            from->matched = true;
            emit_simple(w, IT_RENAMED, dir, dir_id, from, &ents[i]);
        } else if (is_new[i])
            *incomplete |=
                !emit_read(w, dir, dir_id, &ents[i], IT_NEW, w->next_file_id++) && !w->err;
    }
    for (k = 0; !w->err && k < nrows; k++)
        if (!rows[k].matched)
            emit_simple(w, IT_VANISHED, dir, dir_id, &rows[k], NULL);
    cv_free(is_new);
}

/* Emit the folder record: its id, path and the signature to store. */
static void emit_dir(struct walk *w, const char *dir, int64_t id, int64_t sig, bool is_new)
{
    struct item *it = new_item(w, IT_DIR, dir);

    if (!it)
        return;
    it->dir_id = id;
    it->dir_sig = sig;
    it->dir_is_new = is_new;
}

static void process_dir(struct walk *w, const char *dir, struct entry *ents, size_t n)
{
    struct dirinfo *d = dir_slot(w, dir);
    struct dbrow *rows = NULL;
    size_t nrows = 0;
    uint64_t sum = n;
    int64_t sig, id;
    bool known = d && d->path, incomplete = false;

    for (size_t i = 0; i < n; i++)
        sum += (uint64_t)entry_sig(&ents[i]);
    sig = (int64_t)(sum & INT64_MAX); /* never 0 ("look again") or INT64_MIN ("gone") */
    if (sig == 0)
        sig = 1;
    w->stats->seen += n;
    w->files_done += n;
    if (known) {
        d->seen = true;
        if (d->sig == sig && !w->reread) {
            w->stats->unchanged += n;
            return;
        }
        id = d->id;
        w->err = load_rows(w, id, &rows, &nrows);
    } else {
        if (n == 0)
            return; /* folders without files are not recorded */
        id = w->next_dir_id++;
    }
    if (!w->err)
        diff_dir(w, dir, id, ents, n, rows, nrows, &incomplete);
    free_rows(rows, nrows);
    if (!w->err)
        emit_dir(w, dir, id, incomplete ? 0 : sig, !known);
}

/* ---- the walk ----------------------------------------------------------------------------- */

struct listing {
    struct entry *ents;
    size_t n, cap;
    char **subdirs;
    size_t nsub, capsub;
};

static void free_listing(struct listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        cv_free(l->ents[i].name);
    for (size_t i = 0; i < l->nsub; i++)
        cv_free(l->subdirs[i]);
    cv_free(l->ents);
    cv_free(l->subdirs);
}

static enum cv_err add_entry(struct listing *l, const char *name, const struct stat *st)
{
    struct entry *e;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct entry *grown = cv_reallocarray(l->ents, cap, sizeof(*grown));

        if (!grown)
            return cv_fail(CV_ENOMEM, "out of memory");
        l->ents = grown;
        l->cap = cap;
    }
    e = &l->ents[l->n];
    e->name = cv_strdup(name);
    if (!e->name)
        return cv_fail(CV_ENOMEM, "out of memory");
    e->size = st->st_size;
    e->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    e->regular = S_ISREG(st->st_mode);
    l->n++;
    return CV_OK;
}

static enum cv_err add_subdir(struct listing *l, const char *name)
{
    if (l->nsub == l->capsub) {
        size_t cap = l->capsub ? l->capsub * 2 : 16;
        char **grown = cv_reallocarray(l->subdirs, cap, sizeof(*grown));

        if (!grown)
            return cv_fail(CV_ENOMEM, "out of memory");
        l->subdirs = grown;
        l->capsub = cap;
    }
    if (!(l->subdirs[l->nsub] = cv_strdup(name)))
        return cv_fail(CV_ENOMEM, "out of memory");
    l->nsub++;
    return CV_OK;
}

static enum cv_err list_dir(struct walk *w, int fd, struct listing *l)
{
    DIR *d = fdopendir(fd);
    struct dirent *de;
    enum cv_err err = CV_OK;

    if (!d) {
        close(fd);
        return cv_fail_errno(CV_EIO, "cannot list a folder");
    }
    while (!err && (errno = 0, de = readdir(d)) != NULL) {
        struct stat st;

        if (de->d_name[0] == '.') {
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                w->stats->skipped++;
            continue;
        }
        if (de->d_type == DT_DIR) {
            err = add_subdir(l, de->d_name);
            continue;
        }
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* vanished since readdir */
        if (S_ISDIR(st.st_mode))
            err = add_subdir(l, de->d_name);
        else
            err = add_entry(l, de->d_name, &st);
    }
    if (!err && errno)
        err = cv_fail_errno(CV_EIO, "cannot list a folder");
    closedir(d);
    return err;
}

/* A folder we could not list keeps what the index holds under it. */
static void keep_subtree(struct walk *w, const char *dir)
{
    size_t n = strlen(dir);

    log_warn("cannot list '%s' under the source; keeping what the index holds there", dir);
    for (size_t i = 0; i < w->dircap; i++) {
        const char *p = w->dirs[i].path;

        if (p && (strncmp(p, dir, n) == 0 && (p[n] == '/' || p[n] == '\0')))
            w->dirs[i].seen = true;
    }
}

static void walk_dir(struct walk *w, int parent_fd, const char *dir, const char *name, int depth)
{
    struct listing l = {0};
    char path[4096];
    int fd, listfd;

    index_join(path, sizeof(path), dir, name);
    if (strlen(path) >= sizeof(path) - 256 || depth > INDEX_MAX_DEPTH) {
        log_warn("'%s' is nested too deep under the source; not indexed", path);
        return;
    }
    fd = openat(parent_fd, *name ? name : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    listfd = fd < 0 ? -1 : dup(fd);
    if (fd < 0 || listfd < 0 || list_dir(w, listfd, &l)) {
        keep_subtree(w, path);
        free_listing(&l);
        if (fd >= 0)
            close(fd);
        return;
    }
    process_dir(w, path, l.ents, l.n);
    if (w->files_done / 2000 != (w->files_done - l.n) / 2000 || l.n > 2000)
        progress(w);
    for (size_t i = 0; !w->err && i < l.nsub; i++)
        walk_dir(w, fd, path, l.subdirs[i], depth + 1);
    close(fd);
    free_listing(&l);
}

/* Folders the index knows that the walk did not see: all their files vanished. */
static void vanished_dirs(struct walk *w)
{
    for (size_t i = 0; !w->err && i < w->dircap; i++) {
        struct dirinfo *d = &w->dirs[i];
        struct dbrow *rows = NULL;
        size_t nrows = 0;

        if (!d->path || d->seen)
            continue;
        w->err = load_rows(w, d->id, &rows, &nrows);
        for (size_t k = 0; !w->err && k < nrows; k++)
            emit_simple(w, IT_VANISHED, d->path, d->id, &rows[k], NULL);
        free_rows(rows, nrows);
        if (!w->err)
            emit_dir(w, d->path, d->id, INT64_MIN, false);
    }
}

static enum cv_err walk_prepare(struct walk *w)
{
    sqlite3_stmt *st;

    if (!w->db)
        return load_dirs(w);
    if (sqlite3_prepare_v2(w->db, "SELECT max(id), count(*) FROM files", -1, &st, NULL) !=
        SQLITE_OK)
        return index_db_error(w->db, "reading files");
    if (sqlite3_step(st) == SQLITE_ROW) {
        w->next_file_id = sqlite3_column_int64(st, 0) + 1;
        w->files_total = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(w->db,
                           "SELECT id, name, size, mtime_ns, hash, state FROM files"
                           " WHERE dir_id = ?1 ORDER BY name",
                           -1, &w->rows_stmt, NULL) != SQLITE_OK)
        return index_db_error(w->db, "reading files");
    return load_dirs(w);
}

enum cv_err index_walk(sqlite3 *db, const char *root, const struct cv_index_options *opt,
                       struct reader *rd, struct walk_sink *sink, struct cv_index_stats *stats,
                       bool extract)
{
    struct walk w = {.db = db,
                     .root = root,
                     .opt = opt,
                     .rd = rd,
                     .sink = sink,
                     .stats = stats,
                     .extract = extract,
                     .reread = opt && opt->reread,
                     .next_dir_id = 1,
                     .next_file_id = 1};
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot open the source '%s'", root);
    w.err = walk_prepare(&w);
    if (!w.err)
        walk_dir(&w, fd, "", "", 0);
    close(fd);
    if (!w.err && w.stats->seen == 0 && w.files_total > 0)
        w.err = cv_fail(CV_EIO,
                        "the source '%s' holds no files but the index holds %llu; "
                        "refusing to forget them (is the share mounted?)",
                        root, (unsigned long long)w.files_total);
    if (!w.err)
        vanished_dirs(&w);
    if (!w.err)
        w.err = flush(&w);
    if (!w.err)
        progress(&w);
    batch_free(w.batch);
    sqlite3_finalize(w.rows_stmt);
    free_dirs(&w);
    return w.err;
}
