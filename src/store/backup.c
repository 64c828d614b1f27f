/*
 * backup.c: the writing half of a backup and its orchestration. It starts the walker thread,
 * then turns its records into blobs and trees: every chunk is hashed (keyed BLAKE2b) and stored
 * unless the index has it; every folder's listing is built as its records arrive and, when the
 * folder ends, inlined in its parent (small) or stored as a tree blob (large). Then the
 * reference index, if any, the packs and index objects (cv_writer_flush), and last the snapshot
 * object: the order that makes a crash harmless (docs/FORMAT.md).
 */
#include "backup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRESS_EVERY 1024u

struct frame {
    struct cv_buf entries; /* the folder's listing so far */
    char name[CV_NAME_MAX + 1];
    size_t name_len;
    bool has_ref;    /* its listing names another tree blob: it gets a ditto copy */
    bool changed;    /* (runs) something in it differs from the parent snapshot */
    struct rec self; /* its DIR_BEGIN record: mode, times, what the parent held */
};

struct builder {
    struct cv_repo *repo;
    struct cv_writer *w;
    const struct cv_backup_opts *opts;
    struct cv_backup_stats *st;
    struct frame frames[CV_TREE_DEPTH_MAX + 1];
    size_t depth;
    /* the file being assembled from a REC_FILE and its REC_CHUNKs */
    bool in_file, file_failed;
    struct rec file;
    char file_name[CV_NAME_MAX + 1];
    uint64_t file_size;
    struct cv_buf ids;
    struct cv_buf scratch;
    uint8_t root[CV_ID_LEN];
    bool have_root;
    bool run;       /* write only what changed since the parent (a run), not a full tree */
    bool run_empty; /* (runs) nothing changed at all: no run */
    bool journal;   /* (runs) visit only the paths of opts->changes */
    uint64_t seen_files, seen_dirs, seen_bytes; /* (journal) what the parent held there */
    uint64_t total_hint, recs;
};

/* ---- blobs -------------------------------------------------------------------------------------
 */
static enum cv_err store_chunk(struct builder *b, const uint8_t *p, size_t n)
{
    uint8_t id[CV_ID_LEN];
    bool stored;
    enum cv_err err;

    cv_blob_id(b->repo->keys, p, n, id);
    err = cv_writer_add(b->w, CV_BLOB_DATA, id, p, n, &stored);
    if (!err && stored) {
        b->st->added_data_raw += n;
        b->st->blobs_new++;
    }
    b->st->bytes_read += n;
    b->file_size += n;
    return err ? err : cv_buf_append(&b->ids, id, CV_ID_LEN);
}

/* Store a listing as one tree blob, or, when large, as parts and a part list; with `ditto`,
 * twice. */
static enum cv_err store_listing(struct builder *b, const struct cv_buf *l, bool ditto,
                                 uint8_t id[32])
{
    return cv_tree_store(b->w, l, ditto, &b->scratch, id, &b->st->added_tree_raw,
                         &b->st->blobs_new);
}

/* ---- tree entries
 * -------------------------------------------------------------------------------- */
static void entry_from_rec(struct cv_tree_entry *e, uint8_t kind, const struct rec *r,
                           const char *name, size_t name_len)
{
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    e->name = name;
    e->name_len = name_len;
    e->mode = r->mode;
    e->mtime_sec = r->mtime_sec;
    e->mtime_nsec = r->mtime_nsec;
    e->size = r->size;
    e->ctime_sec = r->ctime_sec;
    e->ctime_nsec = r->ctime_nsec;
    e->inode = r->inode;
}

static enum cv_err add_entry(struct builder *b, const struct cv_tree_entry *e)
{
    if (b->depth == 0)
        return cv_fail(CV_EINVAL, "backup: an entry outside any folder");
    b->frames[b->depth - 1].changed = true;
    return cv_tree_put(&b->frames[b->depth - 1].entries, e);
}

static enum cv_err finish_file(struct builder *b)
{
    struct cv_tree_entry e;

    b->in_file = false;
    if (b->file_failed)
        return CV_OK; /* reported as a problem; not in the snapshot */
    entry_from_rec(&e, CV_TE_FILE, &b->file, b->file_name, strlen(b->file_name));
    e.size = b->file_size;
    e.nchunks = b->ids.len / CV_ID_LEN;
    e.chunks = (const uint8_t *)b->ids.data;
    b->st->files++;
    b->st->bytes += b->file_size;
    if (b->file.is_new)
        b->st->files_new++;
    else
        b->st->files_changed++;
    return add_entry(b, &e);
}

