/*
 * restore_write.c: the writing half of a restore, on its own thread. Folders and files are
 * created relative to open folder descriptors, so nothing already in the target can redirect
 * a write: a file is always a new inode (created with O_EXCL; with --force a file already
 * there is unlinked first, and only when it is a plain file with no other hard link), and a
 * folder is opened with O_NOFOLLOW. Whatever stands in the way (a symbolic link, a file with
 * other hard links, something that is no folder where a folder goes) is left alone, named
 * through the problem callback, and the file (or the folder's whole content) is skipped; the
 * restore goes on. Modes and mtimes are set before each file or folder is closed. Any write
 * error is fatal: a restore that cannot write must say so, not carry on.
 */
#include "restore_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct wstate {
    struct restore_writer *w;
    int fds[CV_TREE_DEPTH_MAX + 2]; /* fds[0] is the target */
    struct rec dirs[CV_TREE_DEPTH_MAX + 2];
    size_t plen[CV_TREE_DEPTH_MAX + 2]; /* path length at each depth */
    size_t depth;
    char path[8192]; /* of the current folder, relative to the target, for reports */
    int file_fd;
    char file_name[CV_NAME_MAX + 1];
    struct rec file;
    uint64_t file_bytes;
    bool skip_file;    /* the rest of a refused file's chunks are dropped */
    size_t skip_depth; /* > 0 inside a refused folder: everything up to its end is dropped */
};

/* Name what is refused and why; it is counted and the restore goes on. */
static void refuse(struct wstate *s, const char *name, const char *why)
{
    struct restore_writer *w = s->w;
    char full[8448];

    snprintf(full, sizeof(full), "%s%s%s", s->path, s->path[0] ? "/" : "", name);
    pthread_mutex_lock(w->report_mu);
    w->st->refused++;
    if (w->o->problem)
        w->o->problem(w->o->problem_arg, full, why);
    pthread_mutex_unlock(w->report_mu);
}

/* What stands at `name` in the current folder, in words, or NULL when nothing does. */
static const char *in_the_way(struct wstate *s, const char *name, struct stat *st)
{
    if (fstatat(s->fds[s->depth], name, st, AT_SYMLINK_NOFOLLOW) != 0)
        return NULL;
    if (S_ISLNK(st->st_mode))
        return "a symbolic link is in the way (not followed, not replaced)";
    if (S_ISDIR(st->st_mode))
        return "a folder is in the way";
    if (!S_ISREG(st->st_mode))
        return "something that is not a file is in the way";
    if (st->st_nlink > 1)
        return "a file with other hard links is in the way (writing it would change them)";
    return "a file is in the way (use --force to replace it)";
}

static enum cv_err fail_at(const char *what, const char *name)
{
    return cv_fail_errno(CV_EIO, "cannot %s '%s'", what, name);
}

static void set_times(struct timespec ts[2], const struct rec *r)
{
    ts[0].tv_sec = 0;
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1].tv_sec = (time_t)r->mtime_sec;
    ts[1].tv_nsec = (long)r->mtime_nsec;
}

static enum cv_err write_all(struct wstate *s, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(s->file_fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return fail_at("write", s->file_name);
        p += w;
        n -= (size_t)w;
    }
    return CV_OK;
}

static enum cv_err dir_begin(struct wstate *s, const struct rec *r, const char *name)
{
    int top = s->fds[s->depth], fd;
    size_t len = strlen(s->path);

    if (s->depth + 1 >= CV_ARRAY_LEN(s->fds))
        return cv_fail(CV_EINVAL, "restore: folders nested too deep");
    if (mkdirat(top, name, 0700) != 0 && errno != EEXIST)
        return fail_at("create folder", name);
    fd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
        struct stat st;
        const char *why = in_the_way(s, name, &st);

        refuse(s, name, why ? why : "something that is not a folder is in the way");
        s->skip_depth = 1; /* and everything that was to go into it */
        return CV_OK;
    }
    if (fd < 0)
        return fail_at("open folder", name);
    s->fds[++s->depth] = fd;
    s->dirs[s->depth] = *r;
    s->plen[s->depth] = len;
    snprintf(s->path + len, sizeof(s->path) - len, "%s%s", len ? "/" : "", name);
    s->w->st->dirs++;
    return CV_OK;
}

static enum cv_err dir_end(struct wstate *s)
{
    struct timespec ts[2];
    int fd;

    if (s->depth == 0)
        return cv_fail(CV_EINVAL, "restore: a folder ends that never began");
    fd = s->fds[s->depth];
    set_times(ts, &s->dirs[s->depth]);
    fchmod(fd, s->dirs[s->depth].mode & 07777);
    futimens(fd, ts);
    close(fd);
    s->path[s->plen[s->depth]] = '\0';
    s->depth--;
    return CV_OK;
}

static enum cv_err file_finish(struct wstate *s)
{
    struct timespec ts[2];
    uint32_t mode = s->file.mode & 0777;

    set_times(ts, &s->file);
    if (mode & s->w->umask_bits) /* the umask took bits away at creation */
        fchmod(s->file_fd, mode);
    if (futimens(s->file_fd, ts) != 0)
        return fail_at("set the time of", s->file_name);
    if (close(s->file_fd) != 0) {
        s->file_fd = -1;
        return fail_at("write", s->file_name);
    }
    s->file_fd = -1;
    s->w->st->files++;
    s->w->st->bytes += s->file_bytes;
    return CV_OK;
}

