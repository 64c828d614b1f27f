/*
 * totp.c: the second factor: RFC 6238 time-based one-time codes (HMAC-SHA1 from GnuTLS, as
 * every authenticator app expects), RFC 4648 base32 for the shared secret, the otpauth URI,
 * and the enrolment QR code drawn on a terminal (libqrencode).
 */
#include "web_internal.h"

#include <gnutls/crypto.h>
#include <qrencode.h>
#include <string.h>

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void cv_base32_encode(const uint8_t *p, size_t n, char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | p[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
    out[o] = '\0';
}

enum cv_err cv_base32_decode(const char *s, uint8_t *out, size_t max, size_t *n)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;

    *n = 0;
    for (; *s; s++) {
        char c = *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s;
        const char *hit = c ? strchr(b32_alphabet, c) : NULL;

        if (!hit)
            return cv_fail(CV_EPARSE, "not base32: '%c'", *s);
        acc = (acc << 5) | (uint32_t)(hit - b32_alphabet);
        bits += 5;
        if (bits >= 8) {
            if (o >= max)
                return cv_fail(CV_ETOOBIG, "base32 value longer than %zu bytes", max);
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    *n = o;
    return CV_OK;
}

enum cv_err cv_totp_code(const uint8_t *secret, size_t n, uint64_t step, char code[7])
{
    uint8_t msg[8], mac[20];
    uint32_t v;
    int off;

    for (int i = 7; i >= 0; i--, step >>= 8)
        msg[i] = (uint8_t)(step & 0xff);
    if (gnutls_hmac_fast(GNUTLS_MAC_SHA1, secret, n, msg, sizeof(msg), mac) != 0)
        return cv_fail(CV_ECRYPTO, "HMAC-SHA1 failed");
    off = mac[19] & 0x0f;
    v = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
        ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
    snprintf(code, 7, "%06u", (unsigned)(v % 1000000u));
    return CV_OK;
}

enum cv_err cv_totp_uri(const char *name, const char *secret_b32, struct cv_buf *out)
{
    return cv_buf_printf(out,
                         "otpauth://totp/chartvault:%s?secret=%s&issuer=chartvault"
                         "&algorithm=SHA1&digits=6&period=30",
                         name, secret_b32);
}

/* Two module rows per text line: upper half block, lower half block, full block or space,
 * drawn dark-on-light with a quiet zone, so phones read it from a dark terminal too. */
enum cv_err cv_qr_render_text(const char *text, struct cv_buf *out)
{
    static const char *const cell[4] = {"\xe2\x96\x88", "\xe2\x96\x80", "\xe2\x96\x84", " "};
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    enum cv_err err = CV_OK;
    const int quiet = 2;
    int w;

    if (!qr)
        return cv_fail(CV_EINVAL, "cannot make a QR code of this text");
    w = qr->width;
    for (int y = -quiet; y < w + quiet && !err; y += 2) {
        for (int x = -quiet; x < w + quiet && !err; x++) {
            bool top = y >= 0 && y < w && x >= 0 && x < w && (qr->data[y * w + x] & 1);
            bool bot =
                y + 1 >= 0 && y + 1 < w && x >= 0 && x < w && (qr->data[(y + 1) * w + x] & 1);

            /* light cells are drawn, dark modules are left blank */
            err = cv_buf_puts(out, cell[(top ? 2 : 0) + (bot ? 1 : 0)]);
        }
        if (!err)
            err = cv_buf_putc(out, '\n');
    }
    QRcode_free(qr);
    return err;
}