static enum cv_err open_dir(struct builder *b, const struct rec *r, const char *name)
{
    struct frame *f;

    if (b->depth > CV_TREE_DEPTH_MAX)
        return cv_fail(CV_EINVAL, "backup: folders nested too deep");
    f = &b->frames[b->depth++];
    f->has_ref = false;
    f->changed = false;
    cv_buf_reset(&f->entries);
    f->name_len = r->name_len;
    memcpy(f->name, name, r->name_len);
    f->self = *r;
    return CV_OK;
}

/* (runs) A folder the parent held, unchanged in itself and in everything below it. */
static bool dir_unchanged(const struct frame *f)
{
    return !f->changed && f->self.pdir && f->self.mode == f->self.pmode &&
           f->self.mtime_sec == f->self.pmtime_sec && f->self.mtime_nsec == f->self.pmtime_nsec;
}

static enum cv_err close_dir(struct builder *b)
{
    struct frame *f;
    struct cv_tree_entry e;
    uint8_t id[CV_ID_LEN];
    bool whole; /* (runs) a folder the parent did not hold: it replaces whatever was there */
    enum cv_err err;

    if (b->depth == 0)
        return cv_fail(CV_EINVAL, "backup: a folder ends that never began");
    f = &b->frames[--b->depth];
    whole = b->run && !f->self.pdir;
    if (b->run && b->depth > 0 && dir_unchanged(f)) {
        b->st->dirs++; /* left out of the run: the parent's folder stands */
        return CV_OK;
    }
    if (b->run && b->depth == 0 && f->entries.len == 0) {
        b->run_empty = true;
        b->have_root = true;
        return CV_OK;
    }
    if (b->depth > 0 && f->entries.len <= CV_INLINE_MAX) {
        entry_from_rec(&e, whole ? CV_TE_NEW_INLINE : CV_TE_INLINE, &f->self, f->name, f->name_len);
        e.sub = (const uint8_t *)f->entries.data;
        e.sub_len = f->entries.len;
        b->st->dirs++;
        b->frames[b->depth - 1].has_ref |= f->has_ref; /* its refs are now the parent's */
        return add_entry(b, &e);
    }
    /* a full tree's root always gets its second copy; a run's only when it names blobs */
    err = store_listing(b, &f->entries, f->has_ref || (b->depth == 0 && !b->run), id);
    if (err)
        return err;
    if (b->depth == 0) {
        memcpy(b->root, id, sizeof(id));
        b->have_root = true;
        return CV_OK;
    }
    entry_from_rec(&e, whole ? CV_TE_NEW_DIR : CV_TE_DIR, &f->self, f->name, f->name_len);
    e.tree_id = id;
    b->st->dirs++;
    b->frames[b->depth - 1].has_ref = true;
    return add_entry(b, &e);
}

/* ---- records ------------------------------------------------------------------------------------
 */
static enum cv_err on_file(struct builder *b, const struct rec *r, const uint8_t *arena)
{
    enum cv_err err;

    b->in_file = true;
    b->file_failed = r->failed;
    b->file = *r;
    memcpy(b->file_name, arena + r->name_off, r->name_len);
    b->file_name[r->name_len] = '\0';
    b->file_size = 0;
    cv_buf_reset(&b->ids);
    err = r->data_len || r->more ? store_chunk(b, arena + r->data_off, r->data_len) : CV_OK;
    return err || r->more ? err : finish_file(b);
}

static enum cv_err on_chunk(struct builder *b, const struct rec *r, const uint8_t *arena)
{
    enum cv_err err = CV_OK;

    if (!b->in_file)
        return cv_fail(CV_EINVAL, "backup: a chunk outside any file");
    if (r->failed)
        b->file_failed = true;
    else
        err = store_chunk(b, arena + r->data_off, r->data_len);
    return err || r->more ? err : finish_file(b);
}

static enum cv_err on_known(struct builder *b, const struct rec *r, const uint8_t *arena)
{
    struct cv_tree_entry e;

