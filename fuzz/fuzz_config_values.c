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
    if (cv_parse_duration(text, &v) == CV_OK && v < 0)
        __builtin_trap();                   /* a duration that parses is never negative */
    if (cv_parse_date(text, &v) == CV_OK) { /* a date that parses comes back the same */
        int y, m, d;

        cv_days_to_ymd(v, &y, &m, &d);
        if (cv_ymd_to_days(y, m, d) != v)
            __builtin_trap();
    }
    return 0;
}
