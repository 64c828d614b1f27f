/*
 * index_keys.c: the keys names are searched by. A nurse may type カンジャタロウ, カンジャ タロウ,
 * ｶﾝｼﾞｬ ﾀﾛｳ or かんじゃ: all become カンジャタロウ (half-width widened, hiragana to katakana,
 * spaces dropped), and the stored key of every patient is made the same way.
 */
#include "index_internal.h"

#include <string.h>

enum cv_err cv_index_search_key(const char *text, struct cv_buf *out)
{
    struct cv_buf wide = CV_BUF_INIT(1 << 16);
    const unsigned char *p;
    size_t n, i = 0;
    enum cv_err err;

    err = cv_hl7_widen_kana(text, strlen(text), &wide);
    p = (const unsigned char *)cv_buf_str(&wide);
    n = wide.len;
    while (!err && i < n) {
        /* U+3000 ideographic space: E3 80 80; hiragana U+3041..U+3096: E3 81 81..E3 82 96 */
        if (p[i] == ' ' || p[i] == '\t') {
            i++;
        } else if (i + 2 < n && p[i] == 0xE3 && p[i + 1] == 0x80 && p[i + 2] == 0x80) {
            i += 3;
        } else if (i + 2 < n && p[i] == 0xE3 && (p[i + 1] == 0x81 || p[i + 1] == 0x82)) {
            unsigned cp = 0x3000 | (unsigned)(p[i + 1] & 0x3F) << 6 | (p[i + 2] & 0x3F);
            char u[3];

            if (cp >= 0x3041 && cp <= 0x3096)
                cp += 0x60;
            u[0] = (char)(0xE0 | cp >> 12);
            u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
            u[2] = (char)(0x80 | (cp & 0x3F));
            err = cv_buf_append(out, u, 3);
            i += 3;
        } else {
            err = cv_buf_append(out, p + i, 1);
            i++;
        }
    }
    cv_buf_free(&wide);
    return err;
}

char *index_name_key(const char *family, const char *given, bool kana)
{
    struct cv_buf joined = CV_BUF_INIT(1 << 12), key = CV_BUF_INIT(1 << 12);
    char *res = NULL;

    (void)kana; /* kanji keys go through the same folding: harmless, and one rule is simpler */
    if (!family && !given)
        return NULL;
    cv_buf_puts(&joined, family ? family : "");
    cv_buf_puts(&joined, given ? given : "");
    if (!cv_buf_error(&joined) && cv_index_search_key(cv_buf_str(&joined), &key) == CV_OK &&
        key.len)
        res = cv_buf_steal(&key, NULL);
    cv_buf_free(&joined);
    cv_buf_free(&key);
    return res;
}
