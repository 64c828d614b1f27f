/*
 * out.c: the buffer messages are rendered into, and the ISO-2022-JP encoder. The encoder
 * uses a Unicode -> JIS X 0208 table built once from glibc's own decoder (one iconv call
 * per JIS code at start-up), so that what we write decodes, with glibc iconv, to exactly
 * the UTF-8 text the manifest holds. Each kanji run is closed (ESC ( B) at the end of its
 * text, as real writers do, so delimiters always fall outside double-byte runs.
 */
#include "synth_internal.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <string.h>

static uint16_t ucs_to_jis[65536]; /* 0 = no JIS X 0208 form */
static enum cv_err jis_status;
static char jis_message[160];
static pthread_once_t jis_once = PTHREAD_ONCE_INIT;

static uint32_t decode_one(iconv_t cd, int row, int col)
{
    char in[8] = {0x1b, '$', 'B', (char)row, (char)col, 0x1b, '(', 'B'};
    uint32_t cp[4] = {0};
    char *pin = in, *pout = (char *)cp;
    size_t nin = sizeof(in), nout = sizeof(cp);

    iconv(cd, NULL, NULL, NULL, NULL);
    if (iconv(cd, &pin, &nin, &pout, &nout) == (size_t)-1)
        return 0;
    if (sizeof(cp) - nout != 4)
        return 0;
    return cp[0];
}

static void jis_build(void)
{
    iconv_t cd = iconv_open("UTF-32LE", "ISO-2022-JP");

    if (cd == (iconv_t)-1) {
        jis_status = CV_ECHARSET;
        snprintf(jis_message, sizeof(jis_message),
                 "this system's iconv cannot decode ISO-2022-JP: %s", strerror(errno));
        return;
    }
    for (int row = 0x21; row <= 0x7E; row++)
        for (int col = 0x21; col <= 0x7E; col++) {
            uint32_t cp = decode_one(cd, row, col);

            if (cp >= 0x80 && cp < 65536 && !ucs_to_jis[cp])
                ucs_to_jis[cp] = (uint16_t)(row << 8 | col);
        }
    iconv_close(cd);
    if (!ucs_to_jis[0x65E5]) { /* 日 must be there, or this iconv is not glibc's */
        jis_status = CV_ECHARSET;
        snprintf(jis_message, sizeof(jis_message), "iconv's ISO-2022-JP lacks JIS X 0208");
    }
}

enum cv_err sy_jis_init(void)
{
    pthread_once(&jis_once, jis_build);
    if (jis_status)
        return cv_fail(jis_status, "%s", jis_message);
    return CV_OK;
}

void sy_out_reset(struct out *o)
{
    o->len = 0;
    o->full = false;
    o->unmapped = false;
}

static inline bool room(struct out *o, size_t n)
{
    if (o->len + n <= o->cap)
        return true;
    o->full = true;
    return false;
}

void sy_out_s(struct out *o, const char *ascii)
{
    sy_out_n(o, ascii, strlen(ascii));
}

/* Next code point of UTF-8 text, or 0xFFFD for a bad sequence; advances *s. */
static uint32_t utf8_next(const unsigned char **s)
{
    size_t len;
    uint32_t cp = cv_utf8_decode(*s, strnlen((const char *)*s, 4), &len);

    *s += len;
    return cp;
}

void sy_out_j(struct out *o, const char *utf8)
{
    const unsigned char *s = (const unsigned char *)utf8;
    bool kanji = false;

    while (*s) {
        uint32_t cp = utf8_next(&s);
        uint16_t jis;

        if (cp < 0x80) {
            if (kanji) {
                sy_out_n(o, "\x1b(B", 3);
                kanji = false;
            }
            sy_out_c(o, (char)cp);
            continue;
        }
        jis = cp < 65536 ? ucs_to_jis[cp] : 0;
        if (!jis) {
            o->unmapped = true;
            jis = 0x2223; /* ■, as conforming writers substitute */
        }
        if (!kanji) {
            sy_out_n(o, "\x1b$B", 3);
            kanji = true;
        }
        if (room(o, 2)) {
            o->p[o->len++] = (char)(jis >> 8);
            o->p[o->len++] = (char)(jis & 0xFF);
        }
    }
    if (kanji)
        sy_out_n(o, "\x1b(B", 3);
}

/* ---- encodings of constant strings, cached by address ------------------------------------ */

#define JC_SLOTS 8192
struct sy_jcache {
    const char *key[JC_SLOTS];
    uint32_t off[JC_SLOTS], len[JC_SLOTS];
    size_t count, used;
    char arena[1 << 20];
};

enum cv_err sy_jcache_new(struct sy_jcache **out)
{
    *out = cv_calloc(1, sizeof(**out));
    return *out ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
}