    entry_from_rec(&e, CV_TE_FILE, r, (const char *)arena + r->name_off, r->name_len);
    e.nchunks = r->data_len / CV_ID_LEN;
    e.chunks = arena + r->data_off;
    b->st->files++;
    b->st->files_unchanged++;
    b->st->bytes += r->size;
    return b->run ? CV_OK : add_entry(b, &e); /* a run leaves out what did not change */
}

/* (runs) A name the parent held that is gone. */
static enum cv_err on_gone(struct builder *b, const struct rec *r, const uint8_t *arena)
{
    struct cv_tree_entry e;

    if (!b->run)
        return CV_OK;
    memset(&e, 0, sizeof(e));
    e.kind = CV_TE_GONE;
    e.name = (const char *)arena + r->name_off;
    e.name_len = r->name_len;
    return add_entry(b, &e);
}

static enum cv_err on_problem(struct builder *b, const struct rec *r, const uint8_t *arena)
{
    char path[4400], reason[256];

    snprintf(path, sizeof(path), "%.*s", (int)r->name_len, (const char *)arena + r->name_off);
    snprintf(reason, sizeof(reason), "%.*s", (int)r->data_len, (const char *)arena + r->data_off);
    b->st->errors++;
    if (b->opts->problem)
        b->opts->problem(b->opts->problem_arg, path, reason);
    return CV_OK;
}

static enum cv_err on_record(struct builder *b, const struct rec *r, const uint8_t *arena)
{
    struct cv_tree_entry e;

    switch (r->kind) {
    case REC_DIR_BEGIN:
        return open_dir(b, r, (const char *)arena + r->name_off);
    case REC_DIR_END:
        return close_dir(b);
    case REC_FILE:
        return on_file(b, r, arena);
    case REC_CHUNK:
        return on_chunk(b, r, arena);
    case REC_KNOWN:
        return on_known(b, r, arena);
    case REC_SYMLINK:
        if (b->run && r->same)
            return CV_OK;
        entry_from_rec(&e, CV_TE_SYMLINK, r, (const char *)arena + r->name_off, r->name_len);
        e.sub = arena + r->data_off;
        e.sub_len = r->data_len;
        return add_entry(b, &e);
    case REC_PROBLEM:
        return on_problem(b, r, arena);
    case REC_GONE:
        return on_gone(b, r, arena);
    default:
        return cv_fail(CV_EINVAL, "backup: unknown record");
    }
}

static bool report_progress(struct builder *b)
{
    struct cv_progress p = {"backing up", b->st->files, b->total_hint, b->st->bytes};

    if (p.total && p.done > p.total)
        p.total = 0;
    return !b->opts->progress || b->opts->progress(&p, b->opts->progress_arg);
}

/* The writer's loop: every batch the walker hands over, in order. */
static enum cv_err consume(struct builder *b, struct queue *q)
{
    struct batch *batch;
    enum cv_err err = CV_OK;

    while ((batch = cv_queue_get_full(q)) != NULL) {
        for (size_t i = 0; i < batch->nrecs && !err; i++) {
            err = on_record(b, &batch->recs[i], batch->arena);
            if (!err && ++b->recs % PROGRESS_EVERY == 0 && !report_progress(b))
                err = cv_fail(CV_ECANCELED, "backup cancelled");
        }
        cv_queue_put_free(q, batch);
        if (err) {
            cv_queue_stop(q);
            break;
        }
    }
    return err;
}

/* ---- the reference index ------------------------------------------------------------------------
 */
/* Store the file at `path` (a private copy of the database) as the entry `name` into `out`. */
static enum cv_err store_db_file(struct builder *b, const char *path, const char *name,
                                 const struct stat *meta, struct cv_buf *out)
{
    uint8_t *chunk = cv_malloc(b->repo->cfg.chunk_size);
    struct cv_tree_entry e;
    struct rec r;
    enum cv_err err = CV_OK;
    ssize_t got;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (!chunk || fd < 0) {
        err = chunk ? cv_fail_errno(CV_EIO, "cannot open '%s'", path)
                    : cv_fail(CV_ENOMEM, "out of memory");
        goto out_free;
    }
    cv_buf_reset(&b->ids);
    b->file_size = 0;
    while (!err && (got = read(fd, chunk, b->repo->cfg.chunk_size)) > 0)
        err = store_chunk(b, chunk, (size_t)got); /* the copy is ours: nobody else writes it */
    if (!err && got < 0)
        err = cv_fail_errno(CV_EIO, "cannot read '%s'", path);
    if (err)
        goto out_free;
    memset(&r, 0, sizeof(r));
    r.mode = meta->st_mode & 0600;
    r.mtime_sec = meta->st_mtim.tv_sec;
    r.mtime_nsec = (uint32_t)meta->st_mtim.tv_nsec;
    entry_from_rec(&e, CV_TE_FILE, &r, name, strlen(name));
    e.size = b->file_size;
    e.nchunks = b->ids.len / CV_ID_LEN;
    e.chunks = (const uint8_t *)b->ids.data;
    err = cv_tree_put(out, &e);
out_free:
    if (fd >= 0)
        close(fd);
    cv_free(chunk);
    return err;
}

