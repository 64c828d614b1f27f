/*
 * page_start.c: the start page (search box, and every ward's census and bed map one tap
 * away) and /health, which needs no login and tells only whether the index is readable and
 * how old its data is.
 */
#include "web_internal.h"

#include <microhttpd.h>

void web_search_form(struct web_req *r, const char *q)
{
    html(r,
         "<form class=\"search\" method=\"get\" action=\"/search\" role=\"search\">"
         "<label for=\"q\">%s</label><div class=\"row\"><input id=\"q\" name=\"q\" "
         "type=\"search\" value=\"%s\" placeholder=\"%s\" maxlength=\"100\" required "
         "autocomplete=\"off\"><button class=\"primary\" type=\"submit\">%s</button></div>"
         "</form>",
         T(r, M_SEARCH), q ? q : "", T(r, M_SEARCH_HINT), T(r, M_SEARCH_GO));
}

void web_page_start(struct web_req *r)
{
    html_page_begin(r, T(r, M_SEARCH));
    web_search_form(r, NULL);
    html(r, "<h2>%s</h2>", T(r, M_WARDS));
    web_ward_buttons(r);
    html_page_end(r);
}

void web_page_health(struct web_req *r)
{
    struct cv_json j;
    const char *why = NULL;
    char when[40];
    time_t t;
    bool ok = web_data_available(r, &why) && web_data_time(r, &t);

    r->content_type = "application/json";
    cv_json_init(&j, &r->out, false);
    cv_json_object_begin(&j);
    cv_json_kv_string(&j, "status", ok ? "ok" : "unavailable");
    if (ok) {
        cv_time_format_iso(t, when, sizeof(when));
        cv_json_kv_string(&j, "data_time", when);
        cv_json_kv_int(&j, "age_minutes", (long long)(cv_now() - t) / 60);
    } else {
        cv_json_kv_string(&j, "reason", why);
    }
    cv_json_object_end(&j);
    cv_buf_putc(&r->out, '\n');
    r->status = ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
}
