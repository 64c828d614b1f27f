/*
 * backup_walk.c: the reading half of a backup, on threads of its own. It walks the source depth
 * first with openat/fstatat relative to folder descriptors (no path lookups, no symlink
 * following), names sorted bytewise, beside the parent snapshot's listing of the same folder.
 * A file whose size, mtime, ctime, inode and mode equal the parent's entry costs one fstatat:
 * its chunk IDs are passed on without reading it. Anything else is read into the current
 * batch. What cannot be read becomes a problem record and the walk goes on.
 *
 * One thread walks the upper levels. Each folder at WALK_SPLIT_DEPTH (a patient's) it opens,
 * pairs with the parent snapshot's listing and hands, as the next sequence of the stream, to
 * the first free helper, which reads it whole. The writer takes the sequences in order, so it
 * still sees one depth-first walk. With the metadata out of the page cache, or on overlayfs,
 * every lookup and readdir waits in the kernel, and several at once go nearly that much faster.
 */
#include "backup_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KNOWN_IDS_MAX (256u << 10) /* larger chunk lists are re-read rather than copied */

/* A folder at WALK_SPLIT_DEPTH, opened, waiting for a helper. */
struct walk_unit {
    struct walk_unit *next;
    uint64_t seq;
    int fd;
    struct rec pinfo;         /* what the parent held under its name (pdir, pmode, pmtime) */
    struct cv_listing parent; /* the parent snapshot's listing of it (own copy) */
    size_t path_len;          /* of the folder it is in */
    char *name;               /* after the path, in the same allocation */
    char path[];
};

struct walk_shared {
    pthread_mutex_t lock; /* guards what follows */
    pthread_cond_t changed;
    struct walk_unit *head, *tail; /* in sequence order */
    bool finished;                 /* the upper walk is done: no more units */
};

static bool fail(struct walker *wk, enum cv_err err, const char *msg)
{
    if (!wk->err) {
        wk->err = err;
        cv_strlcpy(wk->errmsg, msg, sizeof(wk->errmsg));
    }
    return false;
}

/* ---- records ----------------------------------------------------------------------------------
 */
struct rec *cv_walk_rec(struct walker *wk, uint8_t kind, const char *name, size_t name_len,
                        size_t data)
{
    struct batch *b = wk->cur;
    struct rec *r;

    if (b && (b->nrecs == BATCH_RECS || b->used + name_len + data > BATCH_ARENA)) {
        cv_queue_put_full(wk->q, b);
        wk->cur = b = NULL;
    }
    if (!b && !(b = wk->cur = cv_queue_get_free(wk->q, wk->owner, wk->seq))) {
        wk->err = CV_ECANCELED;
        return NULL;
    }
    r = &b->recs[b->nrecs++];
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->name_off = (uint32_t)b->used;
    r->name_len = (uint32_t)name_len;
    memcpy(b->arena + b->used, name, name_len);
    b->used += name_len;
    r->data_off = (uint32_t)b->used;
    return r;
}

/* The record's data area, to fill before commit_data(). */
static uint8_t *rec_data(struct walker *wk, const struct rec *r)
{
    return wk->cur->arena + r->data_off;
}

static void commit_data(struct walker *wk, struct rec *r, size_t n)
{
    r->data_len = (uint32_t)n;
    wk->cur->used += n;
}

void cv_walk_fill_stat(struct rec *r, const struct stat *st)
{
    r->mode = st->st_mode & 07777;
    r->mtime_sec = st->st_mtim.tv_sec;
    r->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
    r->ctime_sec = st->st_ctim.tv_sec;
    r->ctime_nsec = (uint32_t)st->st_ctim.tv_nsec;
    r->size = (uint64_t)st->st_size;
    r->inode = (uint64_t)st->st_ino;
}

