/*
 * backup_queue.c: the bounded hand-over between a backup's walker thread and its writer: a
 * fixed set of batches cycling between a free list and a FIFO of full ones. The walker blocks
 * when the writer falls behind, so memory never grows with the size of the source.
 */
#include "backup_int.h"

#include <string.h>

enum cv_err cv_queue_init(struct queue *q)
{
    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->changed, NULL);
    atomic_init(&q->stop, false);
    for (unsigned i = 0; i < QUEUE_DEPTH; i++) {
        struct batch *b = cv_calloc(1, sizeof(*b));

        if (!b || !(b->recs = cv_calloc(BATCH_RECS, sizeof(*b->recs))) ||
            !(b->arena = cv_malloc(BATCH_ARENA))) {
            if (b)
                cv_free(b->recs);
            cv_free(b);
            cv_queue_destroy(q);
            return cv_fail(CV_ENOMEM, "out of memory");
        }
        b->next = q->free;
        q->free = b;
    }
    return CV_OK;
}

static void free_list(struct batch *b)
{
    while (b) {
        struct batch *next = b->next;

        cv_free(b->recs);
        cv_free(b->arena);
        cv_free(b);
        b = next;
    }
}

void cv_queue_destroy(struct queue *q)
{
    free_list(q->free);
    free_list(q->full_head);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->changed);
    memset(q, 0, sizeof(*q));
}

struct batch *cv_queue_get_free(struct queue *q)
{
    struct batch *b;

    pthread_mutex_lock(&q->lock);
    while (!q->free && !atomic_load(&q->stop))
        pthread_cond_wait(&q->changed, &q->lock);
    b = atomic_load(&q->stop) ? NULL : q->free;
    if (b) {
        q->free = b->next;
        b->next = NULL;
        b->nrecs = 0;
        b->used = 0;
    }
    pthread_mutex_unlock(&q->lock);
    return b;
}

void cv_queue_put_full(struct queue *q, struct batch *b)
{
    pthread_mutex_lock(&q->lock);
    b->next = NULL;
    if (q->full_tail)
        q->full_tail->next = b;
    else
        q->full_head = b;
    q->full_tail = b;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

void cv_queue_close(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

struct batch *cv_queue_get_full(struct queue *q)
{
    struct batch *b;

    pthread_mutex_lock(&q->lock);
    while (!q->full_head && !q->closed)
        pthread_cond_wait(&q->changed, &q->lock);
    b = q->full_head;
    if (b) {
        q->full_head = b->next;
        if (!q->full_head)
            q->full_tail = NULL;
        b->next = NULL;
    }
    pthread_mutex_unlock(&q->lock);
    return b;
}

void cv_queue_put_free(struct queue *q, struct batch *b)
{
    pthread_mutex_lock(&q->lock);
    b->next = q->free;
    q->free = b;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

void cv_queue_stop(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    atomic_store(&q->stop, true);
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}
