/*
 * fuzz_accounts_file.c: the viewer's accounts file (STATE/accounts), which a viewer and the
 * `user` command both read and which may have been damaged or edited by hand.
 */
#include "fuzz.h"

#include "web/web_internal.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct account *v;
    size_t n;
    char *text = cv_malloc(size + 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (web_accounts_parse(text, "fuzz", &v, &n) == CV_OK)
        cv_free(v);
    cv_free(text);
    return 0;
}
