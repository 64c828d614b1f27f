/*
 * fuzz_ssmix2_name.c: SS-MIX2 file names and tree paths from arbitrary text (file names come
 * from the source tree, which is outside input). A name that parses must format back to
 * exactly itself, and a path that parses must have a folder that formats to its own prefix.
 */
#include "fuzz.h"

#include <chartvault/ssmix2.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[1024], buf[128];
    struct cv_ssmix2_name n;
    struct cv_ssmix2_path p;

    if (size >= sizeof(text))
        size = sizeof(text) - 1;
    memcpy(text, data, size);
    text[size] = '\0';
    if (cv_ssmix2_name_parse(text, &n) == CV_OK) {
        if (cv_ssmix2_name_format(&n, buf, sizeof(buf)) != CV_OK || strcmp(buf, text) != 0)
            abort();
    }
    if (cv_ssmix2_path_parse(text, &p) == CV_OK && strlen(p.folder_id) >= 6) {
        if (cv_ssmix2_dir_format(&p.name, buf, sizeof(buf)) != CV_OK ||
            strncmp(buf, text, strlen(buf)) != 0)
            abort();
    }
    cv_ssmix2_type_find(text);
    cv_ssmix2_care_date_field(text);
    return 0;
}
