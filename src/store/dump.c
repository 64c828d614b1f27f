/*
 * dump.c: `dump-index`: the reference index stored in a snapshot, written back to a file so a
 * viewer can start from any snapshot (or an offline copy on a laptop). Written to a private
 * temporary name beside the target, checked for size, fsync'd and renamed into place.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static enum cv_err write_chunks(struct cv_reader *rd, const struct cv_tree_entry *e, int fd,
                                const char *path, uint64_t *size)
{
    enum cv_err err = CV_OK;

    *size = 0;
    for (size_t i = 0; !err && i < e->nchunks; i++) {
        const uint8_t *p;
        size_t n;

        err = cv_reader_blob(rd, e->chunks + i * CV_ID_LEN, &p, &n);
        while (!err && n) {
            ssize_t w = write(fd, p, n);

            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                err = cv_fail_errno(CV_EIO, "cannot write '%s'", path);
                break;
            }
            p += w;
            n -= (size_t)w;
            *size += (uint64_t)w;
        }
    }
    if (!err && *size != e->size)
        err = cv_fail(CV_ECORRUPT, "the stored index has %llu bytes, its entry says %llu",
                      (unsigned long long)*size, (unsigned long long)e->size);
    return err;
}

enum cv_err cv_dump_index(struct cv_repo *repo, const struct cv_snapshot *snap,
                          const char *out_path, bool force, uint64_t *size)
{
    struct cv_listing l = CV_LISTING_INIT;
    struct cv_tree_entry e;
    struct cv_reader *rd = NULL;
    char tmp[PATH_MAX], dir[PATH_MAX];
    enum cv_err err;
    int fd;

    *size = 0;
    if (!snap->has_db)
        return cv_fail(CV_ENOENT, "snapshot %.8s holds no reference index (back up with --db)",
                       snap->name);
    if (!force && access(out_path, F_OK) == 0)
        return cv_fail(CV_EEXIST, "'%s' exists (use --force to replace it)", out_path);
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", out_path, (long)getpid()) >= sizeof(tmp))
        return cv_fail(CV_EINVAL, "path too long: '%s'", out_path);
    err = cv_reader_new(repo, 2, &rd);
    if (!err)
        err = cv_snapshot_db_entry(rd, snap, &l, &e);
    fd = err ? -1 : open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (!err && fd < 0)
        err = cv_fail_errno(CV_EIO, "cannot create '%s'", tmp);
    if (err) {
        cv_listing_free(&l);
        cv_reader_free(rd);
        return err;
    }
    err = write_chunks(rd, &e, fd, tmp, size);
    cv_listing_free(&l);
    cv_reader_free(rd);
    if (!err && fsync(fd) != 0)
        err = cv_fail_errno(CV_EIO, "cannot sync '%s'", tmp);
    if (close(fd) != 0 && !err)
        err = cv_fail_errno(CV_EIO, "cannot write '%s'", tmp);
    if (!err && rename(tmp, out_path) != 0)
        err = cv_fail_errno(CV_EIO, "cannot rename '%s' to '%s'", tmp, out_path);
    if (err) {
        unlink(tmp);
        return err;
    }
    cv_strlcpy(dir, out_path, sizeof(dir));
    return cv_fsync_dir(dirname(dir));
}
