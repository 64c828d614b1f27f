/*
 * local.c: the local-folder backend. Objects are files under the repository folder; a put
 * writes a private temporary file and starts its write-back at once, and sync() makes the
 * pending files durable (fsync), gives them their final names without ever replacing a file
 * (renameat2 RENAME_NOREPLACE) and fsyncs their folders. Nothing here deletes or rewrites a
 * repository file; the only unlink is of this process's own never-published temporaries.
 */
#include <chartvault/backend.h>

#include "local_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCAL_FD_CACHE 8

struct local_pending {
    char tmp[96];   /* relative to the repository folder */
    char final[96]; /* same */
};

struct local_fd {
    char path[96];
    int fd;
};

struct local_backend {
    struct cv_backend base;
    int dirfd;
    struct local_pending *pending;
    size_t npending, cap;
    pthread_mutex_t fd_lock; /* guards fds[] and reads through them */
    struct local_fd fds[LOCAL_FD_CACHE];
    unsigned fd_next;
};

static const char *const kind_dirs[] = {
    [CV_OBJ_CONFIG] = "",     [CV_OBJ_KEY] = "keys",   [CV_OBJ_SNAPSHOT] = "snapshots",
    [CV_OBJ_INDEX] = "index", [CV_OBJ_PACK] = "packs", [CV_OBJ_PRUNE] = "prune"};

static struct local_backend *local(struct cv_backend *be)
{
    return (struct local_backend *)be;
}

enum cv_err cv_backend_local_path(enum cv_obj_kind kind, const char *name, char *path, size_t n)
{
    if (kind == CV_OBJ_CONFIG)
        return cv_path_format(path, n, "config");
    if ((unsigned)kind > CV_OBJ_PRUNE || !cv_obj_name_valid(name))
        return cv_fail(CV_EINVAL, "'%s' is not a repository object name", name);
    if (kind == CV_OBJ_PACK)
        return cv_path_format(path, n, "packs/%.2s/%s", name, name);
    return cv_path_join(path, n, kind_dirs[kind], name);
}

static enum cv_err write_all(int fd, const void *p, size_t n, const char *what)
{
    const char *c = p;

    while (n) {
        ssize_t w = write(fd, c, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return cv_fail_errno(CV_EIO, "cannot write '%s'", what);
        c += w;
        n -= (size_t)w;
    }
    return CV_OK;
}

static enum cv_err local_put(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                             const void *p, size_t n)
{
    struct local_backend *l = local(be);
    struct local_pending *pd;
    char suffix[CV_OBJ_NAME_LEN + 1];
    enum cv_err err;
    int fd;

