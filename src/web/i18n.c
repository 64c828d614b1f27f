/*
 * i18n.c: the viewer speaks Japanese unless the browser ranks English above it (or the user
 * switches); the texts themselves live in messages.h.
 */
#include "web_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const texts[MSG_COUNT_][2] = {
#define MSG(id, ja, en) [id] = {ja, en},
#include "messages.h"
#undef MSG
};

const char *web_tr(enum web_lang lang, enum web_msg id)
{
    if ((unsigned)id >= MSG_COUNT_)
        return "";
    return texts[id][lang == LANG_EN ? 1 : 0];
}

/* The q value of the first range that names `lang` (1.0 when none is given), -1 if absent. */
static double quality_of(const char *header, const char *lang)
{
    const char *p = header;
    size_t ln = strlen(lang);

    while (p && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (strncasecmp(p, lang, ln) == 0 &&
            (p[ln] == '-' || p[ln] == ';' || p[ln] == ',' || p[ln] == ' ' || p[ln] == '\0')) {
            const char *end = strchr(p, ',');
            const char *q = strstr(p, ";q=");

            if (q && (!end || q < end))
                return strtod(q + 3, NULL);
            return 1.0;
        }
        p = strchr(p, ',');
    }
    return -1;
}

enum web_lang web_lang_from_header(const char *h)
{
    double en, ja;

    if (!h || strlen(h) > 512)
        return LANG_JA;
    en = quality_of(h, "en");
    ja = quality_of(h, "ja");
    return en > 0 && en > ja ? LANG_EN : LANG_JA;
}
