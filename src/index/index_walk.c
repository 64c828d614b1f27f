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
#include <pthread.h>
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DENTS_BUF 65536

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

/* What every thread of a walk shares. */
struct shared {
    const char *root;
    const char *view_path; /* the index, for each thread's read connection; NULL: first build */
    const struct cv_index_options *opt;
    struct walk_sink *sink;
    bool extract; /* parse new and changed files now (update), or classify only (scan) */
    bool reread;
    int rootfd;
    _Atomic int64_t next_dir_id, next_file_id;
    _Atomic uint64_t dirs_matched; /* folders of the index met during the walk */
    _Atomic uint64_t files_done, bytes;
    uint64_t files_total;
    pthread_mutex_t mu; /* guards what follows, and calls to the sink */
    pthread_cond_t cv;
    char **jobs; /* patient folders, walked by whichever thread takes them */
    size_t njobs, capjobs, nextjob;
    char **shallow; /* folders above patient level that the index holds and the walk saw */
    size_t nshallow, capshallow;
    char **kept; /* folders above patient level that could not be listed */
    size_t nkept, capkept;
    bool listing_done;
    enum cv_err err; /* the first failure of any thread */
    char errmsg[1024];
};

/* One thread's part of a walk. */
struct walk {
    struct shared *s;
    sqlite3 *db; /* this thread's read connection; NULL on a first build */
    sqlite3_stmt *rows_stmt;
    struct reader *rd;
    struct batch *batch;
    struct cv_index_stats *stats;
    bool enumerating; /* the main thread, handing out patient folders as jobs */
    bool main_thread; /* the caller's thread: the only one that reports progress */
    char *dents;      /* getdents64 buffer */
    /* the folders the index holds under the patient folder being walked (open addressing) */
    struct dirinfo *dirs;
    size_t dircap, ndirs;
    struct xarena dir_arena;
    sqlite3_stmt *dirs_stmt, *dir_stmt;
    enum cv_err err;
};

/* ---- the folder map ----------------------------------------------------------------------- */

static struct dirinfo *dir_slot(struct walk *w, const char *path)
{
    size_t i;

    if (!w->dircap)
        return NULL;
    for (i = cv_fnv1a_str(path) & (w->dircap - 1); w->dirs[i].path; i = (i + 1) & (w->dircap - 1))
        if (strcmp(w->dirs[i].path, path) == 0)
            return &w->dirs[i];
    return &w->dirs[i];
}

static enum cv_err dir_map_grow(struct walk *w)
{
    struct dirinfo *old = w->dirs;
    size_t oldcap = w->dircap, cap = oldcap ? oldcap * 2 : 64;

    w->dirs = cv_calloc(cap, sizeof(*w->dirs));
    if (!w->dirs) {
        w->dirs = old;
        return cv_fail(CV_ENOMEM, "out of memory for %zu folders", w->ndirs);
    }
    w->dircap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].path)
            *dir_slot(w, old[i].path) = old[i];
    cv_free(old);
    return CV_OK;
}

static enum cv_err dir_map_add(struct walk *w, sqlite3_stmt *st)
{
    struct dirinfo *d;

    if ((w->ndirs + 1) * 4 >= w->dircap * 3) {
        enum cv_err err = dir_map_grow(w);

        if (err)
            return err;
    }
    d = dir_slot(w, index_col(st, 1));
    if (d->path)
        return CV_OK;
    if (!(d->path = xa_dup(&w->dir_arena, index_col(st, 1))))
        return cv_fail(CV_ENOMEM, "out of memory");
    d->id = sqlite3_column_int64(st, 0);
    d->sig = sqlite3_column_int64(st, 2);
    d->seen = false;
    w->ndirs++;
    atomic_fetch_add(&w->s->dirs_matched, 1);
    return CV_OK;
}

/* Forget the folders of the previous patient folder; keep the memory. */
static void dir_map_clear(struct walk *w)
{
    if (w->dircap)
        memset(w->dirs, 0, w->dircap * sizeof(*w->dirs));
    w->ndirs = 0;
    xa_free(&w->dir_arena);
}