static enum cv_err store_db(struct builder *b, const char *db, struct cv_snapshot *snap)
{
    struct cv_buf entry = CV_BUF_INIT(CV_LISTING_MAX);
    const char *base = strrchr(db, '/') ? strrchr(db, '/') + 1 : db;
    struct stat st;
    char *tmp = NULL;
    enum cv_err err;

    if (stat(db, &st) != 0)
        return cv_fail_errno(CV_EIO, "cannot read '%s'", db);
    if (!cv_tree_name_ok(base, strlen(base)))
        return cv_fail(CV_EINVAL, "'%s' is not a usable file name", db);
    err = cv_db_snapshot_copy(db, &tmp);
    if (!err)
        err = store_db_file(b, tmp, base, &st, &entry);
    if (tmp) {
        unlink(tmp);
        cv_free(tmp);
    }
    if (err) {
        cv_buf_free(&entry);
        return err;
    }
    if (b->repo->cfg.version >= 2) {
        /* a tree blob of its own (twice, as every listing that names others): a 4 GB index
         * has 65,536 chunks, a 2 MiB list no snapshot object could carry */
        err = store_listing(b, &entry, true, snap->db_tree_);
        cv_buf_free(&entry);
        if (err)
            return err;
        if (!(snap->db_name = cv_strdup(base)))
            return cv_fail(CV_ENOMEM, "out of memory");
        snap->db_out_of_line_ = true;
    } else if (entry.len > CV_SNAPSHOT_MAX - 64 * 1024) {
        cv_buf_free(&entry);
        return cv_fail(CV_ETOOBIG,
                       "'%s' (%llu bytes) is too large for a repository of format 1 (about "
                       "2 GiB at most): back up into a repository of format 2 (chartvault init)",
                       db, (unsigned long long)b->file_size);
    } else {
        snap->db_entry_len_ = entry.len;
        snap->db_entry_ = (uint8_t *)cv_buf_steal(&entry, &snap->db_entry_len_);
    }
    snap->has_db = true;
    snap->db_size = b->file_size;
    return CV_OK;
}

/* ---- orchestration
 * -------------------------------------------------------------------------------- */
static void builder_free(struct builder *b)
{
    for (size_t i = 0; i <= CV_TREE_DEPTH_MAX; i++)
        cv_buf_free(&b->frames[i].entries);
    cv_buf_free(&b->ids);
    cv_buf_free(&b->scratch);
    cv_writer_free(b->w);
}

static enum cv_err builder_init(struct builder *b, struct cv_repo *repo,
                                const struct cv_backup_opts *opts, struct cv_backup_stats *st)
{
    memset(b, 0, sizeof(*b));
    b->repo = repo;
    b->opts = opts;
    b->st = st;
    for (size_t i = 0; i <= CV_TREE_DEPTH_MAX; i++)
        cv_buf_init(&b->frames[i].entries, CV_LISTING_MAX);
    cv_buf_init(&b->ids, CV_LISTING_MAX);
    cv_buf_init(&b->scratch, CV_LISTING_MAX);
    return cv_writer_new(repo, &b->w);
}

