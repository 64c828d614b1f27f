/*
 * fuzz_web_form.c: what browsers send: form bodies and query strings
 * (application/x-www-form-urlencoded), and the Accept-Language header.
 */
#include "fuzz.h"

#include "web/web_internal.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct web_form f;
    char header[600];

    if (web_form_parse((const char *)data, size, &f) == CV_OK) {
        for (size_t i = 0; i < f.n; i++)
            if (strlen(f.name[i]) == 0 || !cv_utf8_valid(f.value[i], strlen(f.value[i])))
                __builtin_trap();
        web_form_free(&f);
    }
    if (size >= sizeof(header))
        size = sizeof(header) - 1;
    memcpy(header, data, size);
    header[size] = '\0';
    web_lang_from_header(header);
    return 0;
}
