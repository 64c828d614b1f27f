/*
 * fuzz_vault_index.c: the index decoder, over a decrypted index body: it must add all or
 * nothing, never point outside what it added, and encode back to bytes that decode the same.
 */
#include "fuzz.h"

#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cv_pack_index ix, again;
    struct cv_buf out = CV_BUF_INIT(CV_INDEX_MAX);
    struct cv_blob_loc loc;
    struct cv_ix_entry e;

    cv_pack_index_init(&ix);
    cv_pack_index_init(&again);
    if (cv_pack_index_decode(&ix, data, size) != CV_OK) {
        if (ix.npacks || ix.nblocks || cv_pack_index_count(&ix))
            __builtin_trap(); /* a damaged index object adds nothing */
        goto out;
    }
    for (size_t i = 0; i < cv_pack_index_count(&ix); i++) {
        cv_pack_index_entry(&ix, i, &e);
        if (!cv_pack_index_locate(&ix, e.id, &loc) || loc.pack_no >= ix.npacks ||
            (uint64_t)loc.off + loc.len > loc.raw)
            __builtin_trap();
    }
    /* twice the same object: merged, each blob once, and the same bytes as one */
    if (cv_pack_index_decode(&ix, data, size) != CV_OK ||
        cv_pack_index_encode_all(&ix, &out) != CV_OK ||
        cv_pack_index_decode(&again, (const uint8_t *)out.data, out.len) != CV_OK ||
        2 * cv_pack_index_count(&again) != cv_pack_index_count(&ix) || again.nblocks != ix.nblocks)
        __builtin_trap();
out:
    cv_pack_index_free(&ix);
    cv_pack_index_free(&again);
    cv_buf_free(&out);
    return 0;
}
