/*
 * index_arena.c: a string arena per batch of work items, so that a batch of parsed files
 * (thousands of short strings) is handed from the reading thread to the writing thread and
 * freed in one go.
 */
#include "index_internal.h"

#include <string.h>

#define XBLOCK_SIZE 65536

struct xblock {
    struct xblock *next;
    size_t used, size;
    max_align_t align[];
};

void *xa_alloc(struct xarena *a, size_t n)
{
    struct xblock *b = a->head;
    size_t need = (n + 15) & ~(size_t)15;
    void *p;

    if (!b || b->size - b->used < need) {
        size_t size = need > XBLOCK_SIZE / 4 ? need : XBLOCK_SIZE;

        b = cv_malloc(sizeof(*b) + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        if (size == XBLOCK_SIZE || !a->head) {
            b->next = a->head;
            a->head = b;
        } else {
            /* a big one-off: keep the current block for small strings */
            b->next = a->head->next;
            a->head->next = b;
        }
        a->bytes += size;
    }
    p = (char *)b->align + b->used;
    b->used += need;
    memset(p, 0, n);
    return p;
}

char *xa_dupn(struct xarena *a, const char *s, size_t n)
{
    char *d;

    if (!s)
        return NULL;
    d = xa_alloc(a, n + 1);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *xa_dup(struct xarena *a, const char *s)
{
    return s ? xa_dupn(a, s, strlen(s)) : NULL;
}

void *xa_push(struct xarena *a, void **arr, size_t *n, size_t *cap, size_t elem)
{
    char *p;

    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        void *grown = xa_alloc(a, ncap * elem);

        if (!grown)
            return NULL;
        if (*n)
            memcpy(grown, *arr, *n * elem);
        *arr = grown;
        *cap = ncap;
    }
    p = (char *)*arr + (*n)++ * elem;
    memset(p, 0, elem);
    return p;
}

void xa_free(struct xarena *a)
{
    while (a->head) {
        struct xblock *next = a->head->next;

        cv_free(a->head);
        a->head = next;
    }
    a->bytes = 0;
}

struct item *batch_add(struct batch *b)
{
    struct item *it;

    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct item *items = cv_reallocarray(b->items, cap, sizeof(*items));

        if (!items)
            return NULL;
        b->items = items;
        b->cap = cap;
    }
    it = &b->items[b->n++];
    memset(it, 0, sizeof(*it));
    return it;
}

void batch_free(struct batch *b)
{
    if (!b)
        return;
    xa_free(&b->arena);
    cv_free(b->items);
    cv_free(b);
}
