/*
 * restore_write.c: the writing half of a restore, on its own thread. Folders and files are
 * created relative to open folder descriptors with O_NOFOLLOW, so nothing already in the
 * target (a symlink planted there) can redirect a write. Files are created with O_EXCL unless
 * --force; modes and mtimes are set before each file or folder is closed. Any write error is
 * fatal: a restore that cannot write must say so, not carry on.
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
    size_t depth;
    int file_fd;
    char file_name[CV_NAME_MAX + 1];
    struct rec file;
};

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

    if (s->depth + 1 >= CV_ARRAY_LEN(s->fds))
        return cv_fail(CV_EINVAL, "restore: folders nested too deep");
    if (mkdirat(top, name, 0700) != 0 && !(errno == EEXIST && s->w->force))
        return fail_at("create folder", name);
    fd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail_at("open folder", name);
    s->fds[++s->depth] = fd;
    s->dirs[s->depth] = *r;
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
    return CV_OK;
}

static enum cv_err file_begin(struct wstate *s, const struct rec *r, const char *name,
                              const uint8_t *data)
{
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (s->w->force ? O_TRUNC : O_EXCL);
    enum cv_err err;

    memcpy(s->file_name, name, r->name_len);
    s->file_name[r->name_len] = '\0';
    s->file = *r;
    s->file_fd = openat(s->fds[s->depth], s->file_name, flags, r->mode & 0777);
    if (s->file_fd < 0)
        return fail_at("create", s->file_name);
    err = write_all(s, data, r->data_len);
    return err || r->more ? err : file_finish(s);
}

static enum cv_err file_chunk(struct wstate *s, const struct rec *r, const uint8_t *data)
{
    enum cv_err err;

    if (s->file_fd < 0)
        return cv_fail(CV_EINVAL, "restore: a chunk outside any file");
    if (r->failed) { /* the reader met damage: take back what was written */
        close(s->file_fd);
        s->file_fd = -1;
        unlinkat(s->fds[s->depth], s->file_name, 0);
        return CV_OK;
    }
    err = write_all(s, data, r->data_len);
    return err || r->more ? err : file_finish(s);
}

static enum cv_err make_symlink(struct wstate *s, const struct rec *r, const char *name,
                                const uint8_t *data)
{
    char target[4097], lname[CV_NAME_MAX + 1];
    struct timespec ts[2];
    int top = s->fds[s->depth];

    snprintf(target, sizeof(target), "%.*s", (int)r->data_len, (const char *)data);
    snprintf(lname, sizeof(lname), "%.*s", (int)r->name_len, name);
    if (s->w->force)
        unlinkat(top, lname, 0);
    if (symlinkat(target, top, lname) != 0)
        return fail_at("create link", lname);
    set_times(ts, r);
    utimensat(top, lname, ts, AT_SYMLINK_NOFOLLOW);
    return CV_OK;
}

static enum cv_err on_rec(struct wstate *s, const struct rec *r, const uint8_t *arena)
{
    const char *name = (const char *)arena + r->name_off;
    char dname[CV_NAME_MAX + 1];

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
