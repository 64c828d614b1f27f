/*
 * fuzz_pack_name.c: the file names of downtime packs, which the viewer reads back from a
 * folder (outside input: anything may be put there) and the print module makes from ward
 * names in HL7 (outside input): decoding never overruns and accepts only what encoding makes,
 * and every ward name survives encode then decode unchanged.
 */
#include "fuzz.h"

#include <chartvault/print.h>

#include "web/web_internal.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[256], name[4 * 256 + 16], ward[256], back[256];

    if (size >= sizeof(text))
        size = sizeof(text) - 1;
    memcpy(text, data, size);
    text[size] = '\0';
    web_pack_ward(text, ward, sizeof(ward));
    cv_print_file_name(text, name, sizeof(name));
    if (text[0] && cv_utf8_valid(text, strlen(text)) && strlen(text) <= 60) {
        if (!web_pack_ward(name, back, sizeof(back)) || strcmp(back, text) != 0)
            __builtin_trap(); /* a ward name that does not come back */
    }
    return 0;
}
