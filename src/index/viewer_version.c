/*
 * viewer_version.c: the version of the data a read snapshot sees (chartvault/index.h). Added by
 * the viewer (issue 5) as a new file, using only the index's own handle.
 */
#include "index_internal.h"

#include <sqlite3.h>
#include <string.h>

void cv_index_data_version(struct cv_index *idx, struct cv_index_version *v)
{
    unsigned int dv = 0;

    memset(v, 0, sizeof(*v));
    if (!idx->db || sqlite3_get_autocommit(idx->db))
        return; /* no snapshot: each query could see other data */
    /* BEGIN is deferred: read the header now, so that the version is the one the page sees */
    if (sqlite3_exec(idx->db, "PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_file_control(idx->db, "main", SQLITE_FCNTL_DATA_VERSION, &dv) != SQLITE_OK)
        return;
    v->dev = (uint64_t)idx->dev;
    v->ino = (uint64_t)idx->ino;
    v->data = dv;
    v->valid = true;
}
