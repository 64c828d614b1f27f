/*
 * rng.c: the generator's only source of chance. xoshiro256** seeded through splitmix64 from
 * (seed, stream, index), so that every patient has an independent stream and the output
 * never depends on the order work is done in. Integer arithmetic only: no libm, so the
 * same seed gives the same hospital on every machine.
 */
#include "synth_internal.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void rng_init(struct rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t x = seed;

    x = splitmix64(&x) ^ (stream * 0xD1B54A32D192ED03ULL);
    x = splitmix64(&x) ^ (index * 0x8CB92BA72F3D8DD7ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_u64(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
    /* Lemire's multiply-shift; the tiny bias of skipping rejection does not matter here,
     * determinism does. */
    return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

int rng_range(struct rng *r, int lo, int hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int)rng_below(r, (uint32_t)(hi - lo + 1));
}

bool rng_pm(struct rng *r, unsigned per_mille)
{
    return rng_below(r, 1000) < per_mille;
}

int rng_gauss(struct rng *r, int mean, int sd)
{
    /* Irwin-Hall: the sum of 12 uniforms on [0, 1) has mean 6 and variance 1. */
    int64_t sum = 0;

    for (int i = 0; i < 12; i++)
        sum += rng_below(r, 65536);
    sum -= 6 * 65536;
    return mean + (int)((sum * sd) / 65536);
}

size_t rng_weighted(struct rng *r, const void *base, size_t n, size_t stride, size_t offset)
{
    const unsigned char *p = base;
    uint64_t total = 0, pick;

    for (size_t i = 0; i < n; i++)
        total += *(const uint16_t *)(p + i * stride + offset);
    if (total == 0)
        return 0;
    pick = rng_u64(r) % total;
    for (size_t i = 0; i < n; i++) {
        uint64_t w = *(const uint16_t *)(p + i * stride + offset);

        if (pick < w)
            return i;
        pick -= w;
    }
    return n - 1;
}
