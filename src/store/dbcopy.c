/*
 * dbcopy.c: a consistent copy of the SQLite reference index while the indexer may be writing
 * it: SQLite's online backup API copies every page inside one read transaction into a private
 * temporary file, which the backup then stores like any other file.
 */
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum cv_err make_temp(char **path)
{
    const char *dir = getenv("TMPDIR");
    char *p;
    int fd;

    if (!dir || !*dir)
        dir = "/tmp";
    p = cv_malloc(strlen(dir) + 32);
    if (!p)
        return cv_fail(CV_ENOMEM, "out of memory");
    sprintf(p, "%s/chartvault-db-XXXXXX", dir);
    fd = mkstemp(p); /* mode 0600 */
    if (fd < 0) {
        enum cv_err err = cv_fail_errno(CV_EIO, "cannot create a temporary file in '%s'", dir);

        cv_free(p);
        return err;
    }
    close(fd);
    *path = p;
    return CV_OK;
}

enum cv_err cv_db_snapshot_copy(const char *db, char **tmp_path)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *bk;
    enum cv_err err;
    int rc;

    *tmp_path = NULL;
    err = make_temp(tmp_path);
    if (err)
        return err;
    rc = sqlite3_open_v2(db, &src, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_open_v2(*tmp_path, &dst, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        err = cv_fail(CV_EDB, "cannot open '%s': %s", db, sqlite3_errstr(rc));
        goto out_close;
    }
    sqlite3_busy_timeout(src, 10000);
    bk = sqlite3_backup_init(dst, "main", src, "main");
    if (!bk) {
        err = cv_fail(CV_EDB, "cannot copy '%s': %s", db, sqlite3_errmsg(dst));
        goto out_close;
    }
    rc = sqlite3_backup_step(bk, -1); /* every page in one read transaction: consistent */
    sqlite3_backup_finish(bk);
    if (rc != SQLITE_DONE)
        err = cv_fail(CV_EDB, "cannot copy '%s': %s", db, sqlite3_errstr(rc));
out_close:
    sqlite3_close(src);
    sqlite3_close(dst);
    if (err) {
        unlink(*tmp_path);
        cv_free(*tmp_path);
        *tmp_path = NULL;
    }
    return err;
}
