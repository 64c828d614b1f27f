/*
 * fuzz_redact.c: the redaction of log lines and alerts (src/common/redact.c) meets error
 * messages that quote outside data: file names from a watched tree, MLLP fields, S3 keys.
 * Whatever the line and its buffer's size, the result is NUL-terminated inside the buffer
 * (ASan and UBSan watch every read and write on the way).
 */
#include "fuzz.h"

#include <chartvault/common.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[CV_REDACT_KEY_LEN] = {7};
    char text[1024];
    size_t cap;

    if (size < 1)
        return 0;
    cap = 1 + data[0] % sizeof(text); /* buffers of every size, down to one byte */
    data++, size--;
    if (size >= cap)
        size = cap - 1;
    memcpy(text, data, size);
    text[size] = '\0';
    cv_redact_set_key(size % 2 ? key : NULL);
    cv_redact(text, cap);
    if (strnlen(text, cap) >= cap)
        __builtin_trap();
    return 0;
}
