/*
 * viewer_snapshot.c: one read snapshot across several index queries, for a viewer page.
 * A summary is a dozen SELECTs; outside a transaction each one takes and drops its own WAL
 * read lock and may see a different state of the index while the daemon writes. Inside one
 * read transaction the page is consistent, and the locks are taken once.
 *
 * Added by the viewer (issue 5) as a new file, using only the index's own handle; proposed
 * for include/chartvault/index.h. Declared for now in src/web/web_internal.h.
 */
#include "index_internal.h"

#include <sqlite3.h>

/* Begin a read transaction unless one is already open. [out] *began tells whether this call
 * began it (and cv_index_snapshot_end must end it). Failure is not fatal: the queries then
 * run each in their own transaction, as without this call. */
enum cv_err cv_index_snapshot_begin(struct cv_index *idx, bool *began)
{
    enum cv_err err;

    *began = false;
    err = index_refresh(idx);
    if (err)
        return err;
    if (!idx->db || !sqlite3_get_autocommit(idx->db))
        return CV_OK;
    if (sqlite3_exec(idx->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return index_db_error(idx->db, "begin a read snapshot");
    *began = true;
    return CV_OK;
}

void cv_index_snapshot_end(struct cv_index *idx, bool began)
{
    if (began && idx->db && !sqlite3_get_autocommit(idx->db))
        sqlite3_exec(idx->db, "COMMIT", NULL, NULL, NULL);
}
