/*
 * fuzz_s3_xml.c: what an S3 server (or anyone in its place) answers: version listings (with
 * the LastModified times prune judges unindexed packs by), error documents, lock and
 * versioning settings, retention dates (what prune's removal handle reads before deleting a
 * version), and S3 locations. The same bytes
 * go to every reader; a listing must never hand out a key or version longer than its field.
 */
#include "fuzz.h"

#include "backend/s3_int.h"

#include <string.h>

static enum cv_err on_version(void *arg, const struct cv_s3_version *v)
{
    (void)arg;
    if (strlen(v->key) > CV_S3_KEY_MAX || strlen(v->version_id) > CV_S3_VID_MAX)
        __builtin_trap();
    if (v->modified < 0) /* prune compares it with now: unreadable is 0, never before 1970 */
        __builtin_trap();
    return CV_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct cv_s3_page page;
    struct cv_s3_loc loc;
    char code[64], msg[200], value[64], text[256];
    int64_t t;

    cv_s3_parse_versions(p, size, on_version, NULL, &page);
    if (cv_s3_parse_error(p, size, code, sizeof(code), msg, sizeof(msg)) == CV_OK)
        for (const char *s = msg; *s; s++)
            if ((unsigned char)*s < 0x20)
                __builtin_trap(); /* goes into messages: printable only */
    cv_s3_parse_value(p, size, "RetainUntilDate", value, sizeof(value));
    if (size < sizeof(text)) {
        memcpy(text, p, size);
        text[size] = '\0';
        if (cv_s3_parse_time(text, &t) == CV_OK) {
            char again[32];
            int64_t t2;

            cv_s3_format_time(t, again, sizeof(again));
            if (cv_s3_parse_time(again, &t2) != CV_OK || t2 != t)
                __builtin_trap();
        }
        cv_s3_loc_parse(text, &loc);
    }
    return 0;
}
