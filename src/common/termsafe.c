/*
 * termsafe.c: text from outside (file names in a snapshot, paths in a tree) made safe to
 * print on a terminal. A name may hold ESC sequences that recolour, move the cursor, retitle
 * the window or rewrite what was printed before it; it may hold a line break that forges the
 * next line, or right-to-left overrides that show a name backwards. Every C0 and C1 control
 * character, DEL, a byte that is not UTF-8, the bidirectional overrides and isolates, and the
 * backslash itself come out as visible escapes (\x1b, \u202e, \\), so what is printed is
 * what is there and nothing else.
 */
#include <chartvault/common.h>

#include <stdio.h>

static bool bidi_control(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
           cp == 0x200F || cp == 0x061C;
}

enum cv_err cv_term_escape(struct cv_buf *b, const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = cv_utf8_len(s + i, n - i);
        char esc[16];
        uint32_t cp;

        if (len == 1 && c >= 0x20 && c != 0x7F && c != '\\') {
            cv_buf_putc(b, (char)c);
            i++;
            continue;
        }
        if (len == 0 || len == 1) { /* a control byte, DEL, a backslash, or not UTF-8 */
            if (c == '\\')
                cv_buf_puts(b, "\\\\");
            else {
                snprintf(esc, sizeof(esc), "\\x%02x", c);
                cv_buf_puts(b, esc);
            }
            i++;
            continue;
        }
        cp = cv_utf8_decode(s + i, len, &len);
        if ((cp >= 0x80 && cp <= 0x9F) || bidi_control(cp)) {
            snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
            cv_buf_puts(b, esc);
        } else {
            cv_buf_append(b, s + i, len);
        }
        i += len;
    }
    return cv_buf_error(b);
}
