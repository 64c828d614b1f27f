/*
 * fnv.c: FNV-1a (64 bits), the one non-cryptographic string hash for in-memory tables (the
 * watcher's batch, the index's folder map and string sets). Nothing here may guard against
 * an adversary: it only spreads keys over buckets.
 */
#include <chartvault/common.h>

uint64_t cv_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;

    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * CV_FNV1A_PRIME;
    return h;
}

uint64_t cv_fnv1a_str(const char *s)
{
    uint64_t h = CV_FNV1A_OFFSET;

    while (*s)
        h = (h ^ (unsigned char)*s++) * CV_FNV1A_PRIME;
    return h;
}
