/*
 * hl7_text.c: turns raw field bytes into the UTF-8 text callers see: ISO-2022-JP decoded by
 * glibc iconv (ISO-2022-JP-3, so ESC ( I half-width kana decode too), HL7 escapes undone,
 * half-width katakana widened. Plain ASCII takes a fast path without iconv. Results live in a
 * per-message arena, freed all at once by the next parse.
 */
#include "hl7_internal.h"

#include <errno.h>
#include <string.h>

/* ---- arena -------------------------------------------------------------------------------- */

char *hl7_arena_dup(struct cv_hl7_msg *m, const char *p, size_t n)
{
    struct hl7_block *b = m->arena;
    char *s;

    if (!b || b->size - b->used < n + 1) {
        size_t size = n + 1 > HL7_ARENA_BLOCK ? n + 1 : HL7_ARENA_BLOCK;

        b = cv_malloc(sizeof(*b) + size);
        if (!b) {
            m->oom = true;
            return NULL;
        }
        b->size = size;
        b->used = 0;
        b->next = m->arena;
        m->arena = b;
    }
    s = b->data + b->used;
    memcpy(s, p, n);
    s[n] = '\0';
    b->used += n + 1;
    return s;
}

void hl7_arena_reset(struct cv_hl7_msg *m)
{
    struct hl7_block *keep = NULL, *b = m->arena;

    /* keep one ordinary block, free the rest */
    while (b) {
        struct hl7_block *next = b->next;

        if (!keep && b->size == HL7_ARENA_BLOCK) {
            keep = b;
            keep->used = 0;
            keep->next = NULL;
        } else {
            cv_free(b);
        }
        b = next;
    }
    m->arena = keep;
}

void hl7_arena_free(struct cv_hl7_msg *m)
{
    while (m->arena) {
        struct hl7_block *next = m->arena->next;

        cv_free(m->arena);
        m->arena = next;
    }
}

bool cv_hl7_oom(const struct cv_hl7_msg *m)
{
    return m->oom;
}

/* ---- UTF-8 -------------------------------------------------------------------------------- */

static void put_cp(struct cv_buf *out, uint32_t cp)
{
    char u[3] = {(char)(0xE0 | cp >> 12), (char)(0x80 | ((cp >> 6) & 0x3F)),
                 (char)(0x80 | (cp & 0x3F))};

    cv_buf_append(out, u, 3); /* only BMP code points >= U+0800 come here */
}

/* ---- half-width kana ---------------------------------------------------------------------- */

/* U+FF61..U+FF9F -> full width. */
static const uint16_t kana_wide[63] = {
    0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9,
    0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC, 0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB,
    0x30AD, 0x30AF, 0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF, 0x30C1,
    0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE, 0x30CF, 0x30D2, 0x30D5,
    0x30D8, 0x30DB, 0x30DE, 0x30DF, 0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9,
    0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3, 0x309B, 0x309C};

/* The half-width kana code point at p (3 bytes EF BD A1..EF BE 9F), or 0. */
static uint32_t halfwidth_at(const unsigned char *p, size_t n)
{
    uint32_t cp;

    if (n < 3 || p[0] != 0xEF || (p[1] != 0xBD && p[1] != 0xBE) || (p[2] & 0xC0) != 0x80)
        return 0;
    cp = 0xF000 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    return cp >= 0xFF61 && cp <= 0xFF9F ? cp : 0;
}

static uint32_t voiced(uint32_t base, uint32_t mark)
{
    bool ka_to = base >= 0x30AB && base <= 0x30C8 && base != 0x30C3;
    bool ha_ho = base >= 0x30CF && base <= 0x30DB && (base - 0x30CF) % 3 == 0;

    if (mark == 0xFF9E && base == 0x30A6)
        return 0x30F4;
    if (mark == 0xFF9E && (ka_to || ha_ho))
        return base + 1;
    if (mark == 0xFF9F && ha_ho)
        return base + 2;
    return 0;
}

enum cv_err cv_hl7_widen_kana(const char *s, size_t n, struct cv_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;

    while (i < n) {
        uint32_t cp = halfwidth_at(p + i, n - i), wide, mark, v;

        if (!cp) {
            i++;
            run++;
            continue;
        }
        cv_buf_append(out, p + i - run, run);
        run = 0;
        wide = kana_wide[cp - 0xFF61];
        mark = halfwidth_at(p + i + 3, n - i - 3);
        v = mark == 0xFF9E || mark == 0xFF9F ? voiced(wide, mark) : 0;
        put_cp(out, v ? v : wide);
        i += v ? 6 : 3;
    }
    return cv_buf_append(out, p + i - run, run);
}

static bool has_halfwidth(const char *s, size_t n)
{
    for (const char *p = memchr(s, 0xEF, n); p; p = memchr(p + 1, 0xEF, n - (size_t)(p + 1 - s)))
        if (halfwidth_at((const unsigned char *)p, n - (size_t)(p - s)))
            return true;
    return false;
}

/* ---- ISO-2022-JP -> UTF-8 ----------------------------------------------------------------- */

static enum cv_err iconv_decode(struct cv_hl7_msg *m, const char *p, size_t n, struct cv_buf *out)
{
    char *in = (char *)p;
    size_t inleft = n;

