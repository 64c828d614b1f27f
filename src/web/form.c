/*
 * form.c: decoding what browsers send in a query string or a POSTed form
 * (application/x-www-form-urlencoded), and percent-encoding for the links pages make.
 * Input is hostile: bad escapes, invalid UTF-8, control characters and too many fields are
 * refused, never guessed at.
 */
#include "web_internal.h"

#include <string.h>

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decode s[0..n) in place into out; returns the decoded length or -1. */
static long decode(const char *s, size_t n, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi, lo;

            if (n - i < 3)
                return -1;
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if ((unsigned char)c < 0x20 || c == 0x7F) /* no control characters, no NUL */
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return cv_utf8_valid(out, o) ? (long)o : -1;
}

enum cv_err web_form_parse(const char *s, size_t n, struct web_form *f)
{
    size_t o = 0, i = 0;

    memset(f, 0, sizeof(*f));
    if (n == 0)
        return CV_OK;
    f->storage = cv_malloc(n + WEB_FORM_FIELDS * 2 + 2);
    if (!f->storage)
        return cv_fail(CV_ENOMEM, "out of memory");
    while (i <= n) {
        size_t end = i, eq;
        long kn, vn;

        while (end < n && s[end] != '&')
            end++;
        if (end > i) {
            if (f->n >= WEB_FORM_FIELDS)
                goto out_bad;
            for (eq = i; eq < end && s[eq] != '='; eq++)
                ;
            kn = decode(s + i, eq - i, f->storage + o);
            if (kn <= 0)
                goto out_bad;
            f->name[f->n] = f->storage + o;
            o += (size_t)kn + 1;
            vn = eq < end ? decode(s + eq + 1, end - eq - 1, f->storage + o) : 0;
            if (vn < 0)
                goto out_bad;
            if (eq >= end)
                f->storage[o] = '\0';
            f->value[f->n++] = f->storage + o;
            o += (size_t)vn + 1;
        }
        i = end + 1;
    }
    return CV_OK;
out_bad:
    web_form_free(f);
    return cv_fail(CV_EPARSE, "malformed form or query string");
}

const char *web_form_get(const struct web_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->name[i], name) == 0)
            return f->value[i];
    return NULL;
}

void web_form_free(struct web_form *f)
{
    cv_free(f->storage);
    memset(f, 0, sizeof(*f));
}

enum cv_err web_url_encode(struct cv_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    enum cv_err err = CV_OK;

    for (; *s && !err; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            err = cv_buf_putc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};

            err = cv_buf_append(b, e, 3);
        }
    }
    return err;
}

enum cv_err web_url_path_encode(struct cv_buf *b, const char *path)
{
    enum cv_err err = CV_OK;

    for (const char *p = path; *p && !err;) {
        size_t n = strcspn(p, "/");
        char seg[1024];

        if (*p == '/') {
            err = cv_buf_putc(b, '/');
            p++;
            continue;
        }
        if (n >= sizeof(seg))
            return cv_fail(CV_ETOOBIG, "path segment too long");
        memcpy(seg, p, n);
        seg[n] = '\0';
        err = web_url_encode(b, seg);
        p += n;
    }
    return err;
}
