/*
 * fuzz_daemon_config.c: the daemon's config file (libinih plus every value parser: paths,
 * durations, sizes, listen addresses, CIDR allow-lists, mail lists) on hostile text.
 */
#include "fuzz.h"

#include <chartvault/config.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cv_config c;

    if (cv_config_parse_text("fuzz.conf", (const char *)data, size, &c) == CV_OK)
        cv_config_free(&c);
    return 0;
}
