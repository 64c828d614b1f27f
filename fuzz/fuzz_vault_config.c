/*
 * fuzz_vault_config.c: the first repository files anyone reads, before any key is known:
 * `config` and `keys/<name>`. Both parsers get the same text.
 */
#include "fuzz.h"

#include "store/store_int.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cv_repo_config c;
    struct cv_keyfile kf;
    struct cv_buf out = CV_BUF_INIT(CV_KEYFILE_MAX);

    if (cv_repo_config_parse((const char *)data, size, &c) == CV_OK && c.maced_len > size)
        __builtin_trap(); /* the MAC must cover bytes that exist */
    if (cv_keyfile_parse((const char *)data, size, &kf) == CV_OK) {
        struct cv_keyfile again;

        /* what parses must format and parse back the same */
        if (cv_keyfile_format(&kf, &out) != CV_OK ||
            cv_keyfile_parse(out.data, out.len, &again) != CV_OK ||
            memcmp(&kf, &again, sizeof(kf)) != 0)
            __builtin_trap();
    }
    cv_buf_free(&out);
    return 0;
}
