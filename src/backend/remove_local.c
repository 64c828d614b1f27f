/*
 * remove_local.c: removing objects from a repository in a local folder (backend_remove.h):
 * unlink, then at sync() an fsync of each folder touched, so that a later step of a prune never
 * becomes durable before an earlier one. Only `forget` and `prune` open it.
 */
#include <chartvault/backend_remove.h>

#include "local_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOUCHED_MAX 300 /* packs/00..ff and the other folders */

struct local_remover {
    struct cv_remover base;
    int dirfd;
    char touched[TOUCHED_MAX][16]; /* folders with removals not yet made durable */
    size_t ntouched;
};

static struct local_remover *lr(struct cv_remover *rm)
{
    return (struct local_remover *)rm;
}

static void touch(struct local_remover *l, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    char dir[16];

    if (n == 0 || n >= sizeof(dir))
        return;
    memcpy(dir, path, n);
    dir[n] = '\0';
    for (size_t i = 0; i < l->ntouched; i++)
        if (strcmp(l->touched[i], dir) == 0)
            return;
    if (l->ntouched < TOUCHED_MAX)
        memcpy(l->touched[l->ntouched++], dir, n + 1);
}

static enum cv_err local_remove(struct cv_remover *rm, enum cv_obj_kind kind, const char *name,
                                enum cv_remove_result *res)
{
    struct local_remover *l = lr(rm);
    char path[96];
    enum cv_err err = cv_backend_local_path(kind, name, path, sizeof(path));

    *res = CV_REMOVE_ABSENT;
    if (err)
        return err;
    if (kind == CV_OBJ_CONFIG || kind == CV_OBJ_KEY)
        return cv_fail(CV_EINVAL, "'%s' is not something retention removes", path);
    if (unlinkat(l->dirfd, path, 0) != 0) {
        if (errno == ENOENT)
            return CV_OK;
        return cv_fail_errno(CV_EIO, "cannot remove '%s/%s'", rm->location, path);
    }
    *res = CV_REMOVED;
    touch(l, path);
    return CV_OK;
}

static enum cv_err local_sync(struct cv_remover *rm)
{
    struct local_remover *l = lr(rm);
    enum cv_err err = CV_OK;

    for (size_t i = 0; i < l->ntouched && !err; i++) {
        int fd = openat(l->dirfd, l->touched[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || fsync(fd) != 0)
            err = cv_fail_errno(CV_EIO, "cannot sync '%s/%s'", rm->location, l->touched[i]);
        if (fd >= 0)
            close(fd);
    }
    l->ntouched = 0;
    return err;
}

/* Each object file in folder `dir` (relative to the repository) to fn, with its mtime. */
static enum cv_err list_folder(struct local_remover *l, const char *dir, cv_remover_list_fn fn,
                               void *arg)
{
    int fd = openat(l->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    enum cv_err err = CV_OK;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return errno == ENOENT
                   ? CV_OK
                   : cv_fail_errno(CV_EIO, "cannot list '%s/%s'", l->base.location, dir);
    }
    while (!err && (e = readdir(d)) != NULL) {
        struct stat st;

        if (!cv_obj_name_valid(e->d_name)) /* temporaries and strangers are no objects */
            continue;
        if (strncmp(dir, "packs/", 6) == 0 && memcmp(e->d_name, dir + 6, 2) != 0)
            continue; /* a pack in the wrong folder is not where readers look */
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue; /* gone meanwhile, or not a file */
        err = fn(arg, e->d_name, (int64_t)st.st_mtime, (uint64_t)st.st_size);
    }
    closedir(d);
    return err;
}

static enum cv_err local_list(struct cv_remover *rm, enum cv_obj_kind kind, cv_remover_list_fn fn,
                              void *arg)
{
    static const char *const dirs[] = {[CV_OBJ_KEY] = "keys",
                                       [CV_OBJ_SNAPSHOT] = "snapshots",
                                       [CV_OBJ_INDEX] = "index",
                                       [CV_OBJ_PRUNE] = "prune"};
    struct local_remover *l = lr(rm);
    enum cv_err err = CV_OK;

    if (kind != CV_OBJ_PACK)
        return kind == CV_OBJ_CONFIG || (unsigned)kind > CV_OBJ_PRUNE
                   ? cv_fail(CV_EINVAL, "cannot list that kind of object")
                   : list_folder(l, dirs[kind], fn, arg);
    for (unsigned i = 0; i < 256 && !err; i++) {
        char dir[16];

        snprintf(dir, sizeof(dir), "packs/%02x", i);
        err = list_folder(l, dir, fn, arg);
    }
    return err;
}

static void local_close(struct cv_remover *rm)
{
    struct local_remover *l = lr(rm);

    if (l->dirfd >= 0)
        close(l->dirfd);
    cv_free(rm->location);
    cv_free(l);
}

static const struct cv_remover_ops local_remove_ops = {
    .remove = local_remove,
    .sync = local_sync,
    .close = local_close,
    .list = local_list,
};

enum cv_err cv_remover_local_open(const char *dir, struct cv_remover **out)
{
    struct local_remover *l = cv_calloc(1, sizeof(*l));

    *out = NULL;
    if (!l || !(l->base.location = cv_strdup(dir))) {
        cv_free(l);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    l->base.ops = &local_remove_ops;
    l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (l->dirfd < 0 || faccessat(l->dirfd, "config", F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
        enum cv_err err = l->dirfd < 0
                              ? cv_fail_errno(CV_EIO, "cannot open repository '%s'", dir)
                              : cv_fail(CV_ENOENT, "'%s' is not a chartvault repository", dir);

        local_close(&l->base);
        return err;
    }
    *out = &l->base;
    return CV_OK;
}

enum cv_err cv_remover_open_with(const char *location, const struct cv_backend_opts *opts,
                                 struct cv_remover **out)
{
    *out = NULL;
    if (!location || !*location)
        return cv_fail(CV_EINVAL, "no repository given");
    if (cv_backend_is_s3(location))
        return cv_remover_s3_open(location, opts, out);
    if (strstr(location, "://"))
        return cv_fail(CV_EUNSUPPORTED, "'%s': not a folder or an s3: location", location);
    return cv_remover_local_open(location, out);
}

enum cv_err cv_remover_open(const char *location, struct cv_remover **out)
{
    return cv_remover_open_with(location, NULL, out);
}

void cv_remover_close(struct cv_remover *rm)
{
    if (rm)
        rm->ops->close(rm);
}
