/*
 * viewer_snapshot.c: one read snapshot across several index queries, for a viewer page.
 * A summary is a dozen SELECTs; outside a transaction each one takes and drops its own WAL
 * read lock and may see a different state of the index while the daemon writes. Inside one
 * read transaction the page is consistent, and the locks are taken once.
 *
 * Added by the viewer (issue 5) as a new file, using only the index's own handle; proposed
 * for include/chartvault/index.h. Declared for now in viewer_snapshot.h.
 */
#include "index_internal.h"
#include "viewer_snapshot.h"

#include <sqlite3.h>
#include <string.h>

/* Begin a read transaction unless one is already open, and say which state of which file it
 * reads. [out] *began tells whether this call began it (cv_index_snapshot_end must end it);
 * *v identifies the data seen: the file (device, inode: a newer index renamed over the path
 * is another inode, since ours stays open until the handle reopens) and SQLite's data version
 * of it, which changes with every commit by any connection. Equal versions mean equal data.
 * On failure the queries run each in their own transaction, as without this call. */
enum cv_err cv_index_snapshot_begin(struct cv_index *idx, bool *began, struct cv_index_version *v)
{
    unsigned int dv = 0;
    enum cv_err err;

    *began = false;
    memset(v, 0, sizeof(*v));
    err = index_refresh(idx);
    if (err)
        return err;
    if (!idx->db || !sqlite3_get_autocommit(idx->db))
        return CV_OK;
    if (sqlite3_exec(idx->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return index_db_error(idx->db, "begin a read snapshot");
    *began = true;
    /* BEGIN is deferred: read the header now, so that the version below is the one seen */
    if (sqlite3_exec(idx->db, "PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_file_control(idx->db, "main", SQLITE_FCNTL_DATA_VERSION, &dv) != SQLITE_OK)
        return CV_OK; /* a snapshot, but no version: nothing will be cached */
    v->dev = (uint64_t)idx->dev;
    v->ino = (uint64_t)idx->ino;
    v->data = dv;
    v->valid = true;
    return CV_OK;
}

void cv_index_snapshot_end(struct cv_index *idx, bool began)
{
    if (began && idx->db && !sqlite3_get_autocommit(idx->db))
        sqlite3_exec(idx->db, "COMMIT", NULL, NULL, NULL);
}
