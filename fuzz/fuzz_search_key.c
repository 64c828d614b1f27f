/*
 * fuzz_search_key.c: search text as a browser or a command line sends it (outside input):
 * the key normalisation (half-width kana, hiragana, spaces), kana widening, and the HL7
 * timestamp and date parsers the query side uses on dates people type.
 */
#include "fuzz.h"

#include <chartvault/hl7.h>
#include <chartvault/index.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cv_buf key = CV_BUF_INIT(1 << 16), wide = CV_BUF_INIT(1 << 16);
    char text[2048], out[32];
    struct cv_hl7_ts ts;
    long days;

    if (size >= sizeof(text))
        size = sizeof(text) - 1;
    memcpy(text, data, size);
    text[size] = '\0';
    cv_index_search_key(text, &key);
    cv_hl7_widen_kana((const char *)data, size, &wide);
    cv_hl7_ts_parse(text, &ts);
    cv_hl7_ts_minutes(text, out, sizeof(out));
    if (cv_parse_date(text, &days) == CV_OK && days < cv_ymd_to_days(1800, 1, 1))
        __builtin_trap(); /* parsed dates stay in the years it accepts */
    cv_buf_free(&key);
    cv_buf_free(&wide);
    return 0;
}