/* The snapshot to compare with: the one named, or the latest of this host and source. */
static enum cv_err find_parent(struct cv_repo *repo, const struct cv_backup_opts *opts,
                               const char *host, const char *source, struct cv_snapshot *parent,
                               bool *found)
{
    struct cv_snapshot *all;
    size_t n;
    enum cv_err err;

    *found = false;
    if (opts->parent) {
        err = cv_snapshot_find(repo, opts->parent, parent);
        *found = !err;
        return err;
    }
    err = cv_snapshots_list(repo, &all, &n);
    if (err)
        return err;
    for (size_t i = n; i-- > 0;) {
        if (all[i].source && all[i].hostname && strcmp(all[i].source, source) == 0 &&
            strcmp(all[i].hostname, host) == 0) {
            *parent = all[i];
            memset(&all[i], 0, sizeof(all[i]));
            *found = true;
            break;
        }
    }
    cv_snapshots_free(all, n);
    return CV_OK;
}

/* Walk (on threads of their own) and build (here); [out] the root tree in b->root. */
static enum cv_err walk_and_build(struct builder *b, int root_fd, const struct cv_snapshot *parent,
                                  bool has_parent)
{
    struct queue q;
    struct walker wk;
    struct walk_start ws = {&wk, root_fd, b->opts->changes, b->opts->nchanges};
    pthread_t thread;
    enum cv_err err;

    memset(&wk, 0, sizeof(wk));
    wk.repo = b->repo;
    wk.q = &q;
    wk.chunk_size = b->repo->cfg.chunk_size;
    wk.noatime = true;
    wk.parent = has_parent && !b->opts->read_all ? parent : NULL;
    wk.run = b->run;
    err = cv_queue_init(&q, b->journal ? 1 : 1 + WALK_HELPERS);
    if (err) {
        close(root_fd);
        return err;
    }
    err = cv_reader_new(b->repo, 4, &wk.rd);
    if (!err && pthread_create(&thread, NULL, b->journal ? cv_backup_journal_walk : cv_backup_walk,
                               &ws) != 0)
        err = cv_fail(CV_ENOMEM, "cannot start the reading thread");
    if (err) {
        close(root_fd);
        goto out_free;
    }
    err = consume(b, &q);
    pthread_join(thread, NULL);
    if (!err && wk.err)
        err = cv_fail(wk.err, "%s", wk.errmsg);
    if (!err && (!b->have_root || b->depth != 0 || b->in_file))
        err = cv_fail(CV_EIO, "backup: the walk ended early");
    b->seen_files = wk.seen_files;
    b->seen_dirs = wk.seen_dirs;
    b->seen_bytes = wk.seen_bytes;
out_free:
    cv_reader_free(wk.rd);
    cv_queue_destroy(&q);
    return err;
}

/* (journal) The counts of the whole snapshot: the parent's, less what it held where the walk
 * looked, plus what the walk found there. */
static void journal_counts(struct builder *b, const struct cv_snapshot *parent)
{
    struct cv_backup_stats *st = b->st;
    const struct cv_backup_stats *ps = &parent->stats;

    st->files = ps->files > b->seen_files ? ps->files - b->seen_files + st->files : st->files;
    st->dirs = ps->dirs > b->seen_dirs ? ps->dirs - b->seen_dirs + st->dirs : st->dirs;
    st->bytes = ps->bytes > b->seen_bytes ? ps->bytes - b->seen_bytes + st->bytes : st->bytes;
    st->files_unchanged = st->files - st->files_new - st->files_changed;
}

static enum cv_err fill_snapshot(struct cv_snapshot *s, const struct cv_backup_opts *opts,
                                 const char *host, const char *source)
{
    size_t ntags = 0;

    cv_now_ns(&s->time, &s->time_nsec);
    s->hostname = cv_strdup(host);
    s->source = cv_strdup(source);
    while (opts->tags && opts->tags[ntags])
        ntags++;
    s->tags = ntags ? cv_calloc(ntags, sizeof(char *)) : NULL;
    if (!s->hostname || !s->source || (ntags && !s->tags))
        return cv_fail(CV_ENOMEM, "out of memory");
    for (; s->ntags < ntags; s->ntags++)
        if (!(s->tags[s->ntags] = cv_strdup(opts->tags[s->ntags])))
            return cv_fail(CV_ENOMEM, "out of memory");
    return CV_OK;
}

/* Read the source into a run (with a parent, in format 2) or a full tree. A run needs every
 * listing of the parent: when one cannot be read, the backup starts again as a full tree. */
