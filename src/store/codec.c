/*
 * codec.c: the byte-level encodings of repository objects: LEB128 varints (at most 10 bytes,
 * no overflow), zigzag for signed times, and a reader that never steps past its end. Every
 * parser of repository input is built on these, so bounds are checked in one place.
 */
#include "store_int.h"

bool cv_rd_u8(struct cv_rd *r, uint8_t *v)
{
    if (r->p >= r->end)
        return false;
    *v = *r->p++;
    return true;
}

bool cv_rd_varint(struct cv_rd *r, uint64_t *v)
{
    uint64_t x = 0;

    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t b;

        if (r->p >= r->end)
            return false;
        b = *r->p++;
        if (shift == 63 && b > 1)
            return false; /* more than 64 bits */
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (b == 0 && shift > 0)
                return false; /* not the shortest encoding: one value, one spelling */
            *v = x;
            return true;
        }
    }
    return false;
}

bool cv_rd_varint_max(struct cv_rd *r, uint64_t max, uint64_t *v)
{
    return cv_rd_varint(r, v) && *v <= max;
}

bool cv_rd_svarint(struct cv_rd *r, int64_t *v)
{
    uint64_t u;

    if (!cv_rd_varint(r, &u))
        return false;
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return true;
}

bool cv_rd_bytes(struct cv_rd *r, size_t n, const uint8_t **p)
{
    if (n > cv_rd_left(r))
        return false;
    *p = r->p;
    r->p += n;
    return true;
}

size_t cv_varint_encode(uint8_t *out, uint64_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

enum cv_err cv_put_varint(struct cv_buf *b, uint64_t v)
{
    uint8_t tmp[10];

    return cv_buf_append(b, tmp, cv_varint_encode(tmp, v));
}

enum cv_err cv_put_svarint(struct cv_buf *b, int64_t v)
{
    return cv_put_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}