static enum cv_err file_begin(struct wstate *s, const struct rec *r, const char *name,
                              const uint8_t *data)
{
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int top = s->fds[s->depth];
    struct stat st;
    const char *why;
    enum cv_err err;

    memcpy(s->file_name, name, r->name_len);
    s->file_name[r->name_len] = '\0';
    s->file = *r;
    s->file_bytes = r->data_len;
    why = in_the_way(s, s->file_name, &st);
    /* with --force, a plain file with one link is replaced by a new one; never written into */
    if (why && s->w->force && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
        unlinkat(top, s->file_name, 0) != 0 && errno != ENOENT)
        return fail_at("replace", s->file_name);
    s->file_fd = openat(top, s->file_name, flags, r->mode & 0777);
    if (s->file_fd < 0 && (errno == EEXIST || errno == ELOOP)) { /* left in the way, or raced */
        why = in_the_way(s, s->file_name, &st);
        refuse(s, s->file_name, why ? why : "something appeared in the way");
        s->skip_file = r->more;
        return CV_OK;
    }
    if (s->file_fd < 0)
        return fail_at("create", s->file_name);
    err = write_all(s, data, r->data_len);
    return err || r->more ? err : file_finish(s);
}

static enum cv_err file_chunk(struct wstate *s, const struct rec *r, const uint8_t *data)
{
    enum cv_err err;

    if (s->skip_file) { /* a refused file: its chunks go nowhere */
        s->skip_file = r->more && !r->failed;
        return CV_OK;
    }
    if (s->file_fd < 0)
        return cv_fail(CV_EINVAL, "restore: a chunk outside any file");
    if (r->failed) { /* the reader met damage: take back what was written */
        close(s->file_fd);
        s->file_fd = -1;
        unlinkat(s->fds[s->depth], s->file_name, 0);
        return CV_OK;
    }
    s->file_bytes += r->data_len;
    err = write_all(s, data, r->data_len);
    return err || r->more ? err : file_finish(s);
}

static enum cv_err make_symlink(struct wstate *s, const struct rec *r, const char *name,
                                const uint8_t *data)
{
    char target[4097], lname[CV_NAME_MAX + 1];
    struct timespec ts[2];
    int top = s->fds[s->depth];
    struct stat st;
    const char *why;

    snprintf(target, sizeof(target), "%.*s", (int)r->data_len, (const char *)data);
    snprintf(lname, sizeof(lname), "%.*s", (int)r->name_len, name);
    why = in_the_way(s, lname, &st);
    /* with --force, a link or a plain file (one hard link) is replaced: the link is the entry */
    if (why && s->w->force && (S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && st.st_nlink == 1)))
        unlinkat(top, lname, 0);
    if (symlinkat(target, top, lname) != 0) {
        if (errno != EEXIST)
            return fail_at("create link", lname);
        why = in_the_way(s, lname, &st);
        refuse(s, lname, why ? why : "something appeared in the way");
        return CV_OK;
    }
    set_times(ts, r);
    utimensat(top, lname, ts, AT_SYMLINK_NOFOLLOW);
    s->w->st->files++;
    return CV_OK;
}

static enum cv_err on_rec(struct wstate *s, const struct rec *r, const uint8_t *arena)
{
    const char *name = (const char *)arena + r->name_off;
    char dname[CV_NAME_MAX + 1];

    if (s->skip_depth) { /* inside a refused folder: nothing is written until its end */
        if (r->kind == REC_DIR_BEGIN)
            s->skip_depth++;
        else if (r->kind == REC_DIR_END)
            s->skip_depth--;
        return CV_OK;
    }
    switch (r->kind) {
    case REC_DIR_BEGIN:
        snprintf(dname, sizeof(dname), "%.*s", (int)r->name_len, name);
        return dir_begin(s, r, dname);
    case REC_DIR_END:
        return dir_end(s);
    case REC_FILE:
        return file_begin(s, r, name, arena + r->data_off);
    case REC_CHUNK:
        return file_chunk(s, r, arena + r->data_off);
    case REC_SYMLINK:
        return make_symlink(s, r, name, arena + r->data_off);
    default:
        return cv_fail(CV_EINVAL, "restore: unknown record");
    }
}

void *cv_restore_write(void *arg)
{
    struct restore_writer *w = arg;
    struct wstate s;
    struct batch *b;
    enum cv_err err = CV_OK;

    memset(&s, 0, sizeof(s));
    s.w = w;
    s.fds[0] = w->target_fd;
    s.file_fd = -1;
    while (!err && (b = cv_queue_get_full(w->q)) != NULL) {
        for (size_t i = 0; i < b->nrecs && !err; i++)
            err = on_rec(&s, &b->recs[i], b->arena);
        cv_queue_put_free(w->q, b);
    }
    if (err) {
        w->err = err;
        cv_strlcpy(w->errmsg, cv_errmsg(), sizeof(w->errmsg));
        cv_queue_stop(w->q);
    }
    if (s.file_fd >= 0)
        close(s.file_fd);
    while (s.depth > 0)
        close(s.fds[s.depth--]);
    return NULL;
}
