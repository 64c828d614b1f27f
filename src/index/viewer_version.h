/*
 * viewer_version.h: which data a read snapshot sees (viewer_version.c), so the viewer can
 * reuse a rendered page only for exactly the same data. Added by the viewer; proposed for
 * chartvault/index.h next to cv_index_snapshot_begin().
 */
#ifndef CHARTVAULT_VIEWER_VERSION_H
#define CHARTVAULT_VIEWER_VERSION_H

#include <chartvault/index.h>

struct cv_index_version {
    uint64_t dev, ino, data;
    bool valid;
};

/* Inside a snapshot (cv_index_snapshot_begin() began one), the version of the data it reads:
 * the file (device, inode: a newer index renamed over the path is another inode, since ours
 * stays open until the handle reopens) and SQLite's data version of it, which changes with
 * every commit by any connection. Equal versions mean equal data. v->valid is false when
 * it cannot be told (no snapshot): then nothing may be reused. */
void cv_index_data_version(struct cv_index *idx, struct cv_index_version *v);

#endif