    if (l->npending == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void *np = cv_reallocarray(l->pending, cap, sizeof(*l->pending));

        if (!np)
            return cv_fail(CV_ENOMEM, "out of memory");
        l->pending = np;
        l->cap = cap;
    }
    pd = &l->pending[l->npending];
    err = cv_backend_local_path(kind, name, pd->final, sizeof(pd->final));
    if (err)
        return err;
    if (faccessat(l->dirfd, pd->final, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return cv_fail(CV_EEXIST, "'%s/%s' already exists", be->location, pd->final);
    cv_obj_name_random(suffix);
    err = cv_path_format(pd->tmp, sizeof(pd->tmp), "%s.tmp-%.16s", pd->final, suffix);
    if (err)
        return err;
    if (kind == CV_OBJ_PRUNE) /* a folder repositories made before it existed lack */
        mkdirat(l->dirfd, kind_dirs[kind], 0700);
    fd = openat(l->dirfd, pd->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot create '%s/%s'", be->location, pd->tmp);
    err = write_all(fd, p, n, pd->tmp);
    if (!err) /* start the write-back now, so that sync() finds little left to do */
        sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    if (close(fd) != 0 && !err)
        err = cv_fail_errno(CV_EIO, "cannot close '%s/%s'", be->location, pd->tmp);
    if (err) {
        unlinkat(l->dirfd, pd->tmp, 0);
        return err;
    }
    l->npending++;
    return CV_OK;
}

static enum cv_err fsync_at(int dirfd, const char *path, int flags, const char *where)
{
    int fd = openat(dirfd, path, flags | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot open '%s/%s'", where, path);
    rc = fsync(fd);
    close(fd);
    if (rc != 0 && errno != EINVAL)
        return cv_fail_errno(CV_EIO, "cannot sync '%s/%s'", where, path);
    return CV_OK;
}

/* Give a durable temporary its final name, never replacing an existing file. */
static enum cv_err publish(struct local_backend *l, const struct local_pending *pd)
{
    const char *where = l->base.location;

    if (renameat2(l->dirfd, pd->tmp, l->dirfd, pd->final, RENAME_NOREPLACE) == 0)
        return CV_OK;
    if (errno == EEXIST)
        return cv_fail(CV_EEXIST, "'%s/%s' already exists", where, pd->final);
    if (errno != EINVAL && errno != ENOSYS)
        return cv_fail_errno(CV_EIO, "cannot rename '%s/%s'", where, pd->tmp);
    /* file systems without RENAME_NOREPLACE: link() refuses to replace as well */
    if (linkat(l->dirfd, pd->tmp, l->dirfd, pd->final, 0) != 0)
        return cv_fail_errno(CV_EIO, "cannot link '%s/%s'", where, pd->final);
    unlinkat(l->dirfd, pd->tmp, 0);
    return CV_OK;
}

static enum cv_err local_sync(struct cv_backend *be)
{
    struct local_backend *l = local(be);
    enum cv_err err = CV_OK;
    char done_dirs[16][96];
    size_t ndone = 0, i;

    for (i = 0; i < l->npending && !err; i++)
        err = fsync_at(l->dirfd, l->pending[i].tmp, O_RDONLY, be->location);
    for (i = 0; i < l->npending && !err; i++)
        err = publish(l, &l->pending[i]);
    for (i = 0; i < l->npending && !err; i++) {
        char dir[96];
        char *slash;
        size_t k;

        cv_strlcpy(dir, l->pending[i].final, sizeof(dir));
        slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(dir, sizeof(dir), ".");
        for (k = 0; k < ndone && strcmp(done_dirs[k], dir) != 0; k++)
            ;
        if (k < ndone)
            continue;
        err = fsync_at(l->dirfd, dir, O_RDONLY | O_DIRECTORY, be->location);
        if (ndone < CV_ARRAY_LEN(done_dirs))
            cv_strlcpy(done_dirs[ndone++], dir, sizeof(done_dirs[0]));
    }
    l->npending = 0;
    return err;
}

/* A key file that others may read is refused, as every secret file is. */
static enum cv_err check_key_private(int fd, const char *where, const char *path)
{
    struct stat st;

    if (fstat(fd, &st) != 0)
        return cv_fail_errno(CV_EIO, "cannot read '%s/%s'", where, path);
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return cv_fail(CV_EPERM,
                       "'%s/%s' is readable or writable by group or others (mode %03o); "
                       "run: chmod 600 '%s/%s'",
                       where, path, (unsigned)(st.st_mode & 0777), where, path);
    return CV_OK;
}

/* An open descriptor for `path`, from the small cache; call with fd_lock held. */
static int cached_fd(struct local_backend *l, const char *path)
{
    struct local_fd *slot;
    int fd;

    for (unsigned i = 0; i < LOCAL_FD_CACHE; i++)
        if (l->fds[i].fd >= 0 && strcmp(l->fds[i].path, path) == 0)
            return l->fds[i].fd;
    fd = openat(l->dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    slot = &l->fds[l->fd_next++ % LOCAL_FD_CACHE];
    if (slot->fd >= 0)
        close(slot->fd);
    slot->fd = fd;
    cv_strlcpy(slot->path, path, sizeof(slot->path));
    return fd;
}

static enum cv_err local_get(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                             uint64_t off, size_t n, void *out, size_t *got)
{
    struct local_backend *l = local(be);
    char path[96];
    enum cv_err err = cv_backend_local_path(kind, name, path, sizeof(path));
    size_t have = 0;
    int fd;

    *got = 0;
    if (err)
        return err;
    pthread_mutex_lock(&l->fd_lock);
    fd = cached_fd(l, path);
    if (fd < 0) {
        err = cv_fail_errno(CV_EIO, "cannot open '%s/%s'", be->location, path);
        goto out_unlock;
    }
    if (kind == CV_OBJ_KEY && (err = check_key_private(fd, be->location, path)) != CV_OK)
        goto out_unlock;
    while (have < n) {
        ssize_t r = pread(fd, (char *)out + have, n - have, (off_t)(off + have));

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err = cv_fail_errno(CV_EIO, "cannot read '%s/%s'", be->location, path);
            goto out_unlock;
        }
        if (r == 0)
            break;
        have += (size_t)r;
    }
    *got = have;
out_unlock:
    pthread_mutex_unlock(&l->fd_lock);
    return err;
}

static enum cv_err local_size(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                              uint64_t *size)
{
    struct local_backend *l = local(be);
    char path[96];
    struct stat st;
    enum cv_err err = cv_backend_local_path(kind, name, path, sizeof(path));

    *size = 0;
    if (err)
        return err;
    if (fstatat(l->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return cv_fail_errno(CV_EIO, "cannot read '%s/%s'", be->location, path);
    if (!S_ISREG(st.st_mode))
        return cv_fail(CV_ECORRUPT, "'%s/%s' is not a regular file", be->location, path);
    *size = (uint64_t)st.st_size;
    return CV_OK;
}

static enum cv_err list_dir(struct local_backend *l, const char *dir, cv_backend_list_fn fn,
                            void *arg, uint64_t *skipped)
{
    int fd = openat(l->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    enum cv_err err = CV_OK;
    struct dirent *e;
    DIR *d;

    if (fd < 0 && errno == ENOENT && strcmp(dir, kind_dirs[CV_OBJ_PRUNE]) == 0)
        return CV_OK; /* no prune ever ran here */
    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot open folder '%s/%s'", l->base.location, dir);
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return cv_fail_errno(CV_EIO, "cannot read folder '%s/%s'", l->base.location, dir);
    }
    while (!err && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (cv_obj_name_valid(e->d_name))
            err = fn(e->d_name, arg);
        else if (skipped)
            (*skipped)++;
    }
    closedir(d);
    return err;
}

static enum cv_err local_list(struct cv_backend *be, enum cv_obj_kind kind, cv_backend_list_fn fn,
                              void *arg, uint64_t *skipped)
{
    struct local_backend *l = local(be);
    enum cv_err err = CV_OK;

    if (kind == CV_OBJ_CONFIG || (unsigned)kind > CV_OBJ_PRUNE)
        return cv_fail(CV_EINVAL, "cannot list that kind of object");
    if (kind != CV_OBJ_PACK)
        return list_dir(l, kind_dirs[kind], fn, arg, skipped);
    for (unsigned i = 0; i < 256 && !err; i++) {
        char dir[16];

        snprintf(dir, sizeof(dir), "packs/%02x", i);
        err = list_dir(l, dir, fn, arg, skipped);
    }
    return err;
}

static void local_close(struct cv_backend *be)
{
    struct local_backend *l = local(be);

    for (size_t i = 0; i < l->npending; i++) /* never published: not part of the repository */
        unlinkat(l->dirfd, l->pending[i].tmp, 0);
    for (unsigned i = 0; i < LOCAL_FD_CACHE; i++)
        if (l->fds[i].fd >= 0)
            close(l->fds[i].fd);
    pthread_mutex_destroy(&l->fd_lock);
    close(l->dirfd);
    cv_free(l->pending);
    cv_free(l->base.location);
    cv_free(l);
}

static const struct cv_backend_ops local_ops = {
    .scheme = "local",
    .put = local_put,
    .sync = local_sync,
    .get = local_get,
    .size = local_size,
    .list = local_list,
    .close = local_close,
};

/* Make the folder layout of a new repository inside the (new or empty) folder `dir`; with
 * `resume`, a folder that already holds the layout (a `copy` killed before its config) too. */
static enum cv_err create_layout(const char *dir, bool resume)
{
    static const char *const subdirs[] = {"keys", "snapshots", "index", "packs", "prune"};
    char path[PATH_MAX];

    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return cv_fail_errno(CV_EIO, "cannot create folder '%s'", dir);
    if (cv_dir_nonempty(dir) && !resume)
        return cv_fail(CV_EEXIST, "'%s' is not empty", dir);
    for (size_t i = 0; i < CV_ARRAY_LEN(subdirs); i++) {
        if (cv_path_join(path, sizeof(path), dir, subdirs[i]))
            return cv_fail_prefix(CV_ETOOBIG, "repository folder: ");
        if (mkdir(path, 0700) != 0 && !(resume && errno == EEXIST))
            return cv_fail_errno(CV_EIO, "cannot create folder '%s'", path);
    }
    for (unsigned i = 0; i < 256; i++) {
        if (cv_path_format(path, sizeof(path), "%s/packs/%02x", dir, i))
            return cv_fail_prefix(CV_ETOOBIG, "repository folder: ");
        if (mkdir(path, 0700) != 0 && !(resume && errno == EEXIST))
            return cv_fail_errno(CV_EIO, "cannot create folder '%s'", path);
    }
    return cv_fsync_dir(dir);
}

/* A repository that others may write to is refused: they could remove or replace what it
 * holds (the MACs find a change, but not bring lost data back), so nothing is written there and
 * `status` reports it. The folder, its layout and the config are looked at. */
static enum cv_err check_not_shared(int dirfd, const char *dir)
{
    static const char *const names[] = {".",     "config", "keys", "snapshots",
                                        "index", "packs",  "prune"};
    struct stat st;
    char name[16];

    for (unsigned i = 0; i < CV_ARRAY_LEN(names) + 256; i++) {
        const char *n = i < CV_ARRAY_LEN(names) ? names[i] : name;

        if (i >= CV_ARRAY_LEN(names))
            snprintf(name, sizeof(name), "packs/%02x", i - (unsigned)CV_ARRAY_LEN(names));
        if (fstatat(dirfd, n, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* a missing part is found (and named) when it is needed */
        if (st.st_mode & (S_IWGRP | S_IWOTH))
            return cv_fail(CV_EPERM,
                           "repository '%s' may be written by group or others ('%s' has mode "
                           "%03o): they could remove or replace its data; run: chmod -R go-w "
                           "'%s'",
                           dir, n, (unsigned)(st.st_mode & 0777), dir);
    }
    return CV_OK;
}

enum cv_err cv_backend_local_open(const char *dir, const struct cv_backend_opts *opts,
                                  struct cv_backend **out)
{
    bool create = opts && opts->create;
    struct local_backend *l;
    enum cv_err err;

    *out = NULL;
    if (strlen(dir) >= PATH_MAX - 128)
        return cv_fail(CV_EINVAL, "path too long: '%s'", dir);
    if (create && (err = create_layout(dir, opts->resume)) != CV_OK)
        return err;
    l = cv_calloc(1, sizeof(*l));
    if (!l || !(l->base.location = cv_strdup(dir))) {
        cv_free(l);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    l->base.ops = &local_ops;
    for (unsigned i = 0; i < LOCAL_FD_CACHE; i++)
        l->fds[i].fd = -1;
    pthread_mutex_init(&l->fd_lock, NULL);
    l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (l->dirfd < 0) {
        err = cv_fail_errno(CV_EIO, "cannot open repository '%s'", dir);
        goto out_free;
    }
    if (!create && faccessat(l->dirfd, "config", F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
        err = cv_fail(CV_ENOENT, "'%s' is not a chartvault repository (no config)", dir);
        goto out_free;
    }
    err = check_not_shared(l->dirfd, dir);
    if (err)
        goto out_free;
    *out = &l->base;
    return CV_OK;
out_free:
    local_close(&l->base);
    return err;
}
