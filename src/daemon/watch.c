/*
 * watch.c: recursive inotify for an SS-MIX2 tree. inotify watches folders, not trees, so every
 * folder gets its own watch as it is found or created, and the watch descriptor maps back to the
 * folder's path. Events are merged per path into a batch (a small hash table), and a rename
 * inside the tree is paired by its cookie so that `_1` -> `_2` arrives as one move. Budgets
 * bound the watches and the batch; past them the caller is told to rescan instead.
 */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define WATCH_MASK                                                                                 \
    (IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF |       \
     IN_MOVE_SELF | IN_ATTRIB | IN_EXCL_UNLINK | IN_DONT_FOLLOW)
#define MAX_DEPTH         8
#define RECENT_DAYS       62 /* care dates watched first */
#define BATCH_MAX_ENTRIES 200000
#define EVENT_BUF         (64 * 1024)

struct cv_watch {
    int fd;
    char *root;
    char cutoff[9];  /* first pass: care-date folders from this date on ("YYYYMMDD") */
    size_t deferred; /* old care-date folders the first pass left for the second */
    char **dirs;     /* by watch descriptor: folder path relative to the root ("" = root) */
    size_t ndirs_cap;
    size_t watched, left_out, max_watches;
    char *evbuf;
};

int cv_watch_fd(const struct cv_watch *w)
{
    return w->fd;
}

void cv_watch_counts(const struct cv_watch *w, size_t *watched, size_t *left_out)
{
    *watched = w->watched;
    *left_out = w->left_out;
}

/* ---- the batch: entries merged by path ----------------------------------------------------- */

static enum cv_err batch_grow_slots(struct cv_watch_batch *b)
{
    size_t n = b->nslots ? b->nslots * 2 : 1024;
    size_t *slots = cv_calloc(n, sizeof(*slots)); /* 0 = empty, else index + 1 */

    if (!slots)
        return cv_fail(CV_ENOMEM, "out of memory");
    for (size_t i = 0; i < b->n; i++) {
        size_t h = (size_t)cv_fnv1a_str(b->entries[i].path) & (n - 1);

        while (slots[h])
            h = (h + 1) & (n - 1);
        slots[h] = i + 1;
    }
    cv_free(b->slots);
    b->slots = slots;
    b->nslots = n;
    return CV_OK;
}

static struct cv_watch_entry *batch_entry(struct cv_watch_batch *b, const char *path)
{
    size_t h;

    if (b->n * 2 >= b->nslots && batch_grow_slots(b) != CV_OK)
        return NULL;
    h = (size_t)cv_fnv1a_str(path) & (b->nslots - 1);
    while (b->slots[h]) {
        struct cv_watch_entry *e = &b->entries[b->slots[h] - 1];

        if (strcmp(e->path, path) == 0)
            return e;
        h = (h + 1) & (b->nslots - 1);
    }
    if (b->n == BATCH_MAX_ENTRIES)
        return NULL;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        struct cv_watch_entry *e = cv_reallocarray(b->entries, cap, sizeof(*e));

        if (!e)
            return NULL;
        b->entries = e;
        b->cap = cap;
    }
    b->entries[b->n] = (struct cv_watch_entry){.path = cv_strdup(path)};
    if (!b->entries[b->n].path)
        return NULL;
    b->slots[h] = ++b->n;
    return &b->entries[b->n - 1];
}

/* Record `flags` for `path`; on any failure the batch is marked as overflowed. */
static struct cv_watch_entry *note(struct cv_watch_batch *b, const char *path, unsigned flags)
{
    struct cv_watch_entry *e = batch_entry(b, path);

    if (!e) {
        b->overflow = true;
        return NULL;
    }
    if (flags & (CV_WATCH_CREATED | CV_WATCH_MOVED_IN)) /* a new life for this name */
        e->flags &= ~(unsigned)(CV_WATCH_DELETED | CV_WATCH_MOVED_OUT);
    e->flags |= flags;
    return e;
}

void cv_watch_batch_clear(struct cv_watch_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        cv_free(b->entries[i].path);
        cv_free(b->entries[i].moved_from);
        cv_free(b->entries[i].moved_to);
    }
    b->n = 0;
    b->overflow = false;
    if (b->slots)
        memset(b->slots, 0, b->nslots * sizeof(*b->slots));
}

/* ---- watches ------------------------------------------------------------------------------- */

static enum cv_err remember_dir(struct cv_watch *w, int wd, const char *rel)
{
    if ((size_t)wd >= w->ndirs_cap) {
        size_t cap = w->ndirs_cap ? w->ndirs_cap : 1024;
        char **d;

        while (cap <= (size_t)wd)
            cap *= 2;
        d = cv_reallocarray(w->dirs, cap, sizeof(*d));
        if (!d)
            return cv_fail(CV_ENOMEM, "out of memory");
        memset(d + w->ndirs_cap, 0, (cap - w->ndirs_cap) * sizeof(*d));
        w->dirs = d;
        w->ndirs_cap = cap;
    }
    if (w->dirs[wd]) { /* already watched (a folder seen twice) */
        cv_free(w->dirs[wd]);
        w->watched--;
    }
    w->dirs[wd] = cv_strdup(rel);
    if (!w->dirs[wd])
        return cv_fail(CV_ENOMEM, "out of memory");
    w->watched++;
    return CV_OK;
}

