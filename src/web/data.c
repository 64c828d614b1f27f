/*
 * data.c: the reference index as the pages see it. (Placeholder until the index API lands:
 * it reports that no data is available and why.)
 */
#include "web_internal.h"

#include <string.h>
#include <sys/stat.h>

struct web_index {
    char *path;
};

enum cv_err web_index_new(const char *db_path, struct web_index **out)
{
    struct web_index *ix = cv_calloc(1, sizeof(*ix));

    *out = NULL;
    if (!ix || !(ix->path = cv_strdup(db_path))) {
        cv_free(ix);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    *out = ix;
    return CV_OK;
}

void web_index_free(struct web_index *ix)
{
    if (!ix)
        return;
    cv_free(ix->path);
    cv_free(ix);
}

void web_data_attach(struct web_req *r)
{
    (void)r;
}

void web_data_detach(struct web_req *r)
{
    (void)r;
}

bool web_data_available(struct web_req *r, const char **why)
{
    struct stat st;

    *why = stat(r->w->index->path, &st) != 0 ? "the index file is missing"
                                             : "this build cannot read the index yet";
    return false;
}

bool web_data_time(struct web_req *r, time_t *t)
{
    (void)r;
    *t = 0;
    return false;
}
