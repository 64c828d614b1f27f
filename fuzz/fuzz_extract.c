/*
 * fuzz_extract.c: from message to index rows, for every SS-MIX2 data type: the first byte
 * picks the folder's data type, the rest is the message. Extraction reads fields by position
 * and walks repetitions, so hostile messages must not crash it or make it loop: blood-type
 * OBX of any value, RXC without names, OBX-4 of junk, PRB-13 of junk. The message as text
 * also goes through the blood-type value reader, and the PID reader runs on every message.
 */
#include "fuzz.h"

#include "index/index_internal.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct cv_ssmix2_type *type;
    struct cv_hl7_msg *m;
    struct xarena a = {0};
    struct x_rows rows;
    size_t ntypes = 0;

    if (size < 1)
        return 0;
    while (cv_ssmix2_type_at(ntypes))
        ntypes++;
    type = cv_ssmix2_type_at(data[0] % ntypes);
    if (cv_hl7_msg_new(&m) != CV_OK)
        return 0;
    if (cv_hl7_msg_parse(m, data + 1, size - 1) == CV_OK &&
        index_extract(m, type, "20240101000000000", &a, &rows) == CV_OK) {
        struct x_demo d;
        bool oom = false;

        index_extract_pid(m, &a, &d, &oom);
        for (size_t i = 0; i < rows.n_meds; i++) /* every component was kept */
            for (size_t k = 0; k < rows.meds[i].ncomponents; k++)
                if (rows.meds[i].components[k].name && !rows.meds[i].components[k].name[0])
                    __builtin_trap();
    }
    if (size < 256) { /* the value reader on raw bytes, NUL-terminated */
        char text[256];

        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        index_abo(text);
        index_rh(text);
    }
    xa_free(&a);
    cv_hl7_msg_free(m);
    return 0;
}
