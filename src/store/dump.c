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

static enum cv_err write_chunks(struct cv_repo *repo, const struct cv_tree_entry *e, int fd,
                                const char *path, uint64_t *size)
{
    struct cv_reader *rd;
    enum cv_err err = cv_reader_new(repo, 2, &rd);

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
    cv_reader_free(rd);
    return err;
}

enum cv_err cv_dump_index(struct cv_repo *repo, const struct cv_snapshot *snap,
                          const char *out_path, bool force, uint64_t *size)
{
    struct cv_tree_rd t;
    struct cv_tree_entry e;
    char tmp[PATH_MAX], dir[PATH_MAX];
    bool more;
    enum cv_err err;
    int fd;

    *size = 0;
    if (!snap->has_db)
        return cv_fail(CV_ENOENT, "snapshot %.8s holds no reference index (back up with --db)",
                       snap->name);
    cv_tree_rd_inline(&t, snap->db_entry_, snap->db_entry_len_);
    err = cv_tree_next(&t, &e, &more);
    if (err)
        return err;
    if (!force && access(out_path, F_OK) == 0)
        return cv_fail(CV_EEXIST, "'%s' exists (use --force to replace it)", out_path);
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", out_path, (long)getpid()) >= sizeof(tmp))
        return cv_fail(CV_EINVAL, "path too long: '%s'", out_path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot create '%s'", tmp);
    err = write_chunks(repo, &e, fd, tmp, size);
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
