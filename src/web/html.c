/*
 * html.c: how pages are written. html() takes a format that must be a string literal and
 * escapes every %s argument, so a name like "<script>" from an HL7 message can only ever come
 * out as text. The page frame (header, freshness banner, footer with print and data times) is
 * here too, so every page carries it.
 */
#include "web_internal.h"

#include <stdio.h>
#include <string.h>

static void put_escaped(struct cv_buf *b, const char *s)
{
    const char *run = s;

    if (!s)
        return;
    for (;; s++) {
        const char *ent;

        switch (*s) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        case '\0':
            cv_buf_append(b, run, (size_t)(s - run));
            return;
        default:
            continue;
        }
        cv_buf_append(b, run, (size_t)(s - run));
        cv_buf_puts(b, ent);
        run = s + 1;
    }
}

void html_printf_(struct web_req *r, const char *fmt, ...)
{
    struct cv_buf *b = &r->out;
    const char *run = fmt;
    va_list ap;

    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        char num[32];

        if (*p != '%')
            continue;
        cv_buf_append(b, run, (size_t)(p - run));
        p++;
        if (*p == 's') {
            put_escaped(b, va_arg(ap, const char *));
        } else if (*p == 'd') {
            snprintf(num, sizeof(num), "%d", va_arg(ap, int));
            cv_buf_puts(b, num);
        } else if (*p == 'u') {
            snprintf(num, sizeof(num), "%u", va_arg(ap, unsigned));
            cv_buf_puts(b, num);
        } else if (p[0] == 'l' && p[1] == 'd') {
            snprintf(num, sizeof(num), "%ld", va_arg(ap, long));
            cv_buf_puts(b, num);
            p++;
        } else if (p[0] == 'l' && p[1] == 'l' && p[2] == 'd') {
            snprintf(num, sizeof(num), "%lld", va_arg(ap, long long));
            cv_buf_puts(b, num);
            p += 2;
        } else if (p[0] == 'z' && p[1] == 'u') {
            snprintf(num, sizeof(num), "%zu", va_arg(ap, size_t));
            cv_buf_puts(b, num);
            p++;
        } else if (*p == '%') {
            cv_buf_putc(b, '%');
        } else { /* an unknown conversion is a programming error: the page is not whole */
            cv_buf_set_error(b, CV_EINVAL);
            break;
        }
        run = p + 1;
    }
    va_end(ap);
    cv_buf_puts(b, run);
}

void html_tr(struct web_req *r, enum web_msg id)
{
    put_escaped(&r->out, T(r, id));
}

void html_url(struct web_req *r, const char *s)
{
    struct cv_buf enc = CV_BUF_INIT(8192);

    if (web_url_encode(&enc, s ? s : "") == CV_OK)
        put_escaped(&r->out, cv_buf_str(&enc));
    else /* a link without its target is a page with a piece missing */
        cv_buf_set_error(&r->out, cv_buf_error(&enc));
    cv_buf_free(&enc);
}

