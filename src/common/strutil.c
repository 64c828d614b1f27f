/*
 * strutil.c: bounded string copy and hex, used for IDs, hashes and keys.
 */
#include <chartvault/common.h>

#include <stdio.h>
#include <string.h>

size_t cv_strlcpy(char *dst, const char *src, size_t n)
{
    size_t len = strlen(src);

    if (n) {
        size_t c = len < n - 1 ? len : n - 1;

        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return len;
}

void cv_hex_encode(const uint8_t *p, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[p[i] >> 4];
        hex[2 * i + 1] = digits[p[i] & 15];
    }
    hex[2 * n] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum cv_err cv_hex_decode(const char *hex, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(hex[2 * i]);
        int lo = hi < 0 ? -1 : hex_value(hex[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return cv_fail(CV_EPARSE, "not a hex string of %zu bytes", n);
        p[i] = (uint8_t)(hi << 4 | lo);
    }
    if (hex[2 * n] != '\0')
        return cv_fail(CV_EPARSE, "hex string longer than %zu bytes", n);
    return CV_OK;
}

void cv_format_bytes(uint64_t n, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    size_t u = 0;

    while (v >= 1024 && u + 1 < CV_ARRAY_LEN(units)) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
}