    if (!m->cd_open) {
        m->cd = iconv_open("UTF-8", "ISO-2022-JP-3");
        if (m->cd == (iconv_t)-1)
            return cv_fail_errno(CV_ECHARSET, "cannot open the ISO-2022-JP-3 decoder");
        m->cd_open = true;
    }
    iconv(m->cd, NULL, NULL, NULL, NULL);
    while (inleft > 0) {
        size_t room = inleft * 3 + 16, outleft, rc;
        char *o;

        if (cv_buf_reserve(out, room))
            return CV_ENOMEM;
        o = out->data + out->len;
        outleft = out->cap - out->len - 1;
        rc = iconv(m->cd, &in, &inleft, &o, &outleft);
        out->len = (size_t)(o - out->data);
        if (rc != (size_t)-1 || errno == E2BIG)
            continue;
        /* a code with no character, or a cut sequence: U+FFFD, step over it */
        cv_buf_append(out, "\xEF\xBF\xBD", 3);
        if (inleft >= 2 && in[0] > 0x20 && in[0] < 0x7F && in[1] > 0x20 && in[1] < 0x7F) {
            in += 2;
            inleft -= 2;
        } else {
            in++;
            inleft--;
        }
        hl7_warn(m, "a character has no Unicode equivalent and shows as U+FFFD");
    }
    out->data[out->len] = '\0';
    return CV_OK;
}

/* ---- HL7 escapes -------------------------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One escape body (between the escape characters) into `out`; false when it is not one. */
static bool unescape_one(const struct cv_hl7_msg *m, const char *b, size_t n, struct cv_buf *out)
{
    if (n == 1 && (b[0] == 'F' || b[0] == 'S' || b[0] == 'T' || b[0] == 'R' || b[0] == 'E')) {
        static const char roles[] = "FSRET";
        static const int map[] = {D_FIELD, D_COMP, D_REP, D_ESCAPE, D_SUB};

        cv_buf_putc(out, m->delims[map[strchr(roles, b[0]) - roles]]);
        return true;
    }
    if (n >= 3 && b[0] == 'X' && n % 2 == 1) {
        for (size_t i = 1; i < n; i += 2) {
            int hi = hexval(b[i]), lo = hexval(b[i + 1]);
            int c = hi < 0 || lo < 0 ? -1 : hi << 4 | lo;

            if (c < 0)
                return false;
            if (c >= 0x20 && c < 0x7F)
                cv_buf_putc(out, (char)c);
            else
                cv_buf_append(out, "\xEF\xBF\xBD", 3);
        }
        return true;
    }
    if (n == 3 && memcmp(b, ".br", 3) == 0)
        return cv_buf_putc(out, '\n') == CV_OK;
    if ((n == 1 && (b[0] == 'H' || b[0] == 'N')) || (n >= 1 && b[0] == '.') ||
        (n >= 1 && (b[0] == 'Z' || b[0] == 'C' || b[0] == 'M')))
        return true; /* formatting and local escapes: dropped */
    return false;
}

static void unescape(const struct cv_hl7_msg *m, const char *s, size_t n, struct cv_buf *out)
{
    char e = m->delims[D_ESCAPE];
    size_t i = 0;

    while (i < n) {
        const char *close;

        if (s[i] != e) {
            const char *next = memchr(s + i, e, n - i);
            size_t run = next ? (size_t)(next - s) - i : n - i;

            cv_buf_append(out, s + i, run);
            i += run;
            continue;
        }
        close = memchr(s + i + 1, e, n - i - 1 < 64 ? n - i - 1 : 64);
        if (close && unescape_one(m, s + i + 1, (size_t)(close - s) - i - 1, out)) {
            i = (size_t)(close - s) + 1;
        } else {
            cv_buf_putc(out, e);
            i++;
        }
    }
}

/* ---- the text of a span ------------------------------------------------------------------- */

static bool needs_work(const struct cv_hl7_msg *m, const char *p, size_t n, bool *high)
{
    bool work = false;

    *high = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c == HL7_ESC || c == (unsigned char)m->delims[D_ESCAPE])
            work = true;
        else if (c >= 0x80)
            *high = work = true;
    }
    return work;
}

const char *cv_hl7_span_text(struct cv_hl7_msg *m, struct cv_hl7_span span)
{
    struct cv_buf *a = &m->scratch, *b = &m->scratch2;
    const char *p = span.p;
    size_t n = span.n;
    bool high;

    if (!p || n == 0 || (n == 2 && p[0] == '"' && p[1] == '"'))
        return NULL;
    if (!needs_work(m, p, n, &high))
        return hl7_arena_dup(m, p, n);
    cv_buf_reset(a);
    cv_buf_reset(b);
    if (m->charset == CV_HL7_CHARSET_ISO2022JP && memchr(p, HL7_ESC, n)) {
        if (iconv_decode(m, p, n, a)) {
            m->oom = true;
            return NULL;
        }
        p = a->data;
        n = a->len;
    }
    if (memchr(p, m->delims[D_ESCAPE], n)) {
        unescape(m, p, n, b);
        if (cv_buf_error(b)) { /* a piece missing: no text at all, and say why */
            m->oom = true;
            return NULL;
        }
        p = cv_buf_str(b);
        n = b->len;
    }
    if (has_halfwidth(p, n)) {
        struct cv_buf *dst = p == b->data ? a : b;

        cv_buf_reset(dst);
        if (cv_hl7_widen_kana(p, n, dst)) {
            m->oom = true;
            return NULL;
        }
        p = cv_buf_str(dst);
        n = dst->len;
    }
    if (n == 0)
        return NULL;
    return hl7_arena_dup(m, p, n);
}

const char *cv_hl7_text(struct cv_hl7_msg *m, long seg, int field, int rep, int comp, int sub)
{
    struct cv_hl7_span s;

    if (!cv_hl7_raw(m, seg, field, rep, comp, sub, &s))
        return NULL;
    return cv_hl7_span_text(m, s);
}
