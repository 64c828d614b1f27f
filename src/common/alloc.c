/*
 * alloc.c: the one allocation wrapper. Everything in libchartvault allocates through here so
 * that tests can count allocations and make the n-th one fail, proving that every caller
 * copes with running out of memory.
 */
#include <chartvault/common.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_after = -1;
static atomic_ulong calls;

void cv_alloc_fail_after(long n)
{
    atomic_store(&fail_after, n);
}

unsigned long cv_alloc_count(void)
{
    return atomic_load(&calls);
}

static bool should_fail(void)
{
    long left;

    atomic_fetch_add(&calls, 1);
    left = atomic_load(&fail_after);
    if (left < 0)
        return false;
    if (left == 0)
        return true;
    atomic_fetch_sub(&fail_after, 1);
    return false;
}

void *cv_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *cv_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *cv_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void *cv_reallocarray(void *p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return cv_realloc(p, count * size);
}

char *cv_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = cv_malloc(len + 1);

    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

char *cv_strdup(const char *s)
{
    return s ? cv_strndup(s, SIZE_MAX) : NULL;
}

void cv_free(void *p)
{
    free(p);
}
