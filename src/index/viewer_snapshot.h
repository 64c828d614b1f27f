/*
 * viewer_snapshot.h: one read snapshot across several index queries, and the version of the
 * data it sees (viewer_snapshot.c). Added by the viewer; proposed for chartvault/index.h.
 */
#ifndef CHARTVAULT_VIEWER_SNAPSHOT_H
#define CHARTVAULT_VIEWER_SNAPSHOT_H

#include <chartvault/index.h>

struct cv_index_version {
    uint64_t dev, ino, data;
    bool valid;
};

enum cv_err cv_index_snapshot_begin(struct cv_index *idx, bool *began, struct cv_index_version *v);
void cv_index_snapshot_end(struct cv_index *idx, bool began);

#endif
