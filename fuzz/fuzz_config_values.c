/*
 * fuzz_config_values.c: the value parsers that config files and command lines feed:
 * durations ("15m") and dates ("2026-11-01"). Input is split at the first NUL.
 */
#include "fuzz.h"

#include <chartvault/common.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[256];
    long v;

    if (size >= sizeof(text))
        size = sizeof(text) - 1;
    memcpy(text, data, size);
    text[size] = '\0';
    cv_parse_duration(text, &v);
    cv_parse_date(text, &v);
    return 0;
}