void html_csrf_field(struct web_req *r, const char *token)
{
    html(r, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", token);
}

/* This page's path and query, to come back to after switching language. */
static void back_field(struct web_req *r)
{
    struct cv_buf back = CV_BUF_INIT(4096);
    enum cv_err err = web_url_path_encode(&back, r->path);

    for (size_t i = 0; !err && i < r->query.n; i++) {
        err = cv_buf_putc(&back, i ? '&' : '?');
        if (!err)
            err = web_url_encode(&back, r->query.name[i]);
        if (!err)
            err = cv_buf_putc(&back, '=');
        if (!err)
            err = web_url_encode(&back, r->query.value[i]);
    }
    html(r, "<input type=\"hidden\" name=\"back\" value=\"%s\">", err ? "/" : cv_buf_str(&back));
    cv_buf_free(&back);
}

static void lang_switch(struct web_req *r)
{
    html(r, "<form class=\"inline\" method=\"post\" action=\"/lang\">");
    html_csrf_field(r, r->session_state == SESSION_OK ? r->session.csrf : web_pre_token(r));
    html(r, "<input type=\"hidden\" name=\"lang\" value=\"%s\">", r->lang == LANG_JA ? "en" : "ja");
    back_field(r);
    html(r, "<button class=\"link\" type=\"submit\">%s</button></form>", T(r, M_LANG_OTHER));
}

static void header_bar(struct web_req *r)
{
    html(r, "<header class=\"top\"><a class=\"brand\" href=\"/\">%s</a><nav>", T(r, M_APP));
    if (r->session_state == SESSION_OK) {
        html(r, "<a class=\"navbtn\" href=\"/\">%s</a><a class=\"navbtn\" href=\"/wards\">%s</a>",
             T(r, M_SEARCH), T(r, M_WARDS));
        if (r->w->cfg.packs_dir)
            html(r, "<a class=\"navbtn\" href=\"/packs\">%s</a>", T(r, M_PACKS));
        if (r->w->cfg.snapshots && web_role_sees_snapshots(r->session.role))
            html(r, "<a class=\"navbtn\" href=\"/snapshots\">%s</a>", T(r, M_SNAPSHOTS));
        if (r->w->cfg.report_dir && r->session.role == CV_ROLE_ADMIN)
            html(r, "<a class=\"navbtn\" href=\"/admin\">%s</a>", T(r, M_ADMIN));
        html(r, "<span class=\"who\">%s</span>", r->session.user);
        html(r, "<form class=\"inline\" method=\"post\" action=\"/logout\">");
        html_csrf_field(r, r->session.csrf);
        html(r, "<button class=\"navbtn\" type=\"submit\">%s</button></form>", T(r, M_LOGOUT));
    }
    lang_switch(r);
    html(r, "</nav></header>");
}

/* "データ時点 YYYY-MM-DD HH:MM（N分前）", red past the threshold; or why there is no data. */
static void freshness(struct web_req *r, char *data_time, size_t n)
{
    const char *why = NULL;
    time_t t;

    snprintf(data_time, n, "-");
    if (!web_data_available(r, &why)) {
        html(r, "<div class=\"fresh nodata\" role=\"alert\">%s: %s</div>", T(r, M_NO_DATA), why);
        return;
    }
    if (!web_data_time(r, &t)) {
        html(r, "<div class=\"fresh stale\" role=\"alert\">%s: %s</div>", T(r, M_DATA_TIME),
             T(r, M_WHY_NO_INGEST));
        return;
    }
    long mins = (long)(cv_now() - t) / 60;
    bool stale = mins > r->w->cfg.stale_minutes;

    cv_time_format_minutes(t, data_time, n);
    html(r, "<div class=\"fresh%s\" role=\"%s\">%s %s%s%ld%s%s", stale ? " stale" : "",
         stale ? "alert" : "status", T(r, M_DATA_TIME), data_time, r->lang == LANG_JA ? "（" : " (",
         mins < 0 ? 0 : mins, T(r, M_MIN_AGO), r->lang == LANG_JA ? "）" : ")");
    if (stale)
        html(r, " <strong>%s</strong>", T(r, M_STALE));
    html(r, "</div>");
}

void html_page_begin(struct web_req *r, const char *title)
{
    r->content_type = "text/html; charset=utf-8";
    html(r,
         "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>%s - %s</title><link rel=\"stylesheet\" href=\"/static/viewer.css\">"
         "<script src=\"/static/viewer.js\" defer></script></head><body>",
         r->lang == LANG_JA ? "ja" : "en", title, T(r, M_APP));
    header_bar(r);
    web_snapshot_banner(r);
    freshness(r, r->data_time, sizeof(r->data_time));
    html(r, "<main>");
}

void html_page_end(struct web_req *r)
{
    char printed[32];

    cv_time_format_minutes(cv_now(), printed, sizeof(printed));
    html(r,
         "</main><footer class=\"foot\"><span>%s %s</span> / <span>%s %s</span>"
         "<span class=\"who\">%s</span></footer></body></html>\n",
         T(r, M_PRINTED), printed, T(r, M_DATA_TIME), r->data_time,
         r->session_state == SESSION_OK ? r->session.user : "");
}

void html_message_page(struct web_req *r, unsigned status, enum web_msg title, const char *text)
{
    cv_buf_reset(&r->out);
    r->status = status;
    html_page_begin(r, T(r, title));
    html(r, "<h1>%s</h1><p class=\"message\">%s</p>", T(r, title), text ? text : "");
    html(r, "<p><a class=\"button\" href=\"/\">%s</a></p>", T(r, M_HOME));
    html_page_end(r);
}

const char *web_when(const char *s, char buf[32])
{
    char *t;

    cv_strlcpy(buf, s && *s ? s : "-", 32);
    t = strchr(buf, 'T');
    if (t && t - buf == 10)
        *t = ' ';
    return buf;
}
