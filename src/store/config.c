/*
 * config.c: the two text files of a repository: `config` (format version, repository ID and
 * writer parameters, MAC'd with the master key) and `keys/<name>` (the master key wrapped by
 * an Argon2id key from a passphrase). Both are read before anything is authenticated, so the
 * parsers accept exactly one spelling of each line and check every value's range.
 */
#include "store_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAGIC  "chartvault-repository " /* then the format: 1 or 2 */
#define KEYFILE_MAGIC "chartvault-key 1"

typedef enum cv_err (*line_fn)(const char *key, const char *value, void *arg);

/* Split `text` into "key value" lines after a first line equal to `magic` (with `version`:
 * `magic` followed by a format number from 1 to CV_FORMAT_VERSION, stored there). */
static enum cv_err parse_lines(const char *text, size_t n, const char *magic, unsigned *version,
                               line_fn fn, void *arg)
{
    char line[256];
    size_t pos = 0, lineno = 0;

    if (memchr(text, '\0', n))
        return cv_fail(CV_EPARSE, "holds a NUL byte");
    while (pos < n) {
        const char *nl = memchr(text + pos, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - (text + pos)) : n - pos;
        enum cv_err err;
        char *sp;

        if (!nl)
            return cv_fail(CV_EPARSE, "line %zu does not end with a newline", lineno + 1);
        if (len >= sizeof(line))
            return cv_fail(CV_EPARSE, "line %zu is too long", lineno + 1);
        memcpy(line, text + pos, len);
        line[len] = '\0';
        pos += len + 1;
        if (lineno++ == 0) {
            size_t m = strlen(magic);

            if (version && strncmp(line, magic, m) == 0 && line[m] >= '1' &&
                line[m] <= '0' + CV_FORMAT_VERSION && line[m + 1] == '\0') {
                *version = (unsigned)(line[m] - '0');
                continue;
            }
            if (version && strncmp(line, magic, m) == 0)
                return cv_fail(CV_EUNSUPPORTED,
                               "format '%s' is newer than this chartvault reads (%u)", line + m,
                               CV_FORMAT_VERSION);
            if (version)
                return cv_fail(CV_EPARSE, "first line is not '%s%u'", magic, CV_FORMAT_VERSION);
            if (strcmp(line, magic) != 0)
                return cv_fail(CV_EPARSE, "first line is not '%s'", magic);
            continue;
        }
        sp = strchr(line, ' ');
        if (!sp)
            return cv_fail(CV_EPARSE, "line %zu is not 'key value'", lineno);
        *sp = '\0';
        err = fn(line, sp + 1, arg);
        if (err)
            return cv_fail_prefix(err, "line %zu: ", lineno);
    }
    if (lineno == 0)
        return cv_fail(CV_EPARSE, "is empty");
    return CV_OK;
}

static enum cv_err parse_u64(const char *key, const char *v, uint64_t min, uint64_t max,
                             uint64_t *out)
{
    char *end;
    unsigned long long x;

    errno = 0;
    if (*v < '0' || *v > '9')
        return cv_fail(CV_EPARSE, "'%s' wants a number", key);
    x = strtoull(v, &end, 10);
    if (errno || *end || x < min || x > max)
        return cv_fail(CV_EPARSE, "'%s' must be a number from %llu to %llu", key,
                       (unsigned long long)min, (unsigned long long)max);
    *out = x;
    return CV_OK;
}

static enum cv_err parse_hex(const char *key, const char *v, uint8_t *out, size_t n)
{
    if (strlen(v) != 2 * n || cv_hex_decode(v, out, n) != CV_OK)
        return cv_fail(CV_EPARSE, "'%s' wants %zu hex digits", key, 2 * n);
    return CV_OK;
}

static enum cv_err parse_u32(const char *key, const char *v, uint32_t min, uint32_t max,
                             uint32_t *out)
{
    uint64_t x = 0;
    enum cv_err err = parse_u64(key, v, min, max, &x);

    if (!err)
        *out = (uint32_t)x;
    return err;
}

/* Which of `keys` this is; CV_EPARSE for an unknown or repeated one. */
static enum cv_err which_key(const char *key, const char *const *keys, unsigned nkeys,
                             unsigned *seen, unsigned *which)
{
    unsigned i;

    for (i = 0; i < nkeys && strcmp(key, keys[i]) != 0; i++)
        ;
    if (i == nkeys)
        return cv_fail(CV_EPARSE, "unknown setting '%s'", key);
    if (*seen & (1u << i))
        return cv_fail(CV_EPARSE, "'%s' appears twice", key);
    *seen |= 1u << i;
    *which = i;
    return CV_OK;
}

/* ---- config ---------------------------------------------------------------------------------- */
static const char *const config_keys[] = {"id",          "chunk-size", "block-size", "pack-size",
                                          "compression", "mac",        "merge"};
#define CONFIG_V1_KEYS 63u  /* every key of format 1 */
#define CONFIG_V2_KEYS 127u /* and "merge" */
#define CONFIG_MAC_KEY 5u

