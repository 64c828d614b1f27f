/*
 * idset.c: a set of blob IDs (open addressing, kept at most half full; the IDs are MACs, so
 * their first bytes are already a good hash). check, prune and the reachability walk use it.
 */
#include "store_int.h"

#include <string.h>

bool cv_idset_has(const struct cv_idset *s, const uint8_t *id)
{
    uint64_t h;

    if (!s->cap)
        return false;
    memcpy(&h, id, sizeof(h));
    for (size_t i = h & (s->cap - 1); s->used[i]; i = (i + 1) & (s->cap - 1))
        if (memcmp(s->v[i], id, CV_ID_LEN) == 0)
            return true;
    return false;
}

enum cv_err cv_idset_add(struct cv_idset *s, const uint8_t *id)
{
    uint64_t h;
    size_t i;

    if ((s->n + 1) * 2 > s->cap) {
        struct cv_idset bigger = {NULL, NULL, 0, s->cap ? s->cap * 2 : 1024};

        bigger.v = cv_calloc(bigger.cap, CV_ID_LEN);
        bigger.used = cv_calloc(bigger.cap, sizeof(bool));
        if (!bigger.v || !bigger.used) {
            cv_free(bigger.v);
            cv_free(bigger.used);
            return cv_fail(CV_ENOMEM, "out of memory");
        }
        for (size_t k = 0; k < s->cap; k++)
            if (s->used[k])
                cv_idset_add(&bigger, s->v[k]);
        cv_free(s->v);
        cv_free(s->used);
        *s = bigger;
    }
    if (cv_idset_has(s, id))
        return CV_OK;
    memcpy(&h, id, sizeof(h));
    for (i = h & (s->cap - 1); s->used[i]; i = (i + 1) & (s->cap - 1))
        ;
    memcpy(s->v[i], id, CV_ID_LEN);
    s->used[i] = true;
    s->n++;
    return CV_OK;
}

void cv_idset_free(struct cv_idset *s)
{
    cv_free(s->v);
    cv_free(s->used);
    memset(s, 0, sizeof(*s));
}
