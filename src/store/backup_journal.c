/*
 * backup_journal.c: the reading half of a backup that is told what changed. The daemon's change
 * journal (inotify and the MLLP writer) names the paths that may have changed since the parent
 * snapshot; this walk visits those and the folders above them, nothing else, and hands the
 * writer the same records a full walk would for that part of the tree: a file that is there is
 * read (or found unchanged), a folder named is walked whole, a name that is gone becomes a
 * removal. So the cost of such a backup follows the change, not the size of the tree. What the
 * journal names is sorted by path, one folder level at a time, so that the folders above
 * several paths are opened once and the parent snapshot's listings are read in name order.
 */
#include "backup_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_MAX_LEN 4096u

/* Paths compare folder by folder: '/' sorts before any byte a name may hold. */
static int path_cmp(const void *a, const void *b)
{
    const unsigned char *x = *(const unsigned char *const *)a,
                        *y = *(const unsigned char *const *)b;

    for (;; x++, y++) {
        unsigned cx = *x == '/' ? 1 : *x, cy = *y == '/' ? 1 : *y;

        if (cx != cy || !cx)
            return (int)cx - (int)cy;
    }
}

/* Is `p` below the folder `dir` (dir + "/" is a prefix of it)? */
static bool is_below(const char *p, const char *dir, size_t dir_len)
{
    return strncmp(p, dir, dir_len) == 0 && p[dir_len] == '/';
}

/* One open folder on the way down to the paths. */
struct jdir {
    int fd;
    size_t path_len; /* of wk->path before it was entered */
    struct parent_iter pi;
    char name[CV_NAME_MAX + 1];
};

struct jwalk {
    struct walk_ctx *c;
    struct walker *wk;
    struct jdir dirs[CV_TREE_DEPTH_MAX + 1];
    size_t depth;               /* dirs[0..depth] are open; 0 is the source */
    char name[CV_NAME_MAX + 2]; /* name[0] is the d_type byte cv_walk_entry looks at */
};

/* Count what the parent held under `pe` (a file, or a folder and all below it). */
static enum cv_err count_parent(struct walker *wk, const struct cv_tree_entry *pe, unsigned depth)
{
    struct cv_listing l = CV_LISTING_INIT;
    struct cv_tree_rd t;
    struct cv_tree_entry e;
    bool more;
    enum cv_err err;

    if (pe->kind == CV_TE_FILE) {
        wk->seen_files++;
        wk->seen_bytes += pe->size;
        return CV_OK;
    }
    if (!cv_te_is_dir(pe))
        return CV_OK;
    if (depth > CV_TREE_DEPTH_MAX)
        return cv_fail(CV_ECORRUPT, "tree: folders nested deeper than %u", CV_TREE_DEPTH_MAX);
    wk->seen_dirs++;
    err = cv_listing_load(wk->rd, pe, &l);
    if (!err)
        cv_listing_iter(&l, &t);
    while (!err && (err = cv_tree_next(&t, &e, &more)) == CV_OK && more)
        err = count_parent(wk, &e, depth + 1);
    cv_listing_free(&l);
    return err;
}

/* Stop the walk with `err` and the message cv_fail() set. */
static bool jfail(struct walker *wk, enum cv_err err)
{
    if (!wk->err) {
        wk->err = err;
        cv_strlcpy(wk->errmsg, cv_errmsg(), sizeof(wk->errmsg));
    }
    return false;
}

/* Close the open folders deeper than `depth`. */
static bool close_to(struct jwalk *j, size_t depth)
{
    while (j->depth > depth) {
        struct jdir *d = &j->dirs[j->depth--];

        close(d->fd);
        j->wk->path_len = d->path_len;
        if (!cv_walk_rec(j->wk, REC_DIR_END, "", 0, 0))
            return false;
    }
    return true;
}

/* Open the folder `name` in the current one as the next level; false with *gone when it is not
 * a folder (any more): the caller handles it as the changed path itself. */
static bool open_dir(struct jwalk *j, const char *name, bool *not_dir)
{
    struct walker *wk = j->wk;
    struct jdir *up = &j->dirs[j->depth], *d;
    struct walk_level *lv;
    const struct cv_tree_entry *pe;
    struct stat st;
    struct rec *r;
    int fd;

    *not_dir = true;
    if (j->depth + 1 >= CV_TREE_DEPTH_MAX)
        return cv_walk_problem(wk, name, "folders nested too deep; skipped", 0);
    fd = openat(up->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
        return true;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;

        if (fd >= 0)
            close(fd);
        return cv_walk_problem(wk, name, "cannot open folder", e);
    }
    *not_dir = false;
    if (!cv_parent_match(wk, &up->pi, name, &pe, false)) {
        close(fd);
        return false;
    }
    lv = &j->c->levels[j->depth + 1];
    lv->parent.p = NULL;
    lv->parent.n = 0;
    lv->parent.flags = 0;
    if (pe && cv_te_is_dir(pe) && cv_listing_load(wk->rd, pe, &lv->parent) != CV_OK) {
        close(fd);
        wk->err = CV_ECORRUPT;
        cv_strlcpy(wk->errmsg, cv_errmsg(), sizeof(wk->errmsg));
        return false;
    }
    r = cv_walk_rec(wk, REC_DIR_BEGIN, name, strlen(name), 0);
    if (!r) {
        close(fd);
        return false;
    }
    cv_walk_fill_stat(r, &st);
    cv_walk_parent_info(r, pe);
    if (r->pdir)
        wk->seen_dirs++;
    d = &j->dirs[++j->depth];
    d->fd = fd;
    cv_strlcpy(d->name, name, sizeof(d->name));
    cv_walk_path_push(wk, name, &d->path_len);
    cv_parent_iter_init(&d->pi, &lv->parent);
    return true;
}