static enum cv_err walk_source(struct builder *b, const char *source,
                               const struct cv_snapshot *parent, bool has_parent)
{
    enum cv_err err;
    int root_fd;

    b->run = has_parent && !b->opts->read_all && b->repo->cfg.version >= 2;
    b->journal = b->run && b->opts->changes;
    for (;;) {
        root_fd = open(source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
            return cv_fail_errno(CV_EIO, "cannot open source '%s'", b->opts->source);
        err = walk_and_build(b, root_fd, parent, has_parent);
        if (!err && b->journal)
            journal_counts(b, parent);
        if (err != CV_ECORRUPT || !b->run)
            return err;
        log_warn("the parent snapshot %.8s cannot be read (%s): storing a full tree instead",
                 parent->name, cv_errmsg());
        memset(b->st, 0, sizeof(*b->st));
        b->depth = 0;
        b->in_file = b->have_root = b->run_empty = false;
        b->recs = 0;
        b->run = b->journal = false;
    }
}

/* The new snapshot's layers: its full tree, or its parent's layers with this backup's run on
 * top, merged as the rule says (merge.c). */
static enum cv_err stack_layers(struct builder *b, const struct cv_snapshot *parent,
                                struct cv_snapshot *snap)
{
    if (!b->run) {
        memcpy(snap->tree, b->root, sizeof(snap->tree));
        return CV_OK;
    }
    memcpy(snap->tree, parent->tree, sizeof(snap->tree));
    snap->runs = cv_calloc(parent->nruns + 1, sizeof(*snap->runs));
    if (!snap->runs)
        return cv_fail(CV_ENOMEM, "out of memory");
    if (parent->nruns)
        memcpy(snap->runs, parent->runs, parent->nruns * sizeof(*snap->runs));
    snap->nruns = parent->nruns;
    if (!b->run_empty) {
        memcpy(snap->runs[snap->nruns].root, b->root, CV_ID_LEN);
        snap->runs[snap->nruns++].level = 0;
    }
    return cv_runs_settle(b->repo, b->w, snap, b->st);
}

enum cv_err cv_backup(struct cv_repo *repo, const struct cv_backup_opts *opts,
                      char name[CV_SNAPSHOT_NAME_LEN + 1], struct cv_backup_stats *stats)
{
    uint64_t t0 = cv_monotonic_ms();
    struct cv_snapshot snap, parent;
    struct builder b;
    char source[PATH_MAX], host[256] = "unknown";
    bool has_parent = false;
    enum cv_err err;

    name[0] = '\0';
    memset(stats, 0, sizeof(*stats));
    memset(&snap, 0, sizeof(snap));
    memset(&parent, 0, sizeof(parent));
    if (!realpath(opts->source, source))
        return cv_fail_errno(CV_EIO, "cannot open source '%s'", opts->source);
    gethostname(host, sizeof(host) - 1);
    memset(&b, 0, sizeof(b));
    err = cv_repo_refresh(repo); /* a prune since the index was loaded (docs/FORMAT.md "Prune") */
    if (!err)
        err = builder_init(&b, repo, opts, stats);
    if (!err)
        err = find_parent(repo, opts, host, source, &parent, &has_parent);
    b.total_hint = has_parent ? parent.stats.files : 0;
    if (!err)
        err = walk_source(&b, source, &parent, has_parent);
    if (!err)
        err = fill_snapshot(&snap, opts, host, source);
    if (!err)
        err = stack_layers(&b, &parent, &snap);
    if (!err && opts->db)
        err = store_db(&b, opts->db, &snap);
    if (!err)
        err = cv_writer_flush(b.w); /* packs, then the index objects naming them */
    if (!err) /* a prune beside this backup must keep what the snapshot relies on */
        err = cv_prune_check(repo, b.w, has_parent ? parent.name : NULL);
    if (!err) {
        snap.has_parent = has_parent;
        memcpy(snap.parent, parent.name, sizeof(snap.parent));
        stats->added_stored = cv_writer_stored_bytes(b.w);
        stats->seconds = cv_seconds_since(t0);
        snap.stats = *stats;
        err = cv_snapshot_write(repo, &snap); /* last: it names only durable data */
    }
    if (!err) {
        *stats = snap.stats;
        stats->seconds = cv_seconds_since(t0);
        memcpy(name, snap.name, CV_SNAPSHOT_NAME_LEN + 1);
    }
    builder_free(&b);
    cv_snapshot_clear(&snap);
    cv_snapshot_clear(&parent);
    return err;
}
