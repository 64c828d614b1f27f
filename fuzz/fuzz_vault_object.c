/*
 * fuzz_vault_object.c: the envelope of snapshots, index objects and the cache: header, MAC,
 * then a zstd frame with a declared size under a cap. As with blocks, the input is tried as it
 * would sit in the repository and, sealed with a fixed test key, as the compressed body behind
 * the MAC.
 */
#include "fuzz.h"

#include "store/store_int.h"

#include <string.h>

static struct cv_keys *test_keys(void)
{
    static struct cv_keys *k;
    static const uint8_t master[32] = {4, 5, 6};

    if (!k && cv_keys_from_master(master, &k) != CV_OK)
        __builtin_trap();
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char name[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    struct cv_keys *k = test_keys();
    struct cv_buf body = CV_BUF_INIT(1u << 20), sealed = CV_BUF_INIT(1u << 22);
    uint8_t ad[40] = {'C', 'V', 'S', 1, 1};

    cv_object_open(k, 'S', name, data, size, 1u << 20, &body);
    cv_buf_reset(&body);
    if (cv_hex_decode(name, ad + 8, 32) != CV_OK) /* a constant: always decodes */
        __builtin_trap();
    if (size < (1u << 21) && cv_buf_append(&sealed, ad, 8) == CV_OK &&
        cv_seal(k, ad, sizeof(ad), data, size, &sealed) == CV_OK &&
        cv_object_open(k, 'S', name, (const uint8_t *)sealed.data, sealed.len, 1u << 20, &body) ==
            CV_OK &&
        body.len > (1u << 20))
        __builtin_trap(); /* the cap holds */
    cv_buf_free(&body);
    cv_buf_free(&sealed);
    return 0;
}
