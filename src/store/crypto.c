/*
 * crypto.c: the vault's keys and the two ways it seals bytes: blocks in packs (sealed by
 * pack.c with cv_seal) and small objects (snapshots, indexes, the cache) in an envelope that
 * also compresses. Blob IDs are keyed BLAKE2b-256 MACs of the plaintext. Keys live in
 * sodium_malloc'd memory, which is locked, guarded and wiped on free.
 */
#include "store_int.h"

#include <sodium.h>
#include <string.h>
#include <zstd.h>

#define KDF_CONTEXT "cvault01"

enum cv_err cv_keys_from_master(const uint8_t master[32], struct cv_keys **out)
{
    struct cv_keys *k;

    *out = NULL;
    if (sodium_init() < 0)
        return cv_fail(CV_ECRYPTO, "libsodium failed to initialise");
    k = sodium_malloc(sizeof(*k));
    if (!k)
        return cv_fail(CV_ENOMEM, "out of memory for keys");
    crypto_kdf_derive_from_key(k->aead, sizeof(k->aead), 1, KDF_CONTEXT, master);
    crypto_kdf_derive_from_key(k->id, sizeof(k->id), 2, KDF_CONTEXT, master);
    crypto_kdf_derive_from_key(k->mac, sizeof(k->mac), 3, KDF_CONTEXT, master);
    *out = k;
    return CV_OK;
}

void cv_keys_free(struct cv_keys *k)
{
    if (k)
        sodium_free(k);
}

void cv_blob_id(const struct cv_keys *k, const void *p, size_t n, uint8_t id[CV_ID_LEN])
{
    crypto_generichash(id, CV_ID_LEN, p, n, k->id, sizeof(k->id));
}

void cv_ditto_key(const struct cv_keys *k, const uint8_t id[CV_ID_LEN], uint8_t key[CV_ID_LEN])
{
    uint8_t in[8 + CV_ID_LEN];

    memcpy(in, "cv-ditto", 8);
    memcpy(in + 8, id, CV_ID_LEN);
    crypto_generichash(key, CV_ID_LEN, in, sizeof(in), k->id, sizeof(k->id));
}

enum cv_err cv_seal(const struct cv_keys *k, const uint8_t *ad, size_t adlen, const void *p,
                    size_t n, struct cv_buf *out)
{
    unsigned long long clen;
    uint8_t *dst;
    enum cv_err err = cv_buf_reserve(out, n + CV_SEAL_OVERHEAD);

    if (err)
        return err;
    dst = (uint8_t *)out->data + out->len;
    randombytes_buf(dst, CV_NONCE_LEN);
    crypto_aead_xchacha20poly1305_ietf_encrypt(dst + CV_NONCE_LEN, &clen, p, n, ad, adlen, NULL,
                                               dst, k->aead);
    out->len += CV_NONCE_LEN + (size_t)clen;
    out->data[out->len] = '\0';
    return CV_OK;
}

enum cv_err cv_unseal(const struct cv_keys *k, const uint8_t *ad, size_t adlen, const uint8_t *in,
                      size_t n, uint8_t *out)
{
    unsigned long long mlen;

    if (n < CV_SEAL_OVERHEAD)
        return cv_fail(CV_ECORRUPT, "sealed data is too short (%zu bytes)", n);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL, in + CV_NONCE_LEN,
                                                   n - CV_NONCE_LEN, ad, adlen, in, k->aead) != 0)
        return cv_fail(CV_EAUTH, "authentication failed (damaged or forged data)");
    return CV_OK;
}

enum cv_err cv_zstd_decompress_bounded(ZSTD_DCtx *dctx, const void *in, size_t n, size_t max,
                                       struct cv_buf *out)
{
    unsigned long long size = ZSTD_getFrameContentSize(in, n);
    size_t got;
    enum cv_err err;

    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
        return cv_fail(CV_ECORRUPT, "not a zstd frame with a declared size");
    if (size > max)
        return cv_fail(CV_ETOOBIG, "declares %llu bytes, more than the %zu allowed", size, max);
    if (ZSTD_findFrameCompressedSize(in, n) != n)
        return cv_fail(CV_ECORRUPT, "trailing bytes after the compressed frame");
    err = cv_buf_reserve(out, (size_t)size);
    if (err)
        return err;
    if (dctx)
        got = ZSTD_decompressDCtx(dctx, out->data + out->len, (size_t)size, in, n);
    else
        got = ZSTD_decompress(out->data + out->len, (size_t)size, in, n);
    if (ZSTD_isError(got) || got != size)
        return cv_fail(CV_ECORRUPT, "damaged compressed data");
    out->len += got;
    out->data[out->len] = '\0';
    return CV_OK;
}

