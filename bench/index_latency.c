/*
 * index_latency.c: query latency of the reference index through its public API, as the
 * viewer calls it (read-only handle): N random searches and N random patient summaries,
 * printing p50/p99/max in milliseconds. Built and run by bench/index; not part of the library.
 *
 * usage: index_latency DB PATIENTS.tsv N
 * PATIENTS.tsv: id <TAB> family <TAB> given <TAB> kana_family <TAB> kana_given <TAB> birth_date
 */
#include <chartvault/index.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct person {
    char *f[6];
};

static double clock_ms(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Wall time, and this thread's CPU time: on a machine others are busy on, the wall time's
 * tail is the scheduler's; the CPU time is what a query costs. */
struct sample {
    double wall, cpu;
};

static struct sample start_sample(void)
{
    return (struct sample){clock_ms(CLOCK_MONOTONIC), clock_ms(CLOCK_THREAD_CPUTIME_ID)};
}

static void end_sample(struct sample *s)
{
    s->wall = clock_ms(CLOCK_MONOTONIC) - s->wall;
    s->cpu = clock_ms(CLOCK_THREAD_CPUTIME_ID) - s->cpu;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void report(const char *what, struct sample *s, size_t n, size_t hits)
{
    double *wall = calloc(n, sizeof(double)), *cpu = calloc(n, sizeof(double));

    for (size_t i = 0; i < n; i++) {
        wall[i] = s[i].wall;
        cpu[i] = s[i].cpu;
    }
    qsort(wall, n, sizeof(double), cmp_double);
    qsort(cpu, n, sizeof(double), cmp_double);
    printf("%-8s n=%zu  wall p50 %.3f ms  p99 %.3f ms  max %.3f ms;  cpu p50 %.3f ms  p99 %.3f ms"
           "  (hits %zu)\n",
           what, n, wall[n / 2], wall[(size_t)((double)n * 0.99)], wall[n - 1], cpu[n / 2],
           cpu[(size_t)((double)n * 0.99)], hits);
    free(wall);
    free(cpu);
}

static void count_hit(const struct cv_index_hit *h, void *arg)
{
    (void)h;
    (*(size_t *)arg)++;
}

static size_t load(const char *path, struct person **out)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    size_t n = 0, cap = 0;
    struct person *v = NULL;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        char *save = NULL, *tok = strtok_r(line, "\t\n", &save);

        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            v = realloc(v, cap * sizeof(*v));
        }
        memset(&v[n], 0, sizeof(v[n]));
        for (int i = 0; i < 6 && tok; i++, tok = strtok_r(NULL, "\t\n", &save))
            v[n].f[i] = strdup(tok);
        if (v[n].f[0])
            n++;
    }
    fclose(f);
    *out = v;
    return n;
}

/* The text a person would type: rotate through ID, ID prefix, kanji, kana, birth date. */
static void query_text(const struct person *p, int kind, char *buf, size_t n)
{
    switch (kind % 5) {
    case 0:
        snprintf(buf, n, "%s", p->f[0]);
        break;
    case 1:
        snprintf(buf, n, "%.5s", p->f[0]);
        break;
    case 2:
        snprintf(buf, n, "%s %s", p->f[1] ? p->f[1] : "", p->f[2] ? p->f[2] : "");
        break;
    case 3:
        snprintf(buf, n, "%s%s", p->f[3] ? p->f[3] : "", p->f[4] ? p->f[4] : "");
        break;
    default:
        snprintf(buf, n, "%s", p->f[5] ? p->f[5] : p->f[0]);
        break;
    }
}

int main(int argc, char **argv)
{
    struct person *people;
    struct cv_index *idx;
    size_t npeople, n, hits = 0, found = 0;
    struct sample *ms;

    if (argc != 4 || (npeople = load(argv[2], &people)) == 0 ||
        (n = strtoul(argv[3], 0, 10)) == 0) {
        fprintf(stderr, "usage: index_latency DB PATIENTS.tsv N\n");
        return 2;
    }
    if (cv_index_open(argv[1], CV_INDEX_READONLY, &idx) != CV_OK) {
        fprintf(stderr, "%s\n", cv_errmsg());
        return 1;
    }
    ms = calloc(n, sizeof(*ms));
    srand(42);
    for (size_t i = 0; i < n; i++) {
        char text[512];

        query_text(&people[(size_t)rand() % npeople], (int)i, text, sizeof(text));
        ms[i] = start_sample();
        cv_index_search(idx, text, 50, count_hit, &hits);
        end_sample(&ms[i]);
    }
    report("search", ms, n, hits);
    for (size_t i = 0; i < n; i++) {
        struct cv_patient *p;

        ms[i] = start_sample();
        if (cv_index_patient(idx, people[(size_t)rand() % npeople].f[0], NULL, &p) == CV_OK) {
            found++;
            cv_patient_free(p);
        }
        end_sample(&ms[i]);
    }
    report("summary", ms, n, found);
    cv_index_close(idx);
    free(ms);
    return 0;
}
