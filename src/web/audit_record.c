/*
 * audit_record.c: reads one line of the audit log back: a flat JSON object whose values are
 * strings, whole numbers or null, as audit.c writes them. The log is a file an intruder may
 * have edited, so this parser bounds everything and refuses anything else.
 */
#include "web_internal.h"

#include <string.h>

struct cursor {
    const char *p, *end;
    char *out, *out_end;
};

static bool skip_ws(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
    return c->p < c->end;
}

static bool eat(struct cursor *c, char ch)
{
    if (!skip_ws(c) || *c->p != ch)
        return false;
    c->p++;
    return true;
}

static bool put_utf8(struct cursor *c, uint32_t u)
{
    char tmp[4];
    size_t n;

    if (u < 0x80) {
        tmp[0] = (char)u;
        n = 1;
    } else if (u < 0x800) {
        tmp[0] = (char)(0xC0 | (u >> 6));
        tmp[1] = (char)(0x80 | (u & 0x3F));
        n = 2;
    } else if (u < 0x10000) {
        tmp[0] = (char)(0xE0 | (u >> 12));
        tmp[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        tmp[2] = (char)(0x80 | (u & 0x3F));
        n = 3;
    } else {
        tmp[0] = (char)(0xF0 | (u >> 18));
        tmp[1] = (char)(0x80 | ((u >> 12) & 0x3F));
        tmp[2] = (char)(0x80 | ((u >> 6) & 0x3F));
        tmp[3] = (char)(0x80 | (u & 0x3F));
        n = 4;
    }
    if ((size_t)(c->out_end - c->out) < n + 1)
        return false;
    memcpy(c->out, tmp, n);
    c->out += n;
    return true;
}

static bool hex4(struct cursor *c, uint32_t *u)
{
    *u = 0;
    if (c->end - c->p < 4)
        return false;
    for (int i = 0; i < 4; i++) {
        char h = *c->p++;
        int d = h >= '0' && h <= '9'   ? h - '0'
                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                       : -1;
        if (d < 0)
            return false;
        *u = *u << 4 | (uint32_t)d;
    }
    return true;
}

static bool escape(struct cursor *c)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit;
    uint32_t u, lo;

    if (c->p >= c->end)
        return false;
    hit = *c->p ? strchr(from, *c->p) : NULL;
    if (hit) {
        c->p++;
        return put_utf8(c, (uint8_t)to[hit - from]);
    }
    if (*c->p++ != 'u' || !hex4(c, &u))
        return false;
    if (u >= 0xD800 && u < 0xDC00) {
        if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u')
            return false;
        c->p += 2;
        if (!hex4(c, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return false;
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
        return false;
    }
    return u != 0 && put_utf8(c, u);
}

/* A string value, copied unescaped into the output storage; *s points at it. */
static bool string(struct cursor *c, const char **s)
{
    if (!eat(c, '"'))
        return false;
    *s = c->out;
    while (c->p < c->end && *c->p != '"') {
        if ((unsigned char)*c->p < 0x20)
            return false;
        if (*c->p == '\\') {
            c->p++;
            if (!escape(c))
                return false;
            continue;
        }
        if (c->out_end - c->out < 2)
            return false;
        *c->out++ = *c->p++;
    }
    if (c->p >= c->end)
        return false;
    c->p++;
    *c->out++ = '\0';
    return true;
}

static bool number(struct cursor *c, uint64_t *v)
{
    int digits = 0;

    *v = 0;
    skip_ws(c);
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (++digits > 19)
            return false;
        *v = *v * 10 + (uint64_t)(*c->p++ - '0');
    }
    return digits > 0;
}

static const char **field(struct cv_audit_record *r, const char *key)
{
    static const char *const keys[] = {"time",    "event",  "result", "user", "addr",
                                       "patient", "detail", "prev",   "hash"};
    const char **slots[] = {&r->time,    &r->event,  &r->result, &r->user, &r->addr,
                            &r->patient, &r->detail, &r->prev,   &r->hash};

    for (size_t i = 0; i < CV_ARRAY_LEN(keys); i++)
        if (strcmp(key, keys[i]) == 0)
            return slots[i];
    return NULL;
}

static bool member(struct cursor *c, struct cv_audit_record *r, bool *have_seq)
{
    const char *key, **slot;

    if (!string(c, &key) || !eat(c, ':'))
        return false;
    if (strcmp(key, "seq") == 0) {
        *have_seq = true;
        return number(c, &r->seq);
    }
    slot = field(r, key);
    if (!slot || !skip_ws(c))
        return false;
    if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
        c->p += 4;
        *slot = NULL;
        return true;
    }
    return string(c, slot);
}

enum cv_err cv_audit_record_parse(const char *line, size_t n, struct cv_audit_record *r)
{
    struct cursor c = {line, line + n, NULL, NULL};
    bool have_seq = false;

    memset(r, 0, offsetof(struct cv_audit_record, storage));
    c.out = r->storage;
    c.out_end = r->storage + sizeof(r->storage);
    if (!eat(&c, '{'))
        return cv_fail(CV_EPARSE, "record does not start with '{'");
    if (!eat(&c, '}')) {
        do {
            if (!member(&c, r, &have_seq))
                return cv_fail(CV_EPARSE, "malformed member near byte %zu", (size_t)(c.p - line));
        } while (eat(&c, ','));
        if (!eat(&c, '}'))
            return cv_fail(CV_EPARSE, "record does not end with '}'");
    }
    if (skip_ws(&c))
        return cv_fail(CV_EPARSE, "text after the record");
    if (!have_seq || !r->event || !r->time)
        return cv_fail(CV_EPARSE, "record lacks seq, time or event");
    return CV_OK;
}
