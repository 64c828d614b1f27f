/*
 * page_search.c: patient search by ID, kanji or kana name, or birth date. The search text
 * is audited (an inspector must see who looked for whom) before any result is shown.
 */
#include "web_internal.h"

#include <chartvault/index.h>

#include <microhttpd.h>
#include <string.h>

#define SEARCH_LIMIT 50
#define QUERY_MAX    100

struct hits {
    struct web_req *r;
    size_t n;
};

static void one_hit(const struct cv_index_hit *h, void *arg)
{
    struct hits *s = arg;
    struct web_req *r = s->r;
    int age = web_age(h->birth_date);

    if (s->n++ == 0)
        html(r,
             "<table class=\"results\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
             "<th>%s</th></tr>",
             T(r, M_NAME), T(r, M_KANA), T(r, M_PATIENT_ID), T(r, M_BIRTH), T(r, M_SEX));
    html(r, "<tr><td><a href=\"/patient/");
    html_url(r, h->id);
    html(r, "\">%s %s</a></td><td>%s %s</td><td>%s</td><td>%s", h->family ? h->family : "-",
         h->given ? h->given : "", h->kana_family ? h->kana_family : "",
         h->kana_given ? h->kana_given : "", h->id, h->birth_date ? h->birth_date : "-");
    if (age >= 0)
        html(r, "（%d%s）", age, T(r, M_AGE_UNIT));
    html(r, "</td><td>%s</td></tr>", web_sex_text(r, h->sex));
}

void web_page_search(struct web_req *r)
{
    const char *q = web_form_get(&r->query, "q");
    struct cv_index *idx = web_data_index(r);
    struct hits s = {r, 0};
    struct web_fragment f;
    char key[QUERY_MAX + 16];
    size_t mark;
    enum cv_err err = CV_OK;

    if (!q || !*q || strlen(q) > QUERY_MAX) {
        if (q && strlen(q) > QUERY_MAX) {
            html_message_page(r, MHD_HTTP_BAD_REQUEST, M_BAD_REQUEST, NULL);
            return;
        }
        web_redirect(r, "/");
        return;
    }
    if (!web_audit(r, "search", idx ? "ok" : "no-data", NULL, q))
        return;
    html_page_begin(r, T(r, M_RESULTS));
    web_search_form(r, q);
    html(r, "<h1>%s: %s</h1>", T(r, M_RESULTS), q);
    mark = r->out.len;
    snprintf(key, sizeof(key), "search|%s", q);
    if (idx && web_cache_find(r, key, &f)) {
        cv_buf_append(&r->out, f.body, f.n);
        html_page_end(r);
        return;
    }
    if (idx)
        err = cv_index_search(idx, q, SEARCH_LIMIT, one_hit, &s);
    if (err) {
        r->out.len = mark; /* drop a half-written table */
        web_data_failed(r);
        html(r, "<p class=\"error\">%s</p>", T(r, M_WHY_UNREADABLE));
    } else if (s.n == 0) {
        html(r, "<p>%s</p>", T(r, idx ? M_NO_RESULTS : M_NO_DATA));
    } else {
        html(r, "</table>");
        if (s.n >= SEARCH_LIMIT)
            html(r, "<p class=\"warn\">%d%s</p>", SEARCH_LIMIT, T(r, M_MANY_RESULTS));
    }
    if (!err && idx)
        web_cache_put(r, key, NULL, mark);
    html_page_end(r);
}
