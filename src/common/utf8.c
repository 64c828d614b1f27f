/*
 * utf8.c: the one UTF-8 validator. Browsers, HL7 messages (after decoding), the audit log and
 * JSON output all meet bytes that claim to be UTF-8; every one of them asks here, so a rule
 * (no overlong forms, no surrogates, nothing past U+10FFFF) holds in one place.
 */
#include <chartvault/common.h>

size_t cv_utf8_len(const void *s, size_t n)
{
    const unsigned char *p = s;
    size_t len;
    uint32_t cp;

    if (n == 0)
        return 0;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        len = 2, cp = p[0] & 0x1F;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        len = 3, cp = p[0] & 0x0F;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        len = 4, cp = p[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

uint32_t cv_utf8_decode(const void *s, size_t n, size_t *len)
{
    const unsigned char *p = s;
    size_t k = cv_utf8_len(p, n);
    uint32_t cp;

    *len = k ? k : n ? 1 : 0;
    if (k == 0)
        return n ? 0xFFFD : 0;
    if (k == 1)
        return p[0];
    cp = p[0] & (0x7F >> k);
    for (size_t i = 1; i < k; i++)
        cp = cp << 6 | (p[i] & 0x3F);
    return cp;
}

bool cv_utf8_valid(const void *s, size_t n)
{
    const unsigned char *p = s;

    while (n) {
        size_t k = cv_utf8_len(p, n);

        if (k == 0)
            return false;
        p += k;
        n -= k;
    }
    return true;
}