/* Report `name` in the current folder as not backed up, and why ("cannot open: <errno>"). */
bool cv_walk_problem(struct walker *wk, const char *name, const char *what, int errnum)
{
    char path[4400], reason[256];
    size_t n = (size_t)snprintf(path, sizeof(path), "%.*s%s%s", (int)wk->path_len, wk->path,
                                wk->path_len ? "/" : "", name);
    struct rec *r;

    if (n >= sizeof(path))
        n = sizeof(path) - 1;
    if (errnum)
        snprintf(reason, sizeof(reason), "%s: %s", what, strerror(errnum));
    else
        snprintf(reason, sizeof(reason), "%s", what);
    r = cv_walk_rec(wk, REC_PROBLEM, path, n, strlen(reason));
    if (!r)
        return false;
    memcpy(rec_data(wk, r), reason, strlen(reason));
    commit_data(wk, r, strlen(reason));
    return true;
}

/* ---- files --------------------------------------------------------------------------------------
 */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
    size_t have = 0;

    while (have < n) {
        ssize_t r = read(fd, p + have, n - have);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        have += (size_t)r;
    }
    return (ssize_t)have;
}

static int open_file(struct walker *wk, int dirfd, const char *name)
{
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
    int fd = -1;

    if (wk->noatime) {
        fd = openat(dirfd, name, flags | O_NOATIME);
        if (fd < 0 && errno == EPERM)
            wk->noatime = false; /* not our files: atime it is */
    }
    if (fd < 0)
        fd = openat(dirfd, name, flags);
    return fd;
}

/* Read an open regular file into a REC_FILE and as many REC_CHUNKs as it takes. */
static bool read_into_records(struct walker *wk, int fd, const char *name, const struct stat *st,
                              bool is_new)
{
    uint64_t left = (uint64_t)st->st_size;
    struct rec *r = cv_walk_rec(wk, REC_FILE, name, strlen(name), wk->chunk_size);

    if (!r)
        return false;
    cv_walk_fill_stat(r, st);
    r->is_new = is_new;
    for (;;) {
        size_t want = left < wk->chunk_size ? (size_t)left : wk->chunk_size;
        ssize_t got = read_full(fd, rec_data(wk, r), want);

        if (got < 0) {
            int e = errno;

            r->failed = true;
            commit_data(wk, r, 0);
            return cv_walk_problem(wk, name, "cannot read", e);
        }
        commit_data(wk, r, (size_t)got);
        left -= (uint64_t)got;
        r->more = left > 0 && (size_t)got == want;
        if (!r->more)
            return true;
        r = cv_walk_rec(wk, REC_CHUNK, "", 0, wk->chunk_size);
        if (!r)
            return false;
    }
}

static bool read_file(struct walker *wk, int dirfd, const char *name, bool is_new)
{
    struct stat st;
    int fd = open_file(wk, dirfd, name);
    bool ok;

    if (fd < 0)
        return cv_walk_problem(wk, name, "cannot open", errno);
    if (fstat(fd, &st) != 0) {
        int e = errno;

        close(fd);
        return cv_walk_problem(wk, name, "cannot stat", e);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return cv_walk_problem(wk, name, "replaced by something else while being read", 0);
    }
    ok = read_into_records(wk, fd, name, &st, is_new);
    close(fd);
    return ok;
}

/* Is the parent's entry `pe` this same, unchanged file? Its chunks must still be indexed. */
static bool unchanged(struct walker *wk, const struct cv_tree_entry *pe, const struct stat *st)
{
    if (!pe || pe->kind != CV_TE_FILE || pe->size != (uint64_t)st->st_size ||
        pe->mtime_sec != st->st_mtim.tv_sec || pe->mtime_nsec != st->st_mtim.tv_nsec ||
        pe->ctime_sec != st->st_ctim.tv_sec || pe->ctime_nsec != st->st_ctim.tv_nsec ||
        pe->inode != (uint64_t)st->st_ino || pe->mode != (st->st_mode & 07777) ||
        pe->nchunks * CV_ID_LEN > KNOWN_IDS_MAX)
        return false;
    for (size_t i = 0; i < pe->nchunks; i++) {
        uint32_t pack;

        /* its index object was lost, or a prune is removing it: read it again and heal */
        if (!cv_pack_index_usable(&wk->repo->ix, pe->chunks + i * CV_ID_LEN, &pack))
            return false;
    }
    return true;
}

