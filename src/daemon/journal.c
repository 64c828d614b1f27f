/*
 * journal.c: the change journal (journal.h). A hash table from path to the sequence number of
 * its latest note, and the sequence number of the latest loss; one mutex guards both, since
 * the indexer's thread, the MLLP listener's thread and the snapshot loop all use it. Paths are
 * relative paths of the tree: they are only handed to the vault, never logged.
 */
#include "journal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct jentry {
    char *path; /* NULL: empty slot */
    uint64_t seq;
};

struct cv_journal {
    pthread_mutex_t lock;
    struct jentry *slots;
    size_t nslots, n, max;
    uint64_t seq;      /* of the latest note or mark */
    uint64_t lost_seq; /* notes after a mark older than this may be missing */
};

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ULL;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

enum cv_err cv_journal_new(struct cv_journal **out, size_t max_paths)
{
    struct cv_journal *j = cv_calloc(1, sizeof(*j));

    *out = NULL;
    if (!j)
        return cv_fail(CV_ENOMEM, "out of memory");
    pthread_mutex_init(&j->lock, NULL);
    j->max = max_paths;
    j->seq = 1;
    j->lost_seq = 1; /* before anything was noted nothing can be told: the first snapshot walks */
    *out = j;
    return CV_OK;
}

static void clear_locked(struct cv_journal *j)
{
    for (size_t i = 0; i < j->nslots; i++) {
        cv_free(j->slots[i].path);
        j->slots[i].path = NULL;
    }
    j->n = 0;
}

void cv_journal_free(struct cv_journal *j)
{
    if (!j)
        return;
    clear_locked(j);
    cv_free(j->slots);
    pthread_mutex_destroy(&j->lock);
    cv_free(j);
}

static void lose_locked(struct cv_journal *j)
{
    clear_locked(j); /* nothing in it helps a walk of the whole tree */
    j->lost_seq = ++j->seq;
}

void cv_journal_lost(struct cv_journal *j)
{
    pthread_mutex_lock(&j->lock);
    lose_locked(j);
    pthread_mutex_unlock(&j->lock);
}

static bool grow_locked(struct cv_journal *j)
{
    size_t n = j->nslots ? j->nslots * 2 : 1024;
    struct jentry *slots = cv_calloc(n, sizeof(*slots));

    if (!slots)
        return false;
    for (size_t i = 0; i < j->nslots; i++) {
        size_t h;

        if (!j->slots[i].path)
            continue;
        for (h = hash(j->slots[i].path) & (n - 1); slots[h].path; h = (h + 1) & (n - 1))
            ;
        slots[h] = j->slots[i];
    }
    cv_free(j->slots);
    j->slots = slots;
    j->nslots = n;
    return true;
}

void cv_journal_add(struct cv_journal *j, const char *path)
{
    size_t h;

    pthread_mutex_lock(&j->lock);
    if ((j->n + 1) * 2 > j->nslots && (j->n >= j->max || !grow_locked(j))) {
        lose_locked(j); /* too many to hold: the next snapshots walk */
        goto out_unlock;
    }
    for (h = hash(path) & (j->nslots - 1); j->slots[h].path; h = (h + 1) & (j->nslots - 1))
        if (strcmp(j->slots[h].path, path) == 0)
            break;
    if (!j->slots[h].path) {
        if (!(j->slots[h].path = cv_strdup(path))) {
            lose_locked(j);
            goto out_unlock;
        }
        j->n++;
    }
    j->slots[h].seq = ++j->seq;
out_unlock:
    pthread_mutex_unlock(&j->lock);
}

uint64_t cv_journal_mark(struct cv_journal *j)
{
    uint64_t m;

    pthread_mutex_lock(&j->lock);
    m = ++j->seq;
    pthread_mutex_unlock(&j->lock);
    return m;
}

void cv_journal_paths_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cv_free(paths[i]);
    cv_free(paths);
}

bool cv_journal_since(struct cv_journal *j, uint64_t mark, char ***paths, size_t *n)
{
    size_t k = 0;
    bool ok;

    *paths = NULL;
    *n = 0;
    pthread_mutex_lock(&j->lock);
    ok = mark >= j->lost_seq;
    if (ok && !(*paths = cv_calloc(j->n ? j->n : 1, sizeof(**paths))))
        ok = false;
    for (size_t i = 0; ok && i < j->nslots; i++) {
        if (!j->slots[i].path || j->slots[i].seq <= mark)
            continue;
        if (!((*paths)[k] = cv_strdup(j->slots[i].path))) {
            ok = false;
            break;
        }
        k++;
    }
    pthread_mutex_unlock(&j->lock);
    if (!ok) {
        cv_journal_paths_free(*paths, k);
        *paths = NULL;
        return false;
    }
    *n = k;
    return true;
}

void cv_journal_trim(struct cv_journal *j, uint64_t mark)
{
    struct jentry *slots;
    size_t ns = 1024;

    pthread_mutex_lock(&j->lock);
    for (size_t i = 0; i < j->nslots; i++) {
        if (j->slots[i].path && j->slots[i].seq <= mark) {
            cv_free(j->slots[i].path);
            j->slots[i].path = NULL;
            j->n--;
        }
    }
    while (ns < j->n * 2 + 2)
        ns *= 2;
    /* open addressing: what is left goes into a fresh table, so that no chain is broken */
    slots = j->nslots ? cv_calloc(ns, sizeof(*slots)) : NULL;
    if (j->nslots && !slots) {
        lose_locked(j);
    } else if (slots) {
        for (size_t i = 0; i < j->nslots; i++) {
            size_t h;

            if (!j->slots[i].path)
                continue;
            for (h = hash(j->slots[i].path) & (ns - 1); slots[h].path; h = (h + 1) & (ns - 1))
                ;
            slots[h] = j->slots[i];
        }
        cv_free(j->slots);
        j->slots = slots;
        j->nslots = ns;
    }
    pthread_mutex_unlock(&j->lock);
}