/* The changed path's last part `name`, in the current folder. */
static bool visit(struct jwalk *j, const char *name)
{
    struct walker *wk = j->wk;
    struct jdir *d = &j->dirs[j->depth];
    const struct cv_tree_entry *pe;
    struct stat st;
    enum cv_err err;

    if (!cv_parent_match(wk, &d->pi, name, &pe, false))
        return false;
    err = pe ? count_parent(wk, pe, (unsigned)j->depth) : CV_OK;
    if (err)
        return jfail(wk, err);
    if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            return cv_walk_problem(wk, name, "cannot stat", errno);
        return !pe || cv_walk_gone(wk, pe); /* gone (or never there: nothing to say) */
    }
    j->name[0] = DT_UNKNOWN;
    cv_strlcpy(j->name + 1, name, sizeof(j->name) - 1);
    return cv_walk_entry(j->c, d->fd, j->depth, j->name + 1, pe);
}

/* Walk to `path` from the folders open now and visit it. [out] covered: the length of the
 * prefix that was visited whole (later paths below it are skipped). */
static bool walk_path(struct jwalk *j, const char *path, size_t *covered)
{
    const char *p = path;
    size_t level = 0;

    /* keep the open folders this path shares with the one before */
    while (level < j->depth) {
        const char *slash = strchr(p, '/');
        const struct jdir *d = &j->dirs[level + 1];
        size_t n = slash ? (size_t)(slash - p) : 0;

        if (!slash || strlen(d->name) != n || memcmp(d->name, p, n) != 0)
            break;
        level++;
        p = slash + 1;
    }
    if (!close_to(j, level))
        return false;
    for (;;) {
        const char *slash = strchr(p, '/');
        char part[CV_NAME_MAX + 1];
        bool not_dir;

        if (!slash) {
            *covered = strlen(path);
            return visit(j, p);
        }
        memcpy(part, p, (size_t)(slash - p));
        part[slash - p] = '\0';
        if (!open_dir(j, part, &not_dir))
            return false;
        if (not_dir) { /* the folder on the way is gone or is something else now */
            *covered = (size_t)(slash - path);
            return visit(j, part);
        }
        p = slash + 1;
    }
}

/* Every part a name, at most CV_TREE_DEPTH_MAX of them. */
static bool path_ok(const char *p)
{
    size_t parts = 0;

    if (!*p || strlen(p) >= PATH_MAX_LEN)
        return false;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);

        if (!cv_tree_name_ok(p, n) || ++parts > CV_TREE_DEPTH_MAX - 2)
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

static bool journal_walk(struct jwalk *j, int root_fd, const char *const *changes, size_t n)
{
    struct walker *wk = j->wk;
    const char **sorted = cv_calloc(n ? n : 1, sizeof(*sorted));
    struct stat st;
    struct rec *r;
    size_t covered = 0;
    const char *last = NULL;
    bool ok = true;

    if (!sorted)
        return jfail(wk, cv_fail(CV_ENOMEM, "out of memory"));
    for (size_t i = 0; i < n; i++) {
        if (!path_ok(changes[i])) {
            cv_free(sorted);
            return jfail(wk, cv_fail(CV_EINVAL,
                                     "the change list names '%.200s', which is not a path "
                                     "below the source",
                                     changes[i]));
        }
        sorted[i] = changes[i];
    }
    qsort(sorted, n, sizeof(*sorted), path_cmp);
    if (fstat(root_fd, &st) != 0) {
        cv_free(sorted);
        return jfail(wk, cv_fail_errno(CV_EIO, "cannot stat the source"));
    }
    if (cv_snapshot_root(wk->rd, wk->parent, &j->c->levels[0].parent) != CV_OK) {
        cv_free(sorted);
        return jfail(wk, CV_ECORRUPT);
    }
    j->dirs[0].fd = root_fd;
    j->dirs[0].path_len = 0;
    cv_parent_iter_init(&j->dirs[0].pi, &j->c->levels[0].parent);
    r = cv_walk_rec(wk, REC_DIR_BEGIN, "", 0, 0);
    if (r)
        cv_walk_fill_stat(r, &st);
    ok = r != NULL;
    for (size_t i = 0; i < n && ok; i++) {
        if (last && (strcmp(sorted[i], last) == 0 || is_below(sorted[i], last, covered)))
            continue; /* the same, or inside what was visited whole */
        ok = walk_path(j, sorted[i], &covered);
        last = sorted[i];
    }
    ok = ok && close_to(j, 0) && cv_walk_rec(wk, REC_DIR_END, "", 0, 0) != NULL;
    if (!ok)
        close_to(j, 0);
    cv_free(sorted);
    return ok;
}

void *cv_backup_journal_walk(void *arg)
{
    struct walk_start *ws = arg;
    struct jwalk j;

    memset(&j, 0, sizeof(j));
    j.wk = ws->wk;
    j.c = cv_walk_ctx_new(j.wk);
    if (!j.c)
        jfail(j.wk, cv_fail(CV_ENOMEM, "out of memory"));
    else if (!journal_walk(&j, ws->root_fd, ws->changes, ws->nchanges) && !j.wk->err) {
        j.wk->err = CV_EIO;
        cv_strlcpy(j.wk->errmsg, "the walk stopped", sizeof(j.wk->errmsg));
    }
    if (j.wk->err)
        cv_queue_stop(j.wk->q);
    cv_walk_end_seq(j.wk);
    cv_queue_close(j.wk->q);
    close(ws->root_fd);
    cv_walk_ctx_free(j.c);
    return NULL;
}
