/*
 * fuzz_report_access.c: the access-log section of `chartvault report` over any audit.log (a
 * log anyone with access to the viewer's state folder may have edited, cut or filled with
 * junk): it must give a verdict with its reason, never crash, and a log that is not a valid
 * chain is never "met".
 */
#include "fuzz.h"

#include "report/report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[64];
    static struct cv_report r;
    static struct rs_access_out out;
    struct cv_report_options o = {.since = 0};
    struct cv_report_section s = {.id = CV_REPORT_ACCESS};
    char path[128];
    FILE *f;

    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/cv-fuzz-report-%ld", (long)getpid());
        if (cv_mkdir_p(dir, 0700) != CV_OK)
            abort();
    }
    snprintf(path, sizeof(path), "%s/audit.log", dir);
    f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    memset(&out, 0, sizeof(out));
    cv_strlcpy(r.since, "1970-01-01", sizeof(r.since));
    o.viewer_state = dir;
    cv_buf_init(&s.reasons, CV_REPORT_MAX_TEXT);
    cv_buf_init(&s.evidence, CV_REPORT_MAX_TEXT);
    rs_access(&r, &o, &s, &out);
    /* a file that does not start with a whole valid record cannot verify */
    if (s.verdict == CV_REPORT_MET && size && data[0] != '{')
        __builtin_trap();
    cv_buf_free(&s.reasons);
    cv_buf_free(&s.evidence);
    unlink(path);
    return 0;
}