/* "merge FAN-IN LEVELS" (format 2): when runs are merged (merge.c). */
static enum cv_err parse_merge(const char *v, struct cv_repo_config *c)
{
    unsigned fan_in, levels;
    char end;

    if (sscanf(v, "%u %u%c", &fan_in, &levels, &end) != 2 || fan_in < 2 || fan_in > 64 ||
        levels < 1 || levels > 8 || (levels * (fan_in - 1)) >= CV_RUNS_MAX)
        return cv_fail(CV_EPARSE,
                       "'merge' wants a fan-in of 2 to 64 and 1 to 8 levels, "
                       "with fewer than %u runs in all",
                       CV_RUNS_MAX);
    c->merge_fan_in = fan_in;
    c->merge_levels = levels;
    return CV_OK;
}

static enum cv_err config_line(const char *key, const char *v, void *arg)
{
    struct cv_repo_config *c = ((void **)arg)[0];
    unsigned *seen = ((void **)arg)[1];
    unsigned which = 0;
    int level_ok;
    enum cv_err err;

    if (*seen & (1u << CONFIG_MAC_KEY))
        return cv_fail(CV_EPARSE, "nothing may follow the mac line");
    err = which_key(key, config_keys, CV_ARRAY_LEN(config_keys), seen, &which);
    if (err)
        return err;
    switch (which) {
    case 0:
        err = parse_hex(key, v, c->id, sizeof(c->id));
        cv_hex_encode(c->id, sizeof(c->id), c->id_hex);
        return err;
    case 1:
        return parse_u32(key, v, 4096, CV_CHUNK_MAX, &c->chunk_size);
    case 2:
        return parse_u32(key, v, 4096, CV_BLOCK_RAW_MAX / 2, &c->block_size);
    case 3:
        return parse_u32(key, v, 64u << 10, 1u << 30, &c->pack_size);
    case 4:
        level_ok = strncmp(v, "zstd ", 5) == 0;
        if (!level_ok)
            return cv_fail(CV_EPARSE, "compression must be 'zstd LEVEL'");
        return parse_u32(key, v + 5, 1, 19, (uint32_t *)&c->level);
    case 5:
        return parse_hex(key, v, c->mac, sizeof(c->mac));
    default:
        if (c->version < 2)
            return cv_fail(CV_EPARSE, "'merge' is not a setting of format %u", c->version);
        return parse_merge(v, c);
    }
}

enum cv_err cv_repo_config_parse(const char *text, size_t n, struct cv_repo_config *c)
{
    unsigned seen = 0;
    void *arg[2] = {c, &seen};
    const char *mac;
    enum cv_err err;

    memset(c, 0, sizeof(*c));
    if (n > CV_CONFIG_MAX)
        return cv_fail(CV_ETOOBIG, "is larger than %u bytes", CV_CONFIG_MAX);
    err = parse_lines(text, n, CONFIG_MAGIC, &c->version, config_line, arg);
    if (err)
        return err;
    if (seen != (c->version >= 2 ? CONFIG_V2_KEYS : CONFIG_V1_KEYS))
        return cv_fail(CV_EPARSE, "lacks a required setting");
    mac = strstr(text, "\nmac ");
    c->maced_len = (size_t)(mac - text) + 1;
    return CV_OK;
}

enum cv_err cv_repo_config_format(const struct cv_repo_config *c, const struct cv_keys *k,
                                  struct cv_buf *out)
{
    uint8_t mac[32];
    char hex[65];
    size_t start = out->len;
    enum cv_err err;

    err =
        cv_buf_printf(out,
                      CONFIG_MAGIC "%u\nid %s\nchunk-size %u\nblock-size %u\npack-size %u\n"
                                   "compression zstd %d\n",
                      c->version, c->id_hex, c->chunk_size, c->block_size, c->pack_size, c->level);
    if (!err && c->version >= 2)
        err = cv_buf_printf(out, "merge %u %u\n", c->merge_fan_in, c->merge_levels);
    if (err)
        return err;
    crypto_generichash(mac, sizeof(mac), (const uint8_t *)out->data + start, out->len - start,
                       k->mac, sizeof(k->mac));
    cv_hex_encode(mac, sizeof(mac), hex);
    return cv_buf_printf(out, "mac %s\n", hex);
}

enum cv_err cv_repo_config_verify(const struct cv_repo_config *c, const struct cv_keys *k,
                                  const char *text, const char *where)
{
    uint8_t mac[32];

    crypto_generichash(mac, sizeof(mac), (const uint8_t *)text, c->maced_len, k->mac,
                       sizeof(k->mac));
    if (sodium_memcmp(mac, c->mac, sizeof(mac)) != 0)
        return cv_fail(CV_ECORRUPT, "'%s/config' has been altered (its MAC does not match)", where);
    return CV_OK;
}

/* ---- key files --------------------------------------------------------------------------------
 */
static const char *const keyfile_keys[] = {"kdf", "ops", "mem", "salt", "nonce", "key"};
#define KEYFILE_ALL_KEYS 63u