static bool emit_known(struct walker *wk, const char *name, const struct stat *st,
                       const struct cv_tree_entry *pe)
{
    size_t n = pe->nchunks * CV_ID_LEN;
    struct rec *r = cv_walk_rec(wk, REC_KNOWN, name, strlen(name), n);

    if (!r)
        return false;
    cv_walk_fill_stat(r, st);
    memcpy(rec_data(wk, r), pe->chunks, n);
    commit_data(wk, r, n);
    return true;
}

static bool emit_symlink(struct walker *wk, int dirfd, const char *name, const struct stat *st,
                         const struct cv_tree_entry *pe)
{
    char target[4097];
    ssize_t n = readlinkat(dirfd, name, target, sizeof(target));
    struct rec *r;

    if (n < 0)
        return cv_walk_problem(wk, name, "cannot read link", errno);
    if (n == 0 || n >= (ssize_t)sizeof(target) - 1 || memchr(target, '\0', (size_t)n))
        return cv_walk_problem(wk, name, "link target too long or empty", 0);
    r = cv_walk_rec(wk, REC_SYMLINK, name, strlen(name), (size_t)n);
    if (!r)
        return false;
    cv_walk_fill_stat(r, st);
    r->same = pe && pe->kind == CV_TE_SYMLINK && pe->sub_len == (size_t)n &&
              memcmp(pe->sub, target, (size_t)n) == 0 && pe->mode == r->mode &&
              pe->mtime_sec == r->mtime_sec && pe->mtime_nsec == r->mtime_nsec;
    memcpy(rec_data(wk, r), target, (size_t)n);
    commit_data(wk, r, (size_t)n);
    return true;
}

/* ---- folders ------------------------------------------------------------------------------------
 */
static bool walk_dir(struct walk_ctx *c, int dirfd, size_t depth);

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Read a folder's names into `lv`, sorted bytewise: each is stored after its d_type byte, so
 * names[i][-1] is its type. getdents64 straight on the folder's descriptor saves the dup,
 * fcntl and close that opendir would cost per folder. [out] n. False when the walk must stop. */
static bool list_names(struct walker *wk, struct walk_level *lv, int dirfd, size_t *n)
{
    char buf[32768];
    char **v;
    long got;

    *n = 0;
    cv_buf_reset(&lv->names);
    cv_buf_reset(&lv->offs);
    while ((got = syscall(SYS_getdents64, dirfd, buf, sizeof(buf))) > 0) {
        for (long pos = 0; pos < got;) {
            const struct linux_dirent64 *e = (const void *)(buf + pos);
            size_t off = lv->names.len + 1;

            pos += e->d_reclen;
            if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
                continue;
            if (cv_buf_append(&lv->names, &e->d_type, 1) ||
                cv_buf_append(&lv->names, e->d_name, strlen(e->d_name) + 1) ||
                cv_buf_append(&lv->offs, &off, sizeof(off))) {
                wk->err = CV_ENOMEM;
                cv_strlcpy(wk->errmsg, cv_errmsg(), sizeof(wk->errmsg));
                return false;
            }
        }
    }
    if (got < 0)
        return cv_walk_problem(wk, "", "cannot read folder", errno);
    *n = lv->offs.len / sizeof(size_t);
    v = (char **)lv->offs.data;
    for (size_t i = 0; i < *n; i++) { /* offsets become pointers (same size), then sorted */
        size_t off;

        memcpy(&off, &v[i], sizeof(off));
        v[i] = lv->names.data + off;
    }
    if (*n > 1)
        qsort(v, *n, sizeof(*v), name_cmp);
    return true;
}

void cv_parent_advance(struct parent_iter *pi)
{
    bool more;

    if (cv_tree_next(&pi->t, &pi->e, &more) != CV_OK) {
        log_warn("parent snapshot: %s; reading the folder afresh", cv_errmsg());
        more = false;
    }
    pi->have = more;
}

