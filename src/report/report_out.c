/*
 * report_out.c: the report written out: a self-contained HTML page (every text escaped, no
 * script, no outside resource), one JSON object, or an A4 PDF through src/print's document
 * flow. The three say the same thing: per section its title, verdict, reasons and evidence.
 */
#include "report_int.h"

#include <chartvault/print.h>

#include <stdio.h>
#include <string.h>

static void html_text(struct cv_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '<':
            cv_buf_puts(b, "&lt;");
            break;
        case '>':
            cv_buf_puts(b, "&gt;");
            break;
        case '&':
            cv_buf_puts(b, "&amp;");
            break;
        case '"':
            cv_buf_puts(b, "&quot;");
            break;
        case '\'':
            cv_buf_puts(b, "&#39;");
            break;
        default:
            cv_buf_putc(b, s[i]);
        }
    }
}

/* Calls `fn` on each line of `b` (without its newline). */
static void each_line(const struct cv_buf *b, void (*fn)(void *arg, const char *s, size_t n),
                      void *arg)
{
    const char *p = b->data, *end = b->data ? b->data + b->len : NULL;

    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

        fn(arg, p, n);
        p += n + 1;
    }
}

static void html_line(void *arg, const char *s, size_t n)
{
    struct cv_buf *b = arg;

    if (n >= 3 && memcmp(s, "## ", 3) == 0) {
        cv_buf_puts(b, "<h3>");
        html_text(b, s + 3, n - 3);
        cv_buf_puts(b, "</h3>\n");
        return;
    }
    cv_buf_puts(b, "<p>");
    html_text(b, s, n);
    cv_buf_puts(b, "</p>\n");
}

static void html_reason(void *arg, const char *s, size_t n)
{
    struct cv_buf *b = arg;

    cv_buf_puts(b, "<li>");
    html_text(b, s, n);
    cv_buf_puts(b, "</li>\n");
}

enum cv_err cv_report_html(const struct cv_report *r, struct cv_buf *b)
{
    const char *title =
        RL(r, "医療情報セキュリティ 立入検査用報告書", "Security inspection report");

    cv_buf_printf(b,
                  "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                  "<title>%s</title><style>body{font-family:sans-serif;max-width:60em;margin:auto}"
                  ".met{color:#060}.action{color:#b00;font-weight:bold}.na{color:#555}"
                  "h2{border-bottom:1px solid #999}</style></head><body>\n<h1>%s</h1>\n<p>",
                  r->english ? "en" : "ja", title, title);
    html_text(b, r->facility, strlen(r->facility));
    cv_buf_printf(
        b, RL(r, " ／ 作成 %s ／ 対象期間 %s 以降</p>\n", " / made %s / period since %s</p>\n"),
        r->generated, r->since);
    cv_buf_puts(b, "<table>\n");
    for (int i = 0; i < CV_REPORT_SECTIONS; i++) {
        const struct cv_report_section *s = &r->sections[i];
        const char *cls = s->verdict == CV_REPORT_MET      ? "met"
                          : s->verdict == CV_REPORT_ACTION ? "action"
                                                           : "na";

        cv_buf_printf(b, "<tr><td><a href=\"#%s\">%s</a></td><td class=\"%s\">%s</td></tr>\n",
                      s->key, s->title, cls, cv_report_verdict_text(s->verdict, r->english));
    }
    cv_buf_puts(b, "</table>\n");
    for (int i = 0; i < CV_REPORT_SECTIONS; i++) {
        const struct cv_report_section *s = &r->sections[i];
        const char *cls = s->verdict == CV_REPORT_MET      ? "met"
                          : s->verdict == CV_REPORT_ACTION ? "action"
                                                           : "na";

        cv_buf_printf(b, "<section id=\"%s\"><h2>%s</h2>\n<p class=\"%s\">%s: %s</p>\n", s->key,
                      s->title, cls, RL(r, "判定", "verdict"),
                      cv_report_verdict_text(s->verdict, r->english));
        if (s->reasons.len && s->verdict == CV_REPORT_ACTION) {
            cv_buf_puts(b, "<ul class=\"action\">\n");
            each_line(&s->reasons, html_reason, b);
            cv_buf_puts(b, "</ul>\n");
        }
        each_line(&s->evidence, html_line, b);
        cv_buf_puts(b, "</section>\n");
    }
    cv_buf_puts(b, "</body></html>\n");
    return b->err ? cv_fail(b->err, "the HTML report is too large") : CV_OK;
}

static void json_line(void *arg, const char *s, size_t n)
{
    cv_json_string_n(arg, s, n);
}

