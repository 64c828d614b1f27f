/*
 * fuzz_audit_record.c: a line of the audit log as `audit verify` and `audit export` read it
 * back (the file may have been edited by anyone with access to the state folder).
 */
#include "fuzz.h"

#include <chartvault/web.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cv_audit_record r;

    if (cv_audit_record_parse((const char *)data, size, &r) == CV_OK && !r.event)
        __builtin_trap();
    return 0;
}