void cv_parent_iter_init(struct parent_iter *pi, const struct cv_listing *l)
{
    cv_listing_iter(l, &pi->t);
    pi->matched = false;
    cv_parent_advance(pi);
}

/* A name the parent held and the source no longer has: a removal in the run. */
bool cv_walk_gone(struct walker *wk, const struct cv_tree_entry *pe)
{
    return !wk->run || cv_walk_rec(wk, REC_GONE, pe->name, pe->name_len, 0) != NULL;
}

/* The parent's entry for `name` (or NULL in *pe); names before it are gone. False when the
 * walk must stop. */
bool cv_parent_match(struct walker *wk, struct parent_iter *pi, const char *name,
                     const struct cv_tree_entry **pe, bool gone)
{
    size_t len = strlen(name);

    *pe = NULL;
    if (pi->have && pi->matched) {
        pi->matched = false;
        cv_parent_advance(pi);
    }
    while (pi->have) {
        int c = cv_tree_name_cmp(pi->e.name, pi->e.name_len, name, len);

        if (c > 0)
            return true;
        if (c == 0) {
            *pe = &pi->e;
            pi->matched = true;
            return true;
        }
        if (gone && !cv_walk_gone(wk, &pi->e))
            return false;
        cv_parent_advance(pi);
    }
    return true;
}

void cv_walk_path_push(struct walker *wk, const char *name, size_t *saved)
{
    *saved = wk->path_len;
    wk->path_len += (size_t)snprintf(wk->path + wk->path_len, sizeof(wk->path) - wk->path_len,
                                     "%s%s", wk->path_len ? "/" : "", name);
    if (wk->path_len >= sizeof(wk->path))
        wk->path_len = sizeof(wk->path) - 1;
}

/* End the current batch and sequence; [out] the first of `n` new ones, the last of which is the
 * walker's from now on. */
static bool next_seqs(struct walker *wk, unsigned n, uint64_t *first)
{
    if (wk->cur && wk->cur->nrecs) {
        cv_queue_put_full(wk->q, wk->cur);
        wk->cur = NULL;
    }
    cv_queue_seq_done(wk->q, wk->seq);
    if (!cv_queue_new_seqs(wk->q, n, first))
        return fail(wk, CV_ECANCELED, "backup cancelled");
    wk->seq = *first + n - 1;
    if (wk->cur)
        wk->cur->seq = wk->seq;
    return true;
}

/* Hand the open folder `fd` with its parent listing to the helpers, as the next sequence. */
void cv_walk_parent_info(struct rec *r, const struct cv_tree_entry *pe)
{
    r->pdir = pe && cv_te_is_dir(pe);
    if (r->pdir) {
        r->pmode = pe->mode;
        r->pmtime_sec = pe->mtime_sec;
        r->pmtime_nsec = pe->mtime_nsec;
    }
}

static bool hand_off(struct walker *wk, int fd, const char *name, const struct cv_listing *l,
                     const struct cv_tree_entry *pe)
{
    size_t nlen = strlen(name);
    struct walk_unit *u = cv_calloc(1, sizeof(*u) + wk->path_len + 1 + nlen + 1);
    struct walk_shared *sh = wk->sh;

    if (!u) {
        close(fd);
        return fail(wk, CV_ENOMEM, "out of memory");
    }
    u->fd = fd;
    u->path_len = wk->path_len;
    memcpy(u->path, wk->path, wk->path_len);
    u->name = u->path + wk->path_len + 1;
    memcpy(u->name, name, nlen + 1);
    cv_buf_init(&u->parent.own, CV_LISTING_MAX);
    if (l->n && cv_buf_append(&u->parent.own, l->p, l->n)) {
        close(fd);
        cv_free(u);
        return fail(wk, CV_ENOMEM, "out of memory");
    }
    u->parent.p = (const uint8_t *)u->parent.own.data;
    u->parent.n = l->n;
    u->parent.flags = l->flags;
    cv_walk_parent_info(&u->pinfo, pe);
    if (!next_seqs(wk, 2, &u->seq)) {
        close(fd);
        cv_listing_free(&u->parent);
        cv_free(u);
        return false;
    }
    pthread_mutex_lock(&sh->lock);
    if (sh->tail)
        sh->tail->next = u;
    else
        sh->head = u;
    sh->tail = u;
    pthread_cond_signal(&sh->changed);
    pthread_mutex_unlock(&sh->lock);
    return true;
}

