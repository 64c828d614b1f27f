/*
 * index_probe.c: does an index file restored by a drill open and answer? Its own file because
 * chartvault/index.h and chartvault/store.h both define CV_CHANGE_RENAMED.
 */
#include "daemon_parts.h"

#include <chartvault/index.h>

enum cv_err cv_index_probe(const char *path, long long *files)
{
    struct cv_index_info info;
    struct cv_index *idx = NULL;
    enum cv_err err = cv_index_open(path, CV_INDEX_READONLY, &idx);

    *files = 0;
    if (!err)
        err = cv_index_info(idx, &info);
    if (!err)
        *files = info.files;
    cv_index_close(idx);
    return err;
}
