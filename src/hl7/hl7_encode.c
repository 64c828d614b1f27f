/*
 * hl7_encode.c: UTF-8 HL7 (as an MLLP sender may send it) to the ISO-2022-JP that SS-MIX2
 * storage asks for. Half-width kana are widened first (JIS X 0208 has no half-width kana),
 * the usual Windows variants of a few symbols are mapped to their JIS X 0208 twins, and
 * anything else JIS X 0208 cannot hold becomes ■, as conforming writers do. iconv switches
 * back to ASCII before every ASCII byte, so every delimiter stays outside double-byte runs.
 */
#include "hl7_internal.h"

#include <errno.h>
#include <string.h>

/* CP932-style code points and the JIS X 0208 characters glibc maps instead. */
static const struct {
    uint32_t from, to;
} variants[] = {
    {0xFF5E, 0x301C}, /* ～ -> 〜 */
    {0x2225, 0x2016}, /* ∥ -> ‖ */
    {0xFF0D, 0x2212}, /* － -> − */
    {0xFFE0, 0x00A2}, /* ￠ -> ¢ */
    {0xFFE1, 0x00A3}, /* ￡ -> £ */
    {0xFFE2, 0x00AC}, /* ￢ -> ¬ */
};

static void encode_cp(uint32_t cp, struct cv_buf *out)
{
    char u[3];

    if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        cv_buf_append(out, u, 2);
        return;
    }
    u[0] = (char)(0xE0 | cp >> 12);
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    cv_buf_append(out, u, 3);
}

/* Validate UTF-8 and map the variants; result in `out`. */
static enum cv_err normalise(const char *in, size_t n, struct cv_buf *out)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0;

    while (i < n) {
        size_t len = cv_utf8_len(p + i, n - i);
        uint32_t cp;
        bool mapped = false;

        if (len == 0)
            return cv_fail(CV_ECHARSET, "not UTF-8: byte 0x%02X at offset %zu", p[i], i);
        if (p[i] == HL7_ESC)
            return cv_fail(CV_ECHARSET, "escape byte in UTF-8 text at offset %zu", i);
        cp = cv_utf8_decode(p + i, len, &len);
        for (size_t k = 0; k < CV_ARRAY_LEN(variants) && len > 1; k++) {
            if (variants[k].from == cp) {
                encode_cp(variants[k].to, out);
                mapped = true;
                break;
            }
        }
        if (!mapped)
            cv_buf_append(out, p + i, len);
        i += len;
    }
    return cv_buf_error(out); /* the first append that failed, if any */
}

/* Replace MSH-18 and MSH-20 in the first segment. */
static enum cv_err rewrite_msh(const char *in, size_t n, struct cv_buf *out)
{
    size_t seg_end = 0, field = 1;
    char sep;

    if (n < 4 || memcmp(in, "MSH", 3) != 0)
        return cv_buf_append(out, in, n);
    sep = in[3];
    while (seg_end < n && in[seg_end] != '\r' && in[seg_end] != '\n')
        seg_end++;
    cv_buf_append(out, in, 4);
    for (size_t i = 4; i <= seg_end; i++) {
        if (i < seg_end && in[i] != sep) {
            if (field + 1 != 18 && field + 1 != 20)
                cv_buf_putc(out, in[i]);
            continue;
        }
        field++; /* the field that just ended was MSH-field */
        if (field == 18)
            cv_buf_puts(out, "~ISO IR87");
        else if (field == 20)
            cv_buf_puts(out, "ISO 2022-1994");
        if (i < seg_end)
            cv_buf_putc(out, sep);
    }
    while (field < 20) {
        field++;
        cv_buf_putc(out, sep);
        if (field == 18)
            cv_buf_puts(out, "~ISO IR87");
        else if (field == 20)
            cv_buf_puts(out, "ISO 2022-1994");
    }
    return cv_buf_append(out, in + seg_end, n - seg_end);
}

static enum cv_err encode(iconv_t cd, const char *in, size_t n, struct cv_buf *out,
                          size_t *replaced)
{
    static const char square[] = "\xE2\x96\xA0"; /* ■ */
    char *ip = (char *)in;
    size_t inleft = n;

    while (inleft > 0) {
        size_t outleft, rc;
        char *o;

        if (cv_buf_reserve(out, inleft * 3 + 16))
            return cv_fail(CV_ETOOBIG, "the ISO-2022-JP text is over the limit of %zu bytes",
                           out->max);
        o = out->data + out->len;
        outleft = out->cap - out->len - 1;
        rc = iconv(cd, &ip, &inleft, &o, &outleft);
        out->len = (size_t)(o - out->data);
        if (rc != (size_t)-1 || errno == E2BIG)
            continue;
        {
            size_t len = cv_utf8_len((const unsigned char *)ip, inleft);
            char *sq = (char *)square;
            size_t sqleft = 3;

            ip += len ? len : 1;
            inleft -= len ? len : 1;
            o = out->data + out->len;
            outleft = out->cap - out->len - 1;
            iconv(cd, &sq, &sqleft, &o, &outleft);
            out->len = (size_t)(o - out->data);
            (*replaced)++;
        }
    }
    if (cv_buf_reserve(out, 8))
        return CV_ETOOBIG;
    {
        char *o = out->data + out->len;
        size_t outleft = out->cap - out->len - 1;

        iconv(cd, NULL, NULL, &o, &outleft); /* back to ASCII at the end */
        out->len = (size_t)(o - out->data);
        out->data[out->len] = '\0';
    }
    return CV_OK;
}

enum cv_err cv_hl7_utf8_to_iso2022jp(const char *in, size_t n, bool rewrite_msh_fields,
                                     struct cv_buf *out, size_t *replaced)
{
    struct cv_buf norm = CV_BUF_INIT(n * 2 + 64), wide = CV_BUF_INIT(n * 2 + 64),
                  msh = CV_BUF_INIT(n * 2 + 128);
    const struct cv_buf *src = &wide;
    iconv_t cd;
    enum cv_err err;

    *replaced = 0;
    err = normalise(in, n, &norm);
    if (!err)
        err = cv_hl7_widen_kana(cv_buf_str(&norm), norm.len, &wide);
    if (!err && rewrite_msh_fields) {
        err = rewrite_msh(cv_buf_str(&wide), wide.len, &msh);
        src = &msh;
    }
    if (err)
        goto out_free;
    cd = iconv_open("ISO-2022-JP", "UTF-8");
    if (cd == (iconv_t)-1) {
        err = cv_fail_errno(CV_ECHARSET, "cannot open the ISO-2022-JP encoder");
        goto out_free;
    }
    err = encode(cd, cv_buf_str(src), src->len, out, replaced);
    iconv_close(cd);
out_free:
    cv_buf_free(&norm);
    cv_buf_free(&wide);
    cv_buf_free(&msh);
    return err;
}