/* Read the open folder `fd` (closed here), named `name`, in the folder at `depth`, beside the
 * parent listing already in c->levels[depth + 1]; `pinfo` says what the parent held there. */
static bool walk_open_dir(struct walk_ctx *c, int fd, size_t depth, const char *name,
                          const struct rec *pinfo)
{
    struct walker *wk = c->wk;
    struct stat st;
    struct rec *r;
    size_t saved;
    bool ok;

    if (fstat(fd, &st) != 0) {
        int e = errno;

        close(fd);
        return cv_walk_problem(wk, name, "cannot stat folder", e);
    }
    r = cv_walk_rec(wk, REC_DIR_BEGIN, name, strlen(name), 0);
    if (r) {
        cv_walk_fill_stat(r, &st);
        r->pdir = pinfo->pdir;
        r->pmode = pinfo->pmode;
        r->pmtime_sec = pinfo->pmtime_sec;
        r->pmtime_nsec = pinfo->pmtime_nsec;
    }
    cv_walk_path_push(wk, name, &saved);
    ok = r && walk_dir(c, fd, depth + 1);
    wk->path_len = saved;
    close(fd);
    return ok && cv_walk_rec(wk, REC_DIR_END, "", 0, 0) != NULL;
}

static bool enter_dir(struct walk_ctx *c, int dirfd, size_t depth, const char *name,
                      const struct cv_tree_entry *pe)
{
    struct walker *wk = c->wk;
    struct walk_level *child = &c->levels[depth + 1];
    struct rec pinfo;
    int fd;

    if (depth + 1 >= CV_TREE_DEPTH_MAX)
        return cv_walk_problem(wk, name, "folders nested too deep; skipped", 0);
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cv_walk_problem(wk, name, "cannot open folder", errno);
    child->parent.p = NULL;
    child->parent.n = 0;
    child->parent.flags = 0;
    memset(&pinfo, 0, sizeof(pinfo));
    cv_walk_parent_info(&pinfo, pe);
    if (pinfo.pdir && cv_listing_load(wk->rd, pe, &child->parent) != CV_OK) {
        if (wk->run) { /* a run needs the parent's listing to say what changed */
            close(fd);
            return fail(wk, CV_ECORRUPT, cv_errmsg());
        }
        /* a folder's bare name may be a patient ID: say where, not which */
        log_warn("parent snapshot: %s; reading a folder at depth %zu afresh", cv_errmsg(),
                 depth + 1);
        child->parent.n = 0;
        pinfo.pdir = false;
    }
    if (wk->splits && depth + 1 == WALK_SPLIT_DEPTH)
        return hand_off(wk, fd, name, &child->parent, pe);
    return walk_open_dir(c, fd, depth, name, &pinfo);
}

bool cv_walk_entry(struct walk_ctx *c, int dirfd, size_t depth, const char *name,
                   const struct cv_tree_entry *pe)
{
    struct walker *wk = c->wk;
    struct stat st;

    if (!pe && (uint8_t)name[-1] == DT_REG)
        return read_file(wk, dirfd, name, true); /* new: open and fstat, no fstatat */
    if ((uint8_t)name[-1] == DT_DIR)
        return enter_dir(c, dirfd, depth, name, pe); /* open and fstat, no fstatat */
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return cv_walk_problem(wk, name, "cannot stat", errno);
    if (S_ISREG(st.st_mode))
        return unchanged(wk, pe, &st) ? emit_known(wk, name, &st, pe)
                                      : read_file(wk, dirfd, name, pe == NULL);
    if (S_ISDIR(st.st_mode))
        return enter_dir(c, dirfd, depth, name, pe);
    if (S_ISLNK(st.st_mode))
        return emit_symlink(wk, dirfd, name, &st, pe);
    return cv_walk_problem(wk, name, "not a file, folder or symbolic link; skipped", 0);
}

