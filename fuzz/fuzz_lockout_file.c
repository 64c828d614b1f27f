/*
 * fuzz_lockout_file.c: the viewer's record of failed logins per name and source
 * (STATE/lockout), which may have been damaged or edited by hand; parsed, then used as a
 * login would use it.
 */
#include "fuzz.h"

#include "web/web_internal.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lockout l;
    char *text = cv_malloc(size + 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    memset(&l, 0, sizeof(l));
    if (web_lockout_parse(text, &l) == CV_OK) {
        struct lockout_entry *e;

        web_lockout_prune(&l, 1800000000);
        e = web_lockout_get(&l, "nurse", "10.0.0.1");
        if (!e)
            __builtin_trap(); /* a valid name and source always get an entry */
        web_lockout_fail(e, 1800000000);
        if (web_lockout_count(&l, "nurse", NULL) < 1)
            __builtin_trap();
        web_lockout_forget(&l, "nurse");
    }
    web_lockout_free(&l);
    cv_free(text);
    return 0;
}