/* `dir`/`name`, or `name` at the top; false when it does not fit (never a cut path). */
static bool join(char *out, size_t n, const char *dir, const char *name)
{
    return cv_path_format(out, n, "%s%s%s", dir, *dir ? "/" : "", name) == CV_OK;
}

/* In the first pass over a large tree, which care-date folders (depth 4 of
 * <ID3>/<ID6>/<ID>/<date>/<type>) get watches: "-" and recent dates, where new data lands. */
static bool first_pass_wants(const struct cv_watch *w, const char *name, int depth)
{
    if (depth != 4)
        return true;
    if (strcmp(name, "-") == 0)
        return true;
    return strlen(name) != 8 || strcmp(name, w->cutoff) >= 0;
}

/* Watch folder `rel` and everything below it (`first_pass`: skip old care dates). Files found
 * are noted in `b` as created (they appeared together with a new folder), when `b` is given. */
static enum cv_err add_tree(struct cv_watch *w, const char *rel, int depth,
                            struct cv_watch_batch *b, bool first_pass)
{
    char abs[4096], child[4096];
    struct dirent *e;
    enum cv_err err;
    DIR *d;
    int wd;

    if (depth > MAX_DEPTH)
        return CV_OK;
    if (w->watched >= w->max_watches) {
        w->left_out++;
        return CV_OK;
    }
    if (!join(abs, sizeof(abs), w->root, rel)) { /* too long to watch: counted, as for limits */
        w->left_out++;
        return CV_OK;
    }
    wd = inotify_add_watch(w->fd, abs, WATCH_MASK | IN_ONLYDIR);
    if (wd < 0) {
        if (errno == ENOSPC) { /* the kernel's per-user limit */
            w->left_out++;
            return CV_OK;
        }
        return errno == ENOENT || errno == ENOTDIR
                   ? CV_OK
                   : cv_fail_errno(CV_EIO, "cannot watch '%s'", abs);
    }
    err = remember_dir(w, wd, rel);
    if (err)
        return err;
    d = opendir(abs);
    if (!d)
        return CV_OK; /* vanished meanwhile */
    while (!err && (e = readdir(d)) != NULL) {
        bool is_dir = e->d_type == DT_DIR;

        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        if (!join(child, sizeof(child), rel, e->d_name)) {
            w->left_out++;
            continue;
        }
        if (e->d_type == DT_UNKNOWN) {
            struct stat sb;
            char full[4096];

            is_dir = join(full, sizeof(full), w->root, child) && lstat(full, &sb) == 0 &&
                     S_ISDIR(sb.st_mode);
        }
        if (is_dir && (!first_pass || first_pass_wants(w, e->d_name, depth + 1)))
            err = add_tree(w, child, depth + 1, b, first_pass);
        else if (is_dir)
            w->deferred++;
        else if (!is_dir && b && e->d_name[0] != '.')
            note(b, child, CV_WATCH_CREATED | CV_WATCH_WRITTEN);
    }
    closedir(d);
    return err;
}

/* A folder left the tree (moved away or deleted): forget it and what was below it. */
static void drop_tree(struct cv_watch *w, const char *rel)
{
    size_t n = strlen(rel);

    for (size_t wd = 0; wd < w->ndirs_cap; wd++) {
        const char *d = w->dirs[wd];

        if (d && strncmp(d, rel, n) == 0 && (d[n] == '\0' || d[n] == '/')) {
            inotify_rm_watch(w->fd, (int)wd);
            cv_free(w->dirs[wd]);
            w->dirs[wd] = NULL;
            w->watched--;
        }
    }
}

/* Two passes, so that a tree larger than the watch budget spends it where new data lands:
 * first every patient folder, the undated "-" folders and care dates of the last RECENT_DAYS;
 * then, while the budget lasts, the rest (a folder already watched costs nothing more). */
static enum cv_err watch_all(struct cv_watch *w)
{
    int y, m, d;
    enum cv_err err;

    cv_days_to_ymd(cv_today_days() - RECENT_DAYS, &y, &m, &d); /* care dates are facility dates */
    snprintf(w->cutoff, sizeof(w->cutoff), "%04d%02d%02d", y, m, d);
    err = add_tree(w, "", 0, NULL, true);
    if (err || w->left_out) {
        w->left_out += w->deferred;
        return err;
    }
    return add_tree(w, "", 0, NULL, false);
}

enum cv_err cv_watch_open(struct cv_watch **out, const char *root, size_t max_watches)
{
    struct cv_watch *w = cv_calloc(1, sizeof(*w));
    enum cv_err err;

