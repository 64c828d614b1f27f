/*
 * fuzz_hl7.c: the HL7 reader on arbitrary bytes: parse, then read every field, repetition,
 * component and subcomponent as text, timestamps, what the message says about itself
 * (ssmix2 msginfo), and, for valid UTF-8 input, the UTF-8 -> ISO-2022-JP conversion followed
 * by a parse of its output (which must split exactly as the input did).
 */
#include "fuzz.h"

#include <chartvault/hl7.h>
#include <chartvault/ssmix2.h>

#include <stdlib.h>
#include <string.h>

static void walk_fields(struct cv_hl7_msg *m)
{
    size_t nseg = cv_hl7_segment_count(m);

    for (size_t s = 0; s < nseg && s < 200; s++) {
        int nf = cv_hl7_field_count(m, s);
        struct cv_hl7_ts ts;

        for (int f = 1; f <= nf && f <= 60; f++) {
            const char *whole = cv_hl7_text(m, (long)s, f, 0, 0, 0);

            if (whole)
                cv_hl7_ts_parse(whole, &ts);
            for (int c = 1; c <= 4; c++) {
                cv_hl7_text(m, (long)s, f, 1, c, 0);
                cv_hl7_text(m, (long)s, f, 2, c, 2);
            }
            cv_hl7_rep_count(m, (long)s, f);
        }
    }
}

static void roundtrip(const uint8_t *data, size_t size)
{
    struct cv_buf out = CV_BUF_INIT(size * 8 + 1024);
    struct cv_hl7_msg *a, *b;
    size_t replaced;

    if (cv_hl7_utf8_to_iso2022jp((const char *)data, size, true, &out, &replaced) == CV_OK &&
        cv_hl7_msg_new(&a) == CV_OK) {
        if (cv_hl7_msg_new(&b) == CV_OK) {
            /* converting never changes where segments and fields are */
            if (cv_hl7_msg_parse(a, data, size) == CV_OK &&
                cv_hl7_charset(a) == CV_HL7_CHARSET_UTF8 &&
                cv_hl7_msg_parse(b, out.data, out.len) == CV_OK &&
                cv_hl7_segment_count(a) != cv_hl7_segment_count(b))
                abort();
            cv_hl7_msg_free(b);
        }
        cv_hl7_msg_free(a);
    }
    cv_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cv_hl7_msg *m;
    struct cv_ssmix2_msginfo info;

    if (cv_hl7_msg_new(&m) != CV_OK)
        return 0;
    if (cv_hl7_msg_parse(m, data, size) == CV_OK) {
        walk_fields(m);
        cv_ssmix2_msginfo_get(m, &info);
        for (size_t i = 0; i < cv_hl7_warning_count(m); i++)
            (void)strlen(cv_hl7_warning(m, i));
    }
    cv_hl7_msg_free(m);
    roundtrip(data, size);
    return 0;
}