static bool walk_dir(struct walk_ctx *c, int dirfd, size_t depth)
{
    struct walk_level *lv = &c->levels[depth];
    struct parent_iter pi;
    size_t n;
    char **names;

    if (!list_names(c->wk, lv, dirfd, &n))
        return false;
    names = (char **)lv->offs.data;
    cv_parent_iter_init(&pi, &lv->parent);
    for (size_t i = 0; i < n; i++) {
        const struct cv_tree_entry *pe;

        if (!cv_parent_match(c->wk, &pi, names[i], &pe, true) ||
            !cv_walk_entry(c, dirfd, depth, names[i], pe))
            return false;
    }
    if (pi.have && pi.matched)
        cv_parent_advance(&pi);
    for (; pi.have; cv_parent_advance(&pi)) /* what is left of the parent's is gone */
        if (!cv_walk_gone(c->wk, &pi.e))
            return false;
    return true;
}

struct walk_ctx *cv_walk_ctx_new(struct walker *wk)
{
    struct walk_ctx *c = cv_calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->wk = wk;
    for (size_t i = 0; i <= CV_TREE_DEPTH_MAX; i++) {
        cv_buf_init(&c->levels[i].names, 1u << 30);
        cv_buf_init(&c->levels[i].offs, 1u << 30);
        cv_buf_init(&c->levels[i].parent.own, CV_LISTING_MAX);
    }
    return c;
}

void cv_walk_ctx_free(struct walk_ctx *c)
{
    if (!c)
        return;
    for (size_t i = 0; i <= CV_TREE_DEPTH_MAX; i++) {
        cv_buf_free(&c->levels[i].names);
        cv_buf_free(&c->levels[i].offs);
        cv_listing_free(&c->levels[i].parent);
    }
    cv_free(c);
}

static bool walk_root(struct walk_ctx *c, int root_fd)
{
    struct walker *wk = c->wk;
    struct stat st;
    struct rec *r;

    if (fstat(root_fd, &st) != 0) {
        wk->err = cv_fail_errno(CV_EIO, "cannot stat the source");
        return false;
    }
    if (wk->parent && cv_snapshot_root(wk->rd, wk->parent, &c->levels[0].parent) != CV_OK) {
        if (wk->run) {
            wk->err = CV_ECORRUPT;
            cv_strlcpy(wk->errmsg, cv_errmsg(), sizeof(wk->errmsg));
            return false;
        }
        log_warn("parent snapshot: %s; reading everything afresh", cv_errmsg());
        c->levels[0].parent.n = 0;
    }
    r = cv_walk_rec(wk, REC_DIR_BEGIN, "", 0, 0);
    if (!r)
        return false;
    cv_walk_fill_stat(r, &st);
    return walk_dir(c, root_fd, 0) && cv_walk_rec(wk, REC_DIR_END, "", 0, 0) != NULL;
}

/* Give the current batch back, full or not, and finish the walker's sequence. */
void cv_walk_end_seq(struct walker *wk)
{
    if (wk->cur && wk->cur->nrecs)
        cv_queue_put_full(wk->q, wk->cur);
    else if (wk->cur)
        cv_queue_put_free(wk->q, wk->cur);
    wk->cur = NULL;
    cv_queue_seq_done(wk->q, wk->seq);
}

static struct walk_unit *take_unit(struct walk_shared *sh)
{
    struct walk_unit *u;

    pthread_mutex_lock(&sh->lock);
    while (!sh->head && !sh->finished)
        pthread_cond_wait(&sh->changed, &sh->lock);
    u = sh->head;
    if (u && !(sh->head = u->next))
        sh->tail = NULL;
    pthread_mutex_unlock(&sh->lock);
    return u;
}