    *out = NULL;
    if (!w)
        return cv_fail(CV_ENOMEM, "out of memory");
    w->max_watches = max_watches;
    w->root = cv_strdup(root);
    w->evbuf = cv_malloc(EVENT_BUF);
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (!w->root || !w->evbuf) {
        err = cv_fail(CV_ENOMEM, "out of memory");
    } else if (w->fd < 0) {
        err = cv_fail_errno(CV_EIO, "cannot start inotify");
    } else {
        struct stat sb;

        err = stat(root, &sb) != 0   ? cv_fail_errno(CV_EIO, "cannot read '%s'", root)
              : !S_ISDIR(sb.st_mode) ? cv_fail(CV_EINVAL, "'%s' is not a folder", root)
                                     : watch_all(w);
    }
    if (err) {
        cv_watch_free(w);
        return err;
    }
    *out = w;
    return CV_OK;
}

void cv_watch_free(struct cv_watch *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    for (size_t i = 0; i < w->ndirs_cap; i++)
        cv_free(w->dirs[i]);
    cv_free(w->dirs);
    cv_free(w->root);
    cv_free(w->evbuf);
    cv_free(w);
}

/* ---- events --------------------------------------------------------------------------------- */

struct pending_move {
    uint32_t cookie;
    char path[4096];
    bool is_dir;
    bool used;
};

static void on_dir_event(struct cv_watch *w, const struct inotify_event *ev, const char *path,
                         struct cv_watch_batch *b)
{
    if (ev->mask & IN_ATTRIB) /* the folder's own mode or times: the snapshot re-reads it */
        note(b, path, CV_WATCH_ATTRIB);
    if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
        if (add_tree(w, path, 1, b, false) != CV_OK)
            b->overflow = true;
    } else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
        drop_tree(w, path);
        b->overflow |= (ev->mask & IN_MOVED_FROM) != 0; /* its files left: let a scan judge */
    }
}

static void on_file_event(const struct inotify_event *ev, const char *path, struct pending_move *mv,
                          struct cv_watch_batch *b)
{
    struct cv_watch_entry *e;

    if (ev->mask & IN_CREATE)
        note(b, path, CV_WATCH_CREATED);
    if (ev->mask & IN_CLOSE_WRITE)
        note(b, path, CV_WATCH_WRITTEN);
    if (ev->mask & IN_DELETE)
        note(b, path, CV_WATCH_DELETED);
    if (ev->mask & IN_ATTRIB)
        note(b, path, CV_WATCH_ATTRIB);
    if (ev->mask & IN_MOVED_FROM) {
        /* paired with the IN_MOVED_TO that follows, or a move out of the tree */
        if (mv->used)
            note(b, mv->path, CV_WATCH_MOVED_OUT);
        mv->used = true;
        mv->cookie = ev->cookie;
        cv_strlcpy(mv->path, path, sizeof(mv->path));
    }
    if (ev->mask & IN_MOVED_TO) {
        e = note(b, path, CV_WATCH_MOVED_IN);
        if (mv->used && mv->cookie == ev->cookie) {
            struct cv_watch_entry *from = note(b, mv->path, CV_WATCH_MOVED_OUT);

            if (e && from) {
                cv_free(e->moved_from);
                e->moved_from = cv_strdup(mv->path);
                cv_free(from->moved_to);
                from->moved_to = cv_strdup(path);
            }
            mv->used = false;
        }
    }
}

enum cv_err cv_watch_read(struct cv_watch *w, struct cv_watch_batch *b)
{
    struct pending_move mv = {0};
    char path[4096];

    for (;;) {
        ssize_t n = read(w->fd, w->evbuf, EVENT_BUF);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            return cv_fail_errno(CV_EIO, "cannot read inotify events");
        }
        for (char *p = w->evbuf; p < w->evbuf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
            const char *dir = ev->wd >= 0 && (size_t)ev->wd < w->ndirs_cap ? w->dirs[ev->wd] : NULL;

            p += sizeof(*ev) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                b->overflow = true;
                continue;
            }
            if (ev->mask & IN_IGNORED) {
                if (dir) {
                    cv_free(w->dirs[ev->wd]);
                    w->dirs[ev->wd] = NULL;
                    w->watched--;
                }
                continue;
            }
            if (!dir || ev->len == 0)
                continue; /* IN_DELETE_SELF / IN_MOVE_SELF: handled from the parent */
            if (!join(path, sizeof(path), dir, ev->name)) {
                b->overflow = true; /* not followed: the full scan that follows finds it */
                continue;
            }
            if (ev->mask & IN_ISDIR)
                on_dir_event(w, ev, path, b);
            else
                on_file_event(ev, path, &mv, b);
        }
    }
    if (mv.used) /* moved out of the tree */
        note(b, mv.path, CV_WATCH_MOVED_OUT);
    return CV_OK;
}
