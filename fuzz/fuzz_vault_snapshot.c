/*
 * fuzz_vault_snapshot.c: the snapshot decoder, over a decrypted snapshot body. What decodes
 * must encode and decode again to the same fields.
 */
#include "fuzz.h"

#include "store/store_int.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cv_snapshot s, again;
    struct cv_buf out = CV_BUF_INIT(CV_SNAPSHOT_MAX * 2);

    if (size > CV_SNAPSHOT_MAX || cv_snapshot_decode(data, size, &s) != CV_OK)
        return 0;
    if (cv_snapshot_encode(&s, &out) != CV_OK ||
        cv_snapshot_decode((const uint8_t *)out.data, out.len, &again) != CV_OK ||
        again.time != s.time || again.ntags != s.ntags || memcmp(again.tree, s.tree, 32) != 0 ||
        again.has_db != s.has_db || again.db_size != s.db_size || again.nruns != s.nruns ||
        again.db_out_of_line_ != s.db_out_of_line_ || memcmp(again.db_tree_, s.db_tree_, 32) != 0 ||
        (s.has_db && strcmp(again.db_name, s.db_name) != 0) ||
        (s.nruns && memcmp(again.runs, s.runs, s.nruns * sizeof(*s.runs)) != 0))
        __builtin_trap();
    cv_snapshot_clear(&again);
    cv_snapshot_clear(&s);
    cv_buf_free(&out);
    return 0;
}