/* A helper thread: read the folders handed over, one at a time, each as its own sequence. After
 * a failure it only finishes the sequences it takes, so the writer is never left waiting. */
static void *helper_main(void *arg)
{
    struct walker *wk = arg;
    struct walk_ctx *c = cv_walk_ctx_new(wk);
    struct walk_unit *u;

    if (!c)
        fail(wk, CV_ENOMEM, "out of memory");
    while ((u = take_unit(wk->sh)) != NULL) {
        wk->seq = u->seq;
        if (!wk->err) {
            struct cv_listing *l = &c->levels[WALK_SPLIT_DEPTH].parent, tmp = *l;

            *l = u->parent; /* the unit's listing becomes the level's, and the other way round */
            u->parent = tmp;
            memcpy(wk->path, u->path, u->path_len);
            wk->path_len = u->path_len;
            if (!walk_open_dir(c, u->fd, WALK_SPLIT_DEPTH - 1, u->name, &u->pinfo)) {
                fail(wk, CV_EIO, "the walk stopped");
                if (!wk->errmsg[0])
                    cv_strlcpy(wk->errmsg, cv_errmsg(), sizeof(wk->errmsg));
                cv_queue_stop(wk->q);
            }
        } else {
            close(u->fd);
        }
        cv_walk_end_seq(wk);
        cv_listing_free(&u->parent);
        cv_free(u);
    }
    cv_walk_ctx_free(c);
    return NULL;
}

void *cv_backup_walk(void *arg)
{
    struct walk_start *ws = arg;
    struct walker *wk = ws->wk, helpers[WALK_HELPERS];
    struct walk_shared sh;
    pthread_t threads[WALK_HELPERS];
    struct walk_ctx *c = cv_walk_ctx_new(wk);
    unsigned n = 0;

    memset(&sh, 0, sizeof(sh));
    pthread_mutex_init(&sh.lock, NULL);
    pthread_cond_init(&sh.changed, NULL);
    wk->sh = &sh;
    for (; c && n < WALK_HELPERS && n + 1 < wk->q->producers; n++) {
        helpers[n] = (struct walker){.sh = &sh,
                                     .repo = wk->repo,
                                     .q = wk->q,
                                     .chunk_size = wk->chunk_size,
                                     .owner = n + 1,
                                     .noatime = wk->noatime,
                                     .run = wk->run};
        if (cv_reader_new(wk->repo, 2, &helpers[n].rd) != CV_OK)
            break;
        if (pthread_create(&threads[n], NULL, helper_main, &helpers[n]) != 0) {
            cv_reader_free(helpers[n].rd);
            break; /* fewer helpers, or none: the upper walk reads everything itself */
        }
    }
    wk->splits = n > 0;
    if (!c)
        fail(wk, CV_ENOMEM, "out of memory");
    else if (!walk_root(c, ws->root_fd) && !wk->err)
        fail(wk, CV_EIO, "the walk stopped");
    if (wk->err && !wk->errmsg[0])
        cv_strlcpy(wk->errmsg, cv_errmsg(), sizeof(wk->errmsg));
    if (wk->err)
        cv_queue_stop(wk->q);
    cv_walk_end_seq(wk);
    pthread_mutex_lock(&sh.lock);
    sh.finished = true;
    pthread_cond_broadcast(&sh.changed);
    pthread_mutex_unlock(&sh.lock);
    for (unsigned i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        cv_reader_free(helpers[i].rd);
        if (helpers[i].err && (!wk->err || wk->err == CV_ECANCELED)) {
            wk->err = helpers[i].err;
            memcpy(wk->errmsg, helpers[i].errmsg, sizeof(wk->errmsg));
        }
    }
    cv_queue_close(wk->q);
    close(ws->root_fd);
    cv_walk_ctx_free(c);
    pthread_cond_destroy(&sh.changed);
    pthread_mutex_destroy(&sh.lock);
    return NULL;
}
