/*
 * vault-compression.c: how to compress SS-MIX2 messages, measured (docs/FORMAT.md). Reads the
 * files named on stdin, in that order, and compresses them every way the format could: each
 * file alone with zstd, each file alone with a trained zstd dictionary, and runs of files in
 * blocks of 16 KiB to 4 MiB, at levels 1, 3 and 6. Prints stored/raw and single-core speed;
 * block sizes include the 44 bytes of framing and MAC each block costs in a pack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zdict.h>
#include <zstd.h>

#define MAX_FILES 4000000

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void row(const char *what, size_t stored, size_t raw, double seconds)
{
    printf("| %s | %.1f%% | %.0f |\n", what, 100.0 * (double)stored / (double)raw,
           (double)raw / 1e6 / seconds);
}

int main(void)
{
    static const int levels[] = {1, 2, 3, 6};
    static const size_t blocks[] = {16384, 65536, 131072, 262144, 1048576, 4194304};
    size_t cap = (size_t)2 << 30, len = 0, n = 0, *sizes = malloc(sizeof(size_t) * MAX_FILES);
    char *all = malloc(cap), line[4096], what[64], *out = malloc(ZSTD_compressBound(4 << 20));
    ZSTD_CCtx *c = ZSTD_createCCtx();

    if (!sizes || !all || !out || !c)
        return 1;
    while (fgets(line, sizeof(line), stdin) && n < MAX_FILES) {
        FILE *f;

        line[strcspn(line, "\n")] = '\0';
        if (!(f = fopen(line, "rb")))
            continue;
        sizes[n] = fread(all + len, 1, cap - len, f);
        len += sizes[n++];
        fclose(f);
    }
    printf("%zu files, %zu bytes, %.0f bytes on average\n\n", n, len, (double)len / (double)n);
    printf("| method | stored / raw | compress MB/s (one core) |\n|---|---:|---:|\n");
    for (size_t li = 0; li < 4; li++) {
        size_t total = 0, off = 0;
        double t0 = now();

        for (size_t i = 0; i < n; off += sizes[i++])
            total += ZSTD_compressCCtx(c, out, ZSTD_compressBound(sizes[i]), all + off, sizes[i],
                                       levels[li]);
        snprintf(what, sizeof(what), "zstd-%d, each file alone", levels[li]);
        row(what, total, len, now() - t0);
    }
    {
        size_t ns = n < 20000 ? n : 20000, dlen;
        char *dict = malloc(112640);

        dlen = ZDICT_trainFromBuffer(dict, 112640, all, sizes, (unsigned)ns);
        for (size_t li = 0; li < 4 && !ZDICT_isError(dlen); li++) {
            ZSTD_CDict *cd = ZSTD_createCDict(dict, dlen, levels[li]);
            size_t total = dlen, off = 0;
            double t0 = now();

            for (size_t i = 0; i < n; off += sizes[i++])
                total += ZSTD_compress_usingCDict(c, out, ZSTD_compressBound(sizes[i]), all + off,
                                                  sizes[i], cd);
            snprintf(what, sizeof(what), "zstd-%d, each file alone, 110 KB dictionary", levels[li]);
            row(what, total, len, now() - t0);
            ZSTD_freeCDict(cd);
        }
        free(dict);
    }
    for (size_t li = 0; li < 4; li++) {
        for (size_t bi = 0; bi < sizeof(blocks) / sizeof(blocks[0]); bi++) {
            size_t total = 0, off = 0, start = 0;
            double t0 = now();

            for (size_t i = 0; i < n; i++) {
                off += sizes[i];
                if (off - start >= blocks[bi] || i == n - 1) {
                    total += ZSTD_compressCCtx(c, out, ZSTD_compressBound(off - start), all + start,
                                               off - start, levels[li]) +
                             44;
                    start = off;
                }
            }
            snprintf(what, sizeof(what), "zstd-%d, blocks of %zu KiB", levels[li],
                     blocks[bi] >> 10);
            row(what, total, len, now() - t0);
        }
    }
    return 0;
}
