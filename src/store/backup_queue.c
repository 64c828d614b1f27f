/*
 * backup_queue.c: the bounded hand-over between a backup's reading threads and its writer (a
 * restore uses it too, with one reader). The stream the writer consumes is cut into sequence
 * numbers: each is produced by one thread, in order, and the writer takes them in number order,
 * so several readers can read different folders at once while the writer still sees the tree
 * depth first. Every producer owns a fixed set of batches; a producer blocks when all of its own
 * are waiting for the writer, so memory never grows with the size of the source.
 *
 * Why it cannot deadlock: a producer's batches are free or queued in sequences the writer has not
 * finished, and the sequence the writer waits for is always being produced by a running thread
 * (sequences are claimed in number order), whose queued batches the writer can drain.
 */
#include "backup_int.h"

#include <string.h>

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

enum cv_err cv_queue_init(struct queue *q, unsigned producers)
{
    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->changed, NULL);
    atomic_init(&q->stop, false);
    q->producers = producers < 1                     ? 1
                   : producers > QUEUE_PRODUCERS_MAX ? QUEUE_PRODUCERS_MAX
                                                     : producers;
    q->next_seq = 1; /* sequence 0 belongs to the first producer */
    for (unsigned p = 0; p < q->producers; p++) {
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
            b->owner = p;
            b->next = q->free[p];
            q->free[p] = b;
        }
    }
    return CV_OK;
}

void cv_queue_destroy(struct queue *q)
{
    for (unsigned p = 0; p < QUEUE_PRODUCERS_MAX; p++)
        free_list(q->free[p]);
    for (unsigned s = 0; s < QUEUE_SLOTS; s++)
        free_list(q->slots[s].head);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->changed);
    memset(q, 0, sizeof(*q));
}

struct batch *cv_queue_get_free(struct queue *q, unsigned owner, uint64_t seq)
{
    struct batch *b;

    pthread_mutex_lock(&q->lock);
    while (!q->free[owner] && !atomic_load(&q->stop))
        pthread_cond_wait(&q->changed, &q->lock);
    b = atomic_load(&q->stop) ? NULL : q->free[owner];
    if (b) {
        q->free[owner] = b->next;
        b->next = NULL;
        b->nrecs = 0;
        b->used = 0;
        b->seq = seq;
    }
    pthread_mutex_unlock(&q->lock);
    return b;
}

void cv_queue_put_full(struct queue *q, struct batch *b)
{
    struct queue_slot *s = &q->slots[b->seq % QUEUE_SLOTS];

    pthread_mutex_lock(&q->lock);
    b->next = NULL;
    if (s->tail)
        s->tail->next = b;
    else
        s->head = b;
    s->tail = b;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

void cv_queue_seq_done(struct queue *q, uint64_t seq)
{
    pthread_mutex_lock(&q->lock);
    q->slots[seq % QUEUE_SLOTS].done = true;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

bool cv_queue_new_seqs(struct queue *q, unsigned n, uint64_t *first)
{
    bool ok;

    pthread_mutex_lock(&q->lock);
    while (q->next_seq + n - q->read_seq > QUEUE_SLOTS && !atomic_load(&q->stop))
        pthread_cond_wait(&q->changed, &q->lock);
    ok = !atomic_load(&q->stop);
    if (ok) {
        *first = q->next_seq;
        q->next_seq += n;
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
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
    struct batch *b = NULL;

    pthread_mutex_lock(&q->lock);
    for (;;) {
        struct queue_slot *s = &q->slots[q->read_seq % QUEUE_SLOTS];

        if (q->read_seq == q->next_seq) { /* everything so far is consumed */
            if (q->closed)
                break;
            pthread_cond_wait(&q->changed, &q->lock);
            continue;
        }
        if (s->head) {
            b = s->head;
            s->head = b->next;
            if (!s->head)
                s->tail = NULL;
            b->next = NULL;
            break;
        }
        if (s->done || q->closed) { /* closed: every producer has finished */
            s->done = false;
            q->read_seq++;
            pthread_cond_broadcast(&q->changed);
            continue;
        }
        pthread_cond_wait(&q->changed, &q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return b;
}

void cv_queue_put_free(struct queue *q, struct batch *b)
{
    pthread_mutex_lock(&q->lock);
    b->next = q->free[b->owner];
    q->free[b->owner] = b;
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