static enum cv_err keyfile_line(const char *key, const char *v, void *arg)
{
    struct cv_keyfile *kf = ((void **)arg)[0];
    unsigned *seen = ((void **)arg)[1];
    unsigned which = 0;
    enum cv_err err = which_key(key, keyfile_keys, CV_ARRAY_LEN(keyfile_keys), seen, &which);

    if (err)
        return err;
    switch (which) {
    case 0:
        if (strcmp(v, "argon2id13") != 0)
            return cv_fail(CV_EUNSUPPORTED, "key derivation '%s' is not supported", v);
        return CV_OK;
    case 1:
        return parse_u32(key, v, 1, 16, &kf->ops);
    case 2:
        return parse_u64(key, v, 8192, 4096ull << 20, &kf->mem);
    case 3:
        return parse_hex(key, v, kf->salt, sizeof(kf->salt));
    case 4:
        return parse_hex(key, v, kf->nonce, sizeof(kf->nonce));
    default:
        return parse_hex(key, v, kf->wrapped, sizeof(kf->wrapped));
    }
}

enum cv_err cv_keyfile_parse(const char *text, size_t n, struct cv_keyfile *kf)
{
    unsigned seen = 0;
    void *arg[2] = {kf, &seen};
    enum cv_err err;

    memset(kf, 0, sizeof(*kf));
    if (n > CV_KEYFILE_MAX)
        return cv_fail(CV_ETOOBIG, "is larger than %u bytes", CV_KEYFILE_MAX);
    err = parse_lines(text, n, KEYFILE_MAGIC, NULL, keyfile_line, arg);
    if (!err && seen != KEYFILE_ALL_KEYS)
        err = cv_fail(CV_EPARSE, "lacks a required setting");
    return err;
}

enum cv_err cv_keyfile_format(const struct cv_keyfile *kf, struct cv_buf *out)
{
    char salt[33], nonce[49], key[97];

    cv_hex_encode(kf->salt, sizeof(kf->salt), salt);
    cv_hex_encode(kf->nonce, sizeof(kf->nonce), nonce);
    cv_hex_encode(kf->wrapped, sizeof(kf->wrapped), key);
    return cv_buf_printf(out,
                         KEYFILE_MAGIC "\nkdf argon2id13\nops %u\nmem %llu\nsalt %s\nnonce %s\n"
                                       "key %s\n",
                         kf->ops, (unsigned long long)kf->mem, salt, nonce, key);
}

static enum cv_err derive_kek(const struct cv_keyfile *kf, const char *pass, uint8_t kek[32])
{
    if (sodium_init() < 0)
        return cv_fail(CV_ECRYPTO, "libsodium failed to initialise");
    if (crypto_pwhash(kek, 32, pass, strlen(pass), kf->salt, kf->ops, (size_t)kf->mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        return cv_fail(CV_ENOMEM, "not enough memory for the key derivation (%llu MiB)",
                       (unsigned long long)(kf->mem >> 20));
    return CV_OK;
}

static void keyfile_ad(const uint8_t repo_id[32], uint8_t ad[sizeof(KEYFILE_MAGIC) - 1 + 32])
{
    memcpy(ad, KEYFILE_MAGIC, sizeof(KEYFILE_MAGIC) - 1);
    memcpy(ad + sizeof(KEYFILE_MAGIC) - 1, repo_id, 32);
}

enum cv_err cv_keyfile_wrap(struct cv_keyfile *kf, const uint8_t repo_id[32], const char *pass,
                            const uint8_t master[32])
{
    uint8_t kek[32], ad[sizeof(KEYFILE_MAGIC) - 1 + 32];
    enum cv_err err;

    randombytes_buf(kf->salt, sizeof(kf->salt));
    randombytes_buf(kf->nonce, sizeof(kf->nonce));
    err = derive_kek(kf, pass, kek);
    if (err)
        return err;
    keyfile_ad(repo_id, ad);
    crypto_aead_xchacha20poly1305_ietf_encrypt(kf->wrapped, NULL, master, 32, ad, sizeof(ad), NULL,
                                               kf->nonce, kek);
    sodium_memzero(kek, sizeof(kek));
    return CV_OK;
}

enum cv_err cv_keyfile_unwrap(const struct cv_keyfile *kf, const uint8_t repo_id[32],
                              const char *pass, uint8_t master[32])
{
    uint8_t kek[32], ad[sizeof(KEYFILE_MAGIC) - 1 + 32];
    enum cv_err err;
    int rc;

    err = derive_kek(kf, pass, kek);
    if (err)
        return err;
    keyfile_ad(repo_id, ad);
    rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
        master, NULL, NULL, kf->wrapped, sizeof(kf->wrapped), ad, sizeof(ad), kf->nonce, kek);
    sodium_memzero(kek, sizeof(kek));
    return rc == 0 ? CV_OK : cv_fail(CV_EAUTH, "the passphrase does not open this key");
}