void sy_jcache_free(struct sy_jcache *c)
{
    cv_free(c);
}

void sy_out_jc(struct out *o, const char *utf8)
{
    struct sy_jcache *c = o->cache;
    size_t h, start, n;
    bool unmapped = o->unmapped;

    if (!c) {
        sy_out_j(o, utf8);
        return;
    }
    h = (size_t)(((uintptr_t)utf8 * 0x9E3779B97F4A7C15ULL) >> 51) & (JC_SLOTS - 1);
    for (; c->key[h]; h = (h + 1) & (JC_SLOTS - 1))
        if (c->key[h] == utf8) {
            sy_out_n(o, c->arena + c->off[h], c->len[h]);
            return;
        }
    start = o->len;
    sy_out_j(o, utf8);
    n = o->len - start;
    if (o->full || o->unmapped != unmapped || c->count >= JC_SLOTS / 2 ||
        n > sizeof(c->arena) - c->used)
        return;
    memcpy(c->arena + c->used, o->p + start, n);
    c->key[h] = utf8;
    c->off[h] = (uint32_t)c->used;
    c->len[h] = (uint32_t)n;
    c->used += n;
    c->count++;
}

bool sy_jis_mappable(const char *utf8)
{
    const unsigned char *s = (const unsigned char *)utf8;

    if (sy_jis_init())
        return false;
    while (*s) {
        uint32_t cp = utf8_next(&s);

        if (cp < 0x80) {
            if (cp < 0x20 || strchr("|^~\\&", (int)cp))
                return false;
        } else if (cp >= 65536 || !ucs_to_jis[cp]) {
            return false;
        }
    }
    return true;
}

void sy_out_u(struct out *o, uint64_t v)
{
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (!room(o, (size_t)n))
        return;
    while (n)
        o->p[o->len++] = tmp[--n];
}

void sy_out_u0(struct out *o, uint64_t v, int width)
{
    if (!room(o, (size_t)width))
        return;
    for (int i = width - 1; i >= 0; i--) {
        o->p[o->len + (size_t)i] = (char)('0' + v % 10);
        v /= 10;
    }
    o->len += (size_t)width;
}

void sy_out_fix(struct out *o, int64_t v, int decimals)
{
    int64_t scale = 1;

    for (int i = 0; i < decimals; i++)
        scale *= 10;
    if (v < 0) {
        sy_out_c(o, '-');
        v = -v;
    }
    sy_out_u(o, (uint64_t)(v / scale));
    if (decimals) {
        sy_out_c(o, '.');
        sy_out_u0(o, (uint64_t)(v % scale), decimals);
    }
}

/* ---- dates ------------------------------------------------------------------------------ */

void sy_day_ymd(int32_t day, int *y, int *m, int *d)
{
    cv_days_to_ymd(day, y, m, d);
}

void sy_out_date(struct out *o, int32_t day)
{
    if (!o->day_ok || o->day != day) {
        int y, m, d;

        sy_day_ymd(day, &y, &m, &d);
        snprintf(o->ymd, sizeof(o->ymd), "%04d%02d%02d", y, m, d);
        o->day = day;
        o->day_ok = true;
    }
    sy_out_n(o, o->ymd, 8);
}

void sy_out_min(struct out *o, int64_t tmin)
{
    int32_t day = day_of(tmin);
    int64_t mod = tmin - (int64_t)day * MIN_PER_DAY;

    sy_out_date(o, day);
    sy_out_u0(o, (uint64_t)(mod / 60), 2);
    sy_out_u0(o, (uint64_t)(mod % 60), 2);
}

void sy_out_sec(struct out *o, int64_t tmin, int s)
{
    sy_out_min(o, tmin);
    sy_out_u0(o, (uint64_t)s, 2);
}

void sy_out_ms17(struct out *o, int64_t ms)
{
    int64_t tmin = ms / 60000;
    int64_t rest = ms % 60000;

    sy_out_min(o, tmin);
    sy_out_u0(o, (uint64_t)(rest / 1000), 2);
    sy_out_u0(o, (uint64_t)(rest % 1000), 3);
}

void sy_iso_date(char *buf, int32_t day)
{
    int y, m, d;

    sy_day_ymd(day, &y, &m, &d);
    snprintf(buf, 11, "%04d-%02d-%02d", y, m, d);
}

void sy_iso_min(char *buf, int64_t tmin)
{
    int32_t day = day_of(tmin);
    int64_t mod = tmin - (int64_t)day * MIN_PER_DAY;

    sy_iso_date(buf, day);
    snprintf(buf + 10, 7, "T%02u:%02u", (unsigned)(mod / 60) % 24u, (unsigned)(mod % 60));
}