/* The envelope's header: "CV" | kind | version 1 | compression (0 none, 1 zstd) | 3 zeros. The
 * AD of its seal is the header and the object's name, so neither can be changed or swapped. */
static void object_ad(char kind, const char *name, bool zstd, uint8_t ad[8 + 32])
{
    memcpy(ad, "CV", 2);
    ad[2] = (uint8_t)kind;
    ad[3] = 1;
    ad[4] = zstd ? 1 : 0;
    memset(ad + 5, 0, 3);
    if (cv_hex_decode(name, ad + 8, 32) != CV_OK)
        memset(ad + 8, 0, 32); /* callers pass valid names; a bad one simply never verifies */
}

enum cv_err cv_object_seal(const struct cv_keys *k, char kind, const char *name, const void *body,
                           size_t n, bool compress, struct cv_buf *out)
{
    uint8_t ad[40];
    size_t bound = ZSTD_compressBound(n), clen = n;
    void *tmp = compress ? cv_malloc(bound) : NULL;
    enum cv_err err;

    if (compress && !tmp)
        return cv_fail(CV_ENOMEM, "out of memory");
    if (compress && ZSTD_isError(clen = ZSTD_compress(tmp, bound, body, n, 3))) {
        cv_free(tmp);
        return cv_fail(CV_EIO, "cannot compress: %s", ZSTD_getErrorName(clen));
    }
    object_ad(kind, name, compress, ad);
    err = cv_buf_append(out, ad, 8);
    if (!err)
        err = cv_seal(k, ad, sizeof(ad), compress ? tmp : body, clen, out);
    cv_free(tmp);
    return err;
}

/* Check an envelope's header against what is expected; [out] whether it is compressed. */
static enum cv_err object_header(const uint8_t *in, size_t n, char kind, bool *zstd)
{
    static const uint8_t zero[3];

    if (n < 8 + CV_SEAL_OVERHEAD)
        return cv_fail(CV_ECORRUPT, "too short to be a repository object (%zu bytes)", n);
    if (in[0] != 'C' || in[1] != 'V' || in[2] != (uint8_t)kind)
        return cv_fail(CV_ECORRUPT, "not a repository object of the expected kind");
    if (in[3] != 1 || in[4] > 1 || memcmp(in + 5, zero, 3) != 0)
        return cv_fail(CV_EUNSUPPORTED, "object format version %u is not supported", in[3]);
    *zstd = in[4] == 1;
    return CV_OK;
}

enum cv_err cv_object_open_inplace(const struct cv_keys *k, char kind, const char *name,
                                   struct cv_buf *buf, size_t max, size_t *off)
{
    uint8_t ad[40];
    size_t plain_len;
    bool zstd = false;
    enum cv_err err = object_header((const uint8_t *)buf->data, buf->len, kind, &zstd);

    *off = 0;
    if (err)
        return err;
    object_ad(kind, name, zstd, ad);
    plain_len = buf->len - 8 - CV_SEAL_OVERHEAD;
    /* decrypted where it lies: the plaintext lands just after the nonce */
    err = cv_unseal(k, ad, sizeof(ad), (const uint8_t *)buf->data + 8, buf->len - 8,
                    (uint8_t *)buf->data + 8 + CV_NONCE_LEN);
    if (err)
        return err;
    if (!zstd) {
        if (plain_len > max)
            return cv_fail(CV_ETOOBIG, "holds %zu bytes, more than the %zu allowed", plain_len,
                           max);
        *off = 8 + CV_NONCE_LEN;
        buf->len = *off + plain_len;
        return CV_OK;
    }
    {
        struct cv_buf body = CV_BUF_INIT(max + 1);

        err = cv_zstd_decompress_bounded(NULL, buf->data + 8 + CV_NONCE_LEN, plain_len, max, &body);
        if (err) {
            cv_buf_free(&body);
            return err;
        }
        cv_buf_free(buf);
        *buf = body;
        return CV_OK;
    }
}

enum cv_err cv_object_open(const struct cv_keys *k, char kind, const char *name, const uint8_t *in,
                           size_t n, size_t max, struct cv_buf *body)
{
    struct cv_buf copy = CV_BUF_INIT(n + 1);
    size_t off;
    enum cv_err err = cv_buf_append(&copy, in, n);

    if (!err)
        err = cv_object_open_inplace(k, kind, name, &copy, max, &off);
    if (!err)
        err = cv_buf_append(body, copy.data + off, copy.len - off);
    cv_buf_free(&copy);
    return err;
}
