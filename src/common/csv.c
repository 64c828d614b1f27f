/*
 * csv.c: one CSV field, safe to open in a spreadsheet. Quoted when it holds a comma, a quote
 * or a line break (quotes doubled), and a field that a spreadsheet would take for a formula
 * (it starts, after any spaces, with = + - @, a tab or a carriage return, or their full-width
 * and small forms ＝ ＋ － ＠ ﹦ ﹢ ﹣ ﹫, which Japanese input methods type and spreadsheets
 * read as formulas too) gets a leading apostrophe, so "=HYPERLINK(...)" in an audit detail
 * stays text.
 */
#include <chartvault/common.h>

#include <string.h>

static bool formula_start(const char *s)
{
    static const uint32_t wide[] = {0xFF1D, 0xFF0B, 0xFF0D, 0xFF20, 0xFE66, 0xFE62, 0xFE63, 0xFE6B};
    size_t len;
    uint32_t cp;

    while (*s == ' ')
        s++;
    if (*s && strchr("=+-@\t\r", *s))
        return true;
    cp = cv_utf8_decode(s, strnlen(s, 4), &len);
    for (size_t i = 0; i < CV_ARRAY_LEN(wide); i++)
        if (cp == wide[i])
            return true;
    return false;
}

enum cv_err cv_csv_field(struct cv_buf *b, const char *s)
{
    bool defuse, quote;

    if (!s)
        return cv_buf_error(b);
    defuse = formula_start(s);
    quote = defuse || strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        cv_buf_putc(b, '"');
    if (defuse)
        cv_buf_putc(b, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            cv_buf_putc(b, '"');
        cv_buf_putc(b, *p);
    }
    if (quote)
        cv_buf_putc(b, '"');
    return cv_buf_error(b);
}
