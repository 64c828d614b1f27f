/*
 * fuzz_vault_prune_record.c: the decoder of prune records (what a running prune is about to
 * remove, read by every backup), over a decrypted record body. What decodes must encode to the
 * same bytes.
 */
#include "fuzz.h"

#include "store/store_int.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cv_prune_record r;
    struct cv_buf out = CV_BUF_INIT(size + 64);

    if (size > (1u << 20) || cv_prune_record_decode(data, size, &r) != CV_OK)
        return 0;
    if (cv_prune_record_encode(&r, &out) != CV_OK || out.len != size ||
        memcmp(out.data, data, size) != 0)
        __builtin_trap();
    cv_prune_record_clear(&r);
    cv_buf_free(&out);
    return 0;
}
