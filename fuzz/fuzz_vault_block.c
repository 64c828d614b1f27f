/*
 * fuzz_vault_block.c: reading a pack's block. The input is used twice: as a stored block as it
 * sits in a pack (length field, nonce, ciphertext: framing and the MAC check), and as the
 * decrypted content of one (sealed here with a fixed test key, so the zstd frame and the block
 * header behind the MAC are reached too).
 */
#include "fuzz.h"

#include "store/store_int.h"

#include <string.h>

static struct cv_keys *test_keys(void)
{
    static struct cv_keys *k;
    static const uint8_t master[32] = {1, 2, 3};

    if (!k && cv_keys_from_master(master, &k) != CV_OK)
        __builtin_trap();
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t pack[32] = {9};
    struct cv_keys *k = test_keys();
    struct cv_buf scratch = CV_BUF_INIT(CV_BLOCK_STORED_MAX), raw = CV_BUF_INIT(CV_BLOCK_RAW_MAX);
    struct cv_buf stored = CV_BUF_INIT(CV_BLOCK_STORED_MAX + 64);
    struct cv_block_view v;
    uint8_t ad[40], len[4];
    uint32_t n = (uint32_t)(size + CV_SEAL_OVERHEAD);

    cv_block_open(k, pack, 8, data, size, &scratch, NULL, &raw);
    memcpy(ad, pack, 32);
    memset(ad + 32, 0, 8);
    ad[32] = 8;
    for (unsigned i = 0; i < 4; i++)
        len[i] = (uint8_t)(n >> (8 * i));
    if (size < CV_BLOCK_RAW_MAX && cv_buf_append(&stored, len, 4) == CV_OK &&
        cv_seal(k, ad, sizeof(ad), data, size, &stored) == CV_OK &&
        cv_block_open(k, pack, 8, (const uint8_t *)stored.data, stored.len, &scratch, NULL, &raw) ==
            CV_OK &&
        cv_block_parse((const uint8_t *)raw.data, raw.len, &v) == CV_OK &&
        (v.payload + v.payload_len != (const uint8_t *)raw.data + raw.len))
        __builtin_trap();
    cv_block_parse(data, size, &v); /* the block header alone, too */
    cv_buf_free(&scratch);
    cv_buf_free(&raw);
    cv_buf_free(&stored);
    return 0;
}