void cv_report_json(const struct cv_report *r, struct cv_json *j)
{
    cv_json_object_begin(j);
    cv_json_kv_string(j, "facility", r->facility);
    cv_json_kv_string(j, "generated", r->generated);
    cv_json_kv_string(j, "since", r->since);
    cv_json_kv_string(j, "language", r->english ? "en" : "ja");
    cv_json_key(j, "sections");
    cv_json_array_begin(j);
    for (int i = 0; i < CV_REPORT_SECTIONS; i++) {
        const struct cv_report_section *s = &r->sections[i];

        cv_json_object_begin(j);
        cv_json_kv_string(j, "key", s->key);
        cv_json_kv_string(j, "title", s->title);
        cv_json_kv_string(j, "verdict", cv_report_verdict_key(s->verdict));
        cv_json_kv_string(j, "verdict_text", cv_report_verdict_text(s->verdict, r->english));
        cv_json_key(j, "reasons");
        cv_json_array_begin(j);
        each_line(&s->reasons, json_line, j);
        cv_json_array_end(j);
        cv_json_key(j, "evidence");
        cv_json_array_begin(j);
        each_line(&s->evidence, json_line, j);
        cv_json_array_end(j);
        cv_json_key(j, "figures");
        cv_json_object_begin(j);
        for (size_t k = 0; k < s->nfigures; k++)
            cv_json_kv_int(j, s->figures[k].name, s->figures[k].value);
        cv_json_object_end(j);
        cv_json_object_end(j);
    }
    cv_json_array_end(j);
    cv_json_object_end(j);
}

/* ---- PDF ---------------------------------------------------------------------------------- */

struct pdf_blocks {
    struct cv_print_block *v;
    size_t n, cap;
    struct cv_buf text; /* every block's text, NUL-separated; offsets fixed up at the end */
    size_t *off;
    enum cv_err err;
};

static void pdf_add(struct pdf_blocks *p, enum cv_print_block_kind k, const char *s, size_t n)
{
    if (p->err)
        return;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        struct cv_print_block *v = cv_reallocarray(p->v, cap, sizeof(*v));
        size_t *off = v ? cv_reallocarray(p->off, cap, sizeof(*off)) : NULL;

        if (v)
            p->v = v;
        if (!v || !off) {
            p->err = cv_fail(CV_ENOMEM, "out of memory");
            return;
        }
        p->off = off;
        p->cap = cap;
    }
    p->v[p->n].kind = k;
    p->off[p->n++] = p->text.len;
    if (cv_buf_append(&p->text, s, n) || cv_buf_putc(&p->text, '\0'))
        p->err = p->text.err;
}

static void pdf_line(void *arg, const char *s, size_t n)
{
    if (n >= 3 && memcmp(s, "## ", 3) == 0)
        pdf_add(arg, CV_PRINT_SUBHEADING, s + 3, n - 3);
    else
        pdf_add(arg, CV_PRINT_BODY, s, n);
}

static void pdf_reason(void *arg, const char *s, size_t n)
{
    struct pdf_blocks *p = arg;
    char head[8] = "● ";

    pdf_add(p, CV_PRINT_BODY, head, strlen(head));
    if (!p->err && p->text.len) { /* the bullet and the reason are one block */
        p->text.len--;
        if (cv_buf_append(&p->text, s, n) || cv_buf_putc(&p->text, '\0'))
            p->err = p->text.err;
    }
}

enum cv_err cv_report_pdf(const struct cv_report *r, const char *path, const char *font_dir)
{
    struct pdf_blocks p = {.text = CV_BUF_INIT(16u << 20)};
    char line[512];
    enum cv_err err;

    snprintf(line, sizeof(line), RL(r, "対象期間 %s 以降 ／ 作成 %s", "period since %s / made %s"),
             r->since, r->generated);
    pdf_add(&p, CV_PRINT_BODY, line, strlen(line));
    for (int i = 0; i < CV_REPORT_SECTIONS; i++) {
        snprintf(line, sizeof(line), "%s: %s", r->sections[i].title,
                 cv_report_verdict_text(r->sections[i].verdict, r->english));
        pdf_add(&p, CV_PRINT_BODY, line, strlen(line));
    }
    for (int i = 0; i < CV_REPORT_SECTIONS; i++) {
        const struct cv_report_section *s = &r->sections[i];

        pdf_add(&p, CV_PRINT_HEADING, s->title, strlen(s->title));
        snprintf(line, sizeof(line), "%s: %s", RL(r, "判定", "verdict"),
                 cv_report_verdict_text(s->verdict, r->english));
        pdf_add(&p, CV_PRINT_SUBHEADING, line, strlen(line));
        if (s->verdict == CV_REPORT_ACTION)
            each_line(&s->reasons, pdf_reason, &p);
        each_line(&s->evidence, pdf_line, &p);
    }
    err = p.err;
    if (!err) {
        for (size_t i = 0; i < p.n; i++)
            p.v[i].text = p.text.data + p.off[i];
        err = cv_print_document(
            path, r->facility,
            RL(r, "医療情報セキュリティ 立入検査用報告書", "Security inspection report"),
            r->generated, p.v, p.n, font_dir);
    }
    cv_free(p.v);
    cv_free(p.off);
    cv_buf_free(&p.text);
    return err;
}