static enum cv_err step_into_map(struct walk *w, sqlite3_stmt *st)
{
    enum cv_err err = CV_OK;
    int rc;

    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
        err = dir_map_add(w, st);
    sqlite3_reset(st);
    if (!err && rc != SQLITE_DONE)
        err = index_db_error(w->db, "reading folders");
    return err;
}

/* What the index holds for folder `path` itself and, with `subtree`, everything under it. */
static enum cv_err load_dirs(struct walk *w, const char *path, bool subtree)
{
    char lo[4200], hi[4200];
    enum cv_err err;

    dir_map_clear(w);
    if (!w->db)
        return CV_OK;
    sqlite3_bind_text(w->dir_stmt, 1, path, -1, SQLITE_TRANSIENT);
    err = step_into_map(w, w->dir_stmt);
    if (err || !subtree)
        return err;
    /* '/' + 1 == '0': [path/, path0) is exactly the subtree in byte order */
    err = cv_path_format(lo, sizeof(lo), "%s/", path);
    if (!err)
        err = cv_path_format(hi, sizeof(hi), "%s0", path);
    if (err)
        return err;
    sqlite3_bind_text(w->dirs_stmt, 1, lo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(w->dirs_stmt, 2, hi, -1, SQLITE_TRANSIENT);
    return step_into_map(w, w->dirs_stmt);
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
    return w->s->sink->batch_ready(b, w->s->sink->arg);
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

/* The shared error: the first failure of any thread wins, with its message. */
static void set_error(struct walk *w, enum cv_err err)
{
    pthread_mutex_lock(&w->s->mu);
    if (!w->s->err) {
        w->s->err = err;
        cv_strlcpy(w->s->errmsg, cv_errmsg(), sizeof(w->s->errmsg));
    }
    pthread_cond_broadcast(&w->s->cv);
    pthread_mutex_unlock(&w->s->mu);
}

static bool failed(struct walk *w)
{
    enum cv_err err;

    if (w->err)
        return true;
    pthread_mutex_lock(&w->s->mu);
    err = w->s->err;
    pthread_mutex_unlock(&w->s->mu);
    return err != CV_OK;
}

/* Only the calling thread reports progress (the callback need not be thread-safe). */
static void progress(struct walk *w)
{
    uint64_t done = atomic_load(&w->s->files_done);
    struct cv_progress p = {"indexing", done, w->s->files_total, atomic_load(&w->s->bytes)};

    if (!w->main_thread)
        return;
    if (w->s->files_total && done > w->s->files_total)
        p.total = 0;
    if (w->s->opt && w->s->opt->progress && !w->s->opt->progress(&p, w->s->opt->progress_arg))
        w->err = cv_fail(CV_ECANCELED, "indexing stopped");
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
static bool emit_read(struct walk *w, const char *dir, int64_t dir_id, struct entry *e,
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

        it->path_ok = index_join(rel, sizeof(rel), dir, e->name) == CV_OK &&
                      cv_ssmix2_path_parse(rel, &it->path) == CV_OK;
        it->state = FS_REJECTED;
        it->read_done = true;
        it->reason = "not a regular file (symbolic links and devices are not followed)";
    } else if (w->s->extract || kind == IT_CONTENT) {
        w->err = reader_process(w->rd, w->s->root, it, &w->batch->arena, w->s->extract);
        if (w->err)
            return false;
    } else {
        char rel[4096];

        it->path_ok = index_join(rel, sizeof(rel), dir, e->name) == CV_OK &&
                      cv_ssmix2_path_parse(rel, &it->path) == CV_OK;
    }
    if (it->deferred) {
        w->batch->n--; /* not recorded: looked at again next run */
        w->stats->deferred++;
        return false;
    }
    if (it->size < 0) { /* not stat'ed by the listing, and reading failed */
        struct stat st;

        if (fstatat(w->rd->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            it->size = st.st_size;
            it->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        } else {
            it->size = 0;
        }
    }
    e->size = it->size; /* the folder's signature uses what was read */
    e->mtime_ns = it->mtime_ns;
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
    it->path_ok = index_join(rel, sizeof(rel), dir, it->name) == CV_OK &&
                  cv_ssmix2_path_parse(rel, &it->path) == CV_OK;
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
    uint64_t h = cv_fnv1a_str(e->name);

    h = (h ^ (uint64_t)e->size) * CV_FNV1A_PRIME;
    h = (h ^ (uint64_t)e->mtime_ns) * CV_FNV1A_PRIME;
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
            if (index_join(rel, sizeof(rel), dir, e->name) || cv_ssmix2_path_parse(rel, &p) ||
                !reader_hash(w->rd, w->s->root, dir, e->name, hash))
                return NULL;
            hashed = true;
        }
        if (memcmp(hash, r->hash, INDEX_HASH_LEN) == 0)
            return r;
    }
    return NULL;
}

/* An existing name whose size or time changed: touched (same bytes) or changed. */
static bool changed_entry(struct walk *w, const char *dir, int64_t dir_id, struct entry *e,
                          const struct dbrow *r)
{
    uint8_t hash[INDEX_HASH_LEN];

    if (e->regular && r->have_hash && !w->s->reread &&
        reader_hash(w->rd, w->s->root, dir, e->name, hash) &&
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
            if (w->s->reread || ents[i].size != rows[k].size ||
                ents[i].mtime_ns != rows[k].mtime_ns)
                *incomplete |= !changed_entry(w, dir, dir_id, &ents[i], &rows[k]) && !w->err;
            else
                w->stats->unchanged++;
            i++;
            k++;
        }
    }
    for (i = 0; !w->err && i < n; i++) {
        struct dbrow *from =
            is_new[i] && !w->s->reread ? find_rename(w, dir, &ents[i], rows, nrows) : NULL;

        if (from) {
            from->matched = true;
            emit_simple(w, IT_RENAMED, dir, dir_id, from, &ents[i]);
        } else if (is_new[i])
            *incomplete |= !emit_read(w, dir, dir_id, &ents[i], IT_NEW,
                                      atomic_fetch_add(&w->s->next_file_id, 1)) &&
                           !w->err;
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

static int64_t dir_signature(const struct entry *ents, size_t n)
{
    uint64_t sum = n;
    int64_t sig;

    for (size_t i = 0; i < n; i++)
        sum += (uint64_t)entry_sig(&ents[i]);
    sig = (int64_t)(sum & INT64_MAX); /* never 0 ("look again") or INT64_MIN ("gone") */
    return sig ? sig : 1;
}

static void process_dir(struct walk *w, const char *dir, struct entry *ents, size_t n)
{
    struct dirinfo *d = dir_slot(w, dir);
    struct dbrow *rows = NULL;
    size_t nrows = 0;
    int64_t sig = 0, id;
    bool known = d && d->path, incomplete = false;

    w->stats->seen += n;
    atomic_fetch_add(&w->s->files_done, n);
    if (known) {
        d->seen = true;
        sig = dir_signature(ents, n);
        if (d->sig == sig && !w->s->reread) {
            w->stats->unchanged += n;
            return;
        }
        id = d->id;
        w->err = load_rows(w, id, &rows, &nrows);
    } else {
        if (n == 0)
            return; /* folders without files are not recorded */
        id = atomic_fetch_add(&w->s->next_dir_id, 1);
    }
    if (!w->err)
        diff_dir(w, dir, id, ents, n, rows, nrows, &incomplete);
    free_rows(rows, nrows);
    if (!known) /* listed without stat: sizes and times come from reading */
        sig = dir_signature(ents, n);
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

/* One entry of a folder. On a first build (nothing to compare with) regular files are not
 * stat'ed here: reading them gives their size and time. */
static enum cv_err list_entry(struct walk *w, int fd, const char *name, unsigned char type,
                              struct listing *l)
{
    struct stat st;

    if (name[0] == '.') {
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
            w->stats->skipped++;
        return CV_OK;
    }
    if (type == DT_DIR)
        return add_subdir(l, name);
    if (type == DT_REG && !w->s->view_path) {
        memset(&st, 0, sizeof(st));
        st.st_mode = S_IFREG;
        st.st_size = -1;
        return add_entry(l, name, &st);
    }
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return CV_OK; /* vanished since it was listed */
    return S_ISDIR(st.st_mode) ? add_subdir(l, name) : add_entry(l, name, &st);
}

/* Read a folder's entries with getdents64 (readdir's fdopendir costs three more system calls
 * per folder, and most SS-MIX2 folders hold one or two files). */
static enum cv_err list_dir(struct walk *w, int fd, struct listing *l)
{
    enum cv_err err = CV_OK;

    for (;;) {
        ssize_t got = getdents64(fd, w->dents, DENTS_BUF);

        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return cv_fail_errno(CV_EIO, "cannot list a folder");
        if (got == 0)
            return CV_OK;
        for (ssize_t off = 0; off < got && !err;) {
            struct dirent64 *de = (struct dirent64 *)(w->dents + off);

            err = list_entry(w, fd, de->d_name, de->d_type, l);
            off += de->d_reclen;
        }
        if (err)
            return err;
    }
}

static enum cv_err remember(struct walk *w, char ***list, size_t *n, size_t *cap, const char *path)
{
    char *copy = cv_strdup(path);
    enum cv_err err = CV_OK;

    pthread_mutex_lock(&w->s->mu);
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        char **grown = cv_reallocarray(*list, ncap, sizeof(*grown));

        if (grown) {
            *list = grown;
            *cap = ncap;
        }
    }
    if (!copy || *n == *cap) {
        cv_free(copy);
        err = cv_fail(CV_ENOMEM, "out of memory");
    } else {
        (*list)[(*n)++] = copy;
    }
    pthread_mutex_unlock(&w->s->mu);
    return err;
}

/* A folder we could not list keeps what the index holds under it. */
static void keep_subtree(struct walk *w, const char *dir)
{
    size_t n = strlen(dir);

    log_warn("cannot list '%s' under the source; keeping what the index holds there", dir);
    if (w->enumerating) { /* above patient level: remembered for the final check */
        if (!w->err)
            w->err = remember(w, &w->s->kept, &w->s->nkept, &w->s->capkept, dir);
        return;
    }
    for (size_t i = 0; i < w->dircap; i++) {
        const char *p = w->dirs[i].path;

        if (p && (strncmp(p, dir, n) == 0 && (p[n] == '/' || p[n] == '\0')))
            w->dirs[i].seen = true;
    }
}

#define JOB_DEPTH 3 /* patient folders: <ID[0:3]>/<ID[3:6]>/<ID> */

static enum cv_err push_job(struct walk *w, const char *path)
{
    struct shared *s = w->s;
    enum cv_err err = CV_OK;
    char *copy = cv_strdup(path);

    pthread_mutex_lock(&s->mu);
    if (s->njobs == s->capjobs) {
        size_t cap = s->capjobs ? s->capjobs * 2 : 1024;
        char **grown = cv_reallocarray(s->jobs, cap, sizeof(*grown));

        if (grown) {
            s->jobs = grown;
            s->capjobs = cap;
        }
    }
    if (!copy || s->njobs == s->capjobs) {
        err = cv_fail(CV_ENOMEM, "out of memory");
        cv_free(copy);
    } else {
        s->jobs[s->njobs++] = copy;
        pthread_cond_signal(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* The next patient folder to walk; NULL when there are none left and none will come. */
static char *take_job(struct shared *s)
{
    char *job = NULL;

    pthread_mutex_lock(&s->mu);
    while (s->nextjob == s->njobs && !s->listing_done && !s->err)
        pthread_cond_wait(&s->cv, &s->mu);
    if (s->nextjob < s->njobs && !s->err)
        job = s->jobs[s->nextjob++]; /* kept in the list: the final check looks them up */
    pthread_mutex_unlock(&s->mu);
    return job;
}

static void walk_dir(struct walk *w, int parent_fd, const char *dir, const char *name, int depth)
{
    struct listing l = {0};
    char path[4096];
    int fd;

    if (index_join(path, sizeof(path), dir, name) || strlen(path) >= sizeof(path) - 256 ||
        depth > INDEX_MAX_DEPTH) {
        log_warn("'%s' is nested too deep under the source; not indexed", path);
        return;
    }
    if (w->enumerating && depth == JOB_DEPTH) {
        w->err = push_job(w, path);
        return;
    }
    fd = openat(parent_fd, *name ? name : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || list_dir(w, fd, &l)) {
        keep_subtree(w, path);
        goto out_close;
    }
    if (w->enumerating) /* above patient level: just this folder */
        w->err = load_dirs(w, path, false);
    w->rd->dirfd = fd;
    if (!w->err)
        process_dir(w, path, l.ents, l.n);
    w->rd->dirfd = -1;
    if (w->enumerating && w->ndirs && !w->err)
        w->err = remember(w, &w->s->shallow, &w->s->nshallow, &w->s->capshallow, path);
    if (atomic_load(&w->s->files_done) / 2000 != (atomic_load(&w->s->files_done) - l.n) / 2000 ||
        l.n > 2000)
        progress(w);
    for (size_t i = 0; !w->err && i < l.nsub; i++)
        walk_dir(w, fd, path, l.subdirs[i], depth + 1);
out_close:
    if (fd >= 0)
        close(fd);
    free_listing(&l);
}

/* A folder the index holds that the walk did not see: all its files vanished. */
static void vanished_dir(struct walk *w, const char *path, int64_t id)
{
    struct dbrow *rows = NULL;
    size_t nrows = 0;

    w->err = load_rows(w, id, &rows, &nrows);
    for (size_t k = 0; !w->err && k < nrows; k++)
        emit_simple(w, IT_VANISHED, path, id, &rows[k], NULL);
    free_rows(rows, nrows);
    if (!w->err)
        emit_dir(w, path, id, INT64_MIN, false);
}

/* After a patient folder: what the index held under it that was not seen. */
static void job_vanished(struct walk *w)
{
    for (size_t i = 0; !w->err && i < w->dircap; i++)
        if (w->dirs[i].path && !w->dirs[i].seen)
            vanished_dir(w, w->dirs[i].path, w->dirs[i].id);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool listed(char **v, size_t n, const char *key)
{
    return n && bsearch(&key, v, n, sizeof(*v), cmp_str) != NULL;
}

/* Was the folder at `path` walked (under a patient folder handed out, listed above patient
 * level, or kept because it could not be listed)? Lists are sorted. */
static bool walked(const struct shared *s, const char *path)
{
    char job[4096];
    const char *p = path;

    for (int slashes = 0; (p = strchr(p, '/')) != NULL && slashes < JOB_DEPTH - 1; p++)
        slashes++;
    snprintf(job, sizeof(job), "%.*s", p ? (int)(p - path) : (int)strlen(path), path);
    if ((p || strchr(path, '/')) && listed(s->jobs, s->njobs, job))
        return true;
    if (listed(s->shallow, s->nshallow, path))
        return true;
    for (size_t i = 0; i < s->nkept; i++) {
        size_t n = strlen(s->kept[i]);

        if (strncmp(path, s->kept[i], n) == 0 && (path[n] == '/' || path[n] == '\0' || !n))
            return true;
    }
    return false;
}

/* Folders of the index under no folder the walk met (a whole patient folder gone): found by
 * one pass over `dirs`, only when the count says some were not met. */
static void vanished_elsewhere(struct walk *w)
{
    struct shared *s = w->s;
    sqlite3_stmt *st;
    int64_t total = 0;
    int rc;

    if (!w->db || sqlite3_prepare_v2(w->db, "SELECT count(*) FROM dirs", -1, &st, NULL))
        return;
    if (sqlite3_step(st) == SQLITE_ROW)
        total = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if ((uint64_t)total == atomic_load(&s->dirs_matched))
        return;
    if (s->njobs)
        qsort(s->jobs, s->njobs, sizeof(*s->jobs), cmp_str);
    if (s->nshallow)
        qsort(s->shallow, s->nshallow, sizeof(*s->shallow), cmp_str);
    if (sqlite3_prepare_v2(w->db, "SELECT id, path FROM dirs", -1, &st, NULL) != SQLITE_OK) {
        w->err = index_db_error(w->db, "reading folders");
        return;
    }
    while (!w->err && (rc = sqlite3_step(st)) == SQLITE_ROW)
        if (!walked(s, index_col(st, 1)))
            vanished_dir(w, index_col(st, 1), sqlite3_column_int64(st, 0));
    if (!w->err && rc != SQLITE_DONE)
        w->err = index_db_error(w->db, "reading folders");
    sqlite3_finalize(st);
}

/* ---- threads ------------------------------------------------------------------------------ */

/* A thread's own reader and read connection. */
static enum cv_err walk_open(struct walk *w, struct shared *s, struct cv_index_stats *stats)
{
    enum cv_err err;

    memset(w, 0, sizeof(*w));
    w->s = s;
    w->stats = stats;
    if (!(w->rd = cv_calloc(1, sizeof(*w->rd))) || !(w->dents = cv_malloc(DENTS_BUF)))
        return cv_fail(CV_ENOMEM, "out of memory");
    err = reader_init(w->rd, s->opt);
    if (err || !s->view_path)
        return err;
    if (sqlite3_open_v2(s->view_path, &w->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK)
        return cv_fail(CV_EDB, "cannot open '%s' for reading", s->view_path);
    sqlite3_busy_timeout(w->db, 10000);
    if (sqlite3_prepare_v2(w->db,
                           "SELECT id, name, size, mtime_ns, hash, state FROM files"
                           " WHERE dir_id = ?1 ORDER BY name",
                           -1, &w->rows_stmt, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(w->db, "SELECT id, path, sig FROM dirs WHERE path = ?1", -1,
                           &w->dir_stmt, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(w->db, "SELECT id, path, sig FROM dirs WHERE path >= ?1 AND path < ?2",
                           -1, &w->dirs_stmt, NULL) != SQLITE_OK)
        return index_db_error(w->db, "reading the index");
    return CV_OK;
}

static void walk_close(struct walk *w)
{
    cv_free(w->dents);
    batch_free(w->batch);
    w->batch = NULL;
    sqlite3_finalize(w->rows_stmt);
    sqlite3_finalize(w->dir_stmt);
    sqlite3_finalize(w->dirs_stmt);
    sqlite3_close(w->db);
    cv_free(w->dirs);
    xa_free(&w->dir_arena);
    if (w->rd) {
        atomic_fetch_add(&w->s->bytes, w->rd->bytes);
        reader_free(w->rd);
        cv_free(w->rd);
    }
}

/* Walk patient folders until there are none left, then hand in the last batch. */
static void work(struct walk *w)
{
    char *job;

    while (!failed(w) && (job = take_job(w->s)) != NULL) {
        w->err = load_dirs(w, job, true);
        if (!w->err)
            walk_dir(w, w->s->rootfd, "", job, JOB_DEPTH);
        if (!w->err)
            job_vanished(w);
        if (w->err)
            break;
    }
    if (!w->err)
        w->err = flush(w);
    if (w->err)
        set_error(w, w->err);
}

struct helper {
    pthread_t thread;
    struct walk w;
    struct cv_index_stats stats;
    bool started;
};

static void *helper_main(void *arg)
{
    struct helper *h = arg;

    work(&h->w);
    return NULL;
}

static int thread_count(void)
{
    const char *env = getenv("CV_INDEX_THREADS");
    long n = env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

/* Counts and next ids, read once by the main thread. */
static enum cv_err walk_prepare(struct walk *w)
{
    sqlite3_stmt *st;

    if (!w->db)
        return CV_OK;
    if (sqlite3_prepare_v2(w->db,
                           "SELECT (SELECT max(id) FROM files), count(*),"
                           " (SELECT max(id) FROM dirs) FROM files",
                           -1, &st, NULL) != SQLITE_OK)
        return index_db_error(w->db, "reading files");
    if (sqlite3_step(st) == SQLITE_ROW) {
        w->s->next_file_id = sqlite3_column_int64(st, 0) + 1;
        w->s->files_total = (uint64_t)sqlite3_column_int64(st, 1);
        w->s->next_dir_id = sqlite3_column_int64(st, 2) + 1;
    }
    sqlite3_finalize(st);
    return CV_OK;
}

static void sum_stats(struct cv_index_stats *into, const struct cv_index_stats *from)
{
    into->seen += from->seen;
    into->new_files += from->new_files;
    into->updated += from->updated;
    into->renamed += from->renamed;
    into->superseded += from->superseded;
    into->deleted += from->deleted;
    into->vanished += from->vanished;
    into->rejected += from->rejected;
    into->unchanged += from->unchanged;
    into->deferred += from->deferred;
    into->skipped += from->skipped;
}

/* List the top of the tree, handing patient folders to the helpers, then help them. */
static void run_threads(struct walk *main, struct helper *helpers, int nhelpers)
{
    struct shared *s = main->s;

    for (int i = 0; i < nhelpers; i++) {
        enum cv_err err = walk_open(&helpers[i].w, s, &helpers[i].stats);

        if (!err && pthread_create(&helpers[i].thread, NULL, helper_main, &helpers[i]) != 0)
            err = cv_fail(CV_ENOMEM, "cannot start an indexing thread");
        helpers[i].started = !err;
        if (err) {
            set_error(main, err);
            break;
        }
    }
    main->enumerating = true;
    walk_dir(main, s->rootfd, "", "", 0);
    main->enumerating = false;
    if (main->err)
        set_error(main, main->err);
    pthread_mutex_lock(&s->mu);
    s->listing_done = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    work(main);
    for (int i = 0; i < nhelpers; i++) {
        if (helpers[i].started)
            pthread_join(helpers[i].thread, NULL);
        sum_stats(main->stats, &helpers[i].stats);
        walk_close(&helpers[i].w);
    }
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cv_free(v[i]);
    cv_free(v);
}

static void free_shared(struct shared *s)
{
    free_list(s->jobs, s->njobs);
    free_list(s->shallow, s->nshallow);
    free_list(s->kept, s->nkept);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    if (s->rootfd >= 0)
        close(s->rootfd);
}

enum cv_err index_walk(const char *view_path, const char *root, const struct cv_index_options *opt,
                       struct walk_sink *sink, struct cv_index_stats *stats, bool extract)
{
    struct shared s = {.root = root,
                       .view_path = view_path,
                       .opt = opt,
                       .sink = sink,
                       .extract = extract,
                       .reread = opt && opt->reread,
                       .next_dir_id = 1,
                       .next_file_id = 1};
    int nhelpers = thread_count() - 1;
    struct helper *helpers = cv_calloc((size_t)nhelpers + 1, sizeof(*helpers));
    struct walk w;
    enum cv_err err;

    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    s.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s.rootfd < 0 || !helpers) {
        err = !helpers ? cv_fail(CV_ENOMEM, "out of memory")
                       : cv_fail_errno(CV_EIO, "cannot open the source '%s'", root);
        cv_free(helpers);
        free_shared(&s);
        return err;
    }
    err = walk_open(&w, &s, stats);
    w.main_thread = true;
    if (!err)
        err = walk_prepare(&w);
    if (!err) {
        run_threads(&w, helpers, nhelpers);
        err = s.err ? cv_fail(s.err, "%s", s.errmsg) : CV_OK;
    }
    if (!err && stats->seen == 0 && s.files_total > 0)
        err = cv_fail(CV_EIO,
                      "the source '%s' holds no files but the index holds %llu; "
                      "refusing to forget them (is the share mounted?)",
                      root, (unsigned long long)s.files_total);
    w.err = err;
    if (!err)
        vanished_elsewhere(&w);
    if (!w.err)
        w.err = flush(&w);
    if (!w.err)
        progress(&w);
    err = w.err;
    walk_close(&w);
    stats->bytes = atomic_load(&s.bytes);
    cv_free(helpers);
    free_shared(&s);
    return err;
}
