/*
 * file.c: the few file-system operations whose safety matters everywhere: durable atomic
 * writes (temporary name, fsync, rename, fsync of the folder), folder creation, and the
 * refusal of secrets that other users could read.
 */
#include <chartvault/common.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum cv_err cv_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot open folder '%s'", path);
    rc = fsync(fd);
    close(fd);
    if (rc != 0 && errno != EINVAL)
        return cv_fail_errno(CV_EIO, "cannot sync folder '%s'", path);
    return CV_OK;
}

static enum cv_err write_all(int fd, const void *p, size_t n, const char *path)
{
    const char *c = p;

    while (n) {
        ssize_t w = write(fd, c, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return cv_fail_errno(CV_EIO, "cannot write '%s'", path);
        }
        c += w;
        n -= (size_t)w;
    }
    return CV_OK;
}

enum cv_err cv_file_write_atomic(const char *path, const void *p, size_t n, unsigned mode)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    enum cv_err err;
    int fd;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
        return cv_fail(CV_EINVAL, "path too long: '%s'", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot create '%s'", tmp);
    err = write_all(fd, p, n, tmp);
    if (!err && fsync(fd) != 0)
        err = cv_fail_errno(CV_EIO, "cannot sync '%s'", tmp);
    if (close(fd) != 0 && !err)
        err = cv_fail_errno(CV_EIO, "cannot close '%s'", tmp);
    if (!err && rename(tmp, path) != 0)
        err = cv_fail_errno(CV_EIO, "cannot rename '%s' to '%s'", tmp, path);
    if (err) {
        unlink(tmp);
        return err;
    }
    cv_strlcpy(dir, path, sizeof(dir));
    return cv_fsync_dir(dirname(dir));
}

enum cv_err cv_mkdir_p(const char *path, unsigned mode)
{
    char buf[PATH_MAX];
    size_t len = cv_strlcpy(buf, path, sizeof(buf));
    char *p;

    if (len >= sizeof(buf))
        return cv_fail(CV_EINVAL, "path too long: '%s'", path);
    for (p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return cv_fail_errno(CV_EIO, "cannot create folder '%s'", buf);
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return cv_fail_errno(CV_EIO, "cannot create folder '%s'", buf);
    return CV_OK;
}

enum cv_err cv_file_check_private(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return cv_fail_errno(CV_EIO, "cannot read '%s'", path);
    if (!S_ISREG(st.st_mode))
        return cv_fail(CV_EPERM, "'%s' is not a regular file", path);
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return cv_fail(CV_EPERM,
                       "'%s' is readable or writable by group or others (mode %03o); "
                       "run: chmod 600 '%s'",
                       path, (unsigned)(st.st_mode & 0777), path);
    return CV_OK;
}

bool cv_dir_nonempty(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    bool found = false;

    if (!d)
        return false;
    while (!found && (e = readdir(d)) != NULL)
        found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return found;
}
