/*
 * page_ward.c: the wards (each with its census and bed map one tap away, also on the start
 * page), a ward's census (one line per occupied bed) and its bed map (rooms x beds, with
 * each occupant's name, age, sex and an allergy mark). Census and bed map show patients, so
 * each look is audited.
 */
#include "web_internal.h"

#include <chartvault/index.h>

#include <microhttpd.h>
#include <string.h>

#define WARD_MAX 64

struct ctx {
    struct web_req *r;
    size_t n;
    bool found;
    const char *want;
    char room[64];
};

static void ward_item(const struct cv_ward *w, void *arg)
{
    struct ctx *c = arg;
    struct web_req *r = c->r;

    if (c->n++ == 0)
        html(r, "<ul class=\"wardlist\">");
    html(r, "<li><span class=\"wname\">%s %s</span><span class=\"note\">%lld / %lld%s</span><br>",
         T(r, M_WARD), w->ward, w->occupied, w->beds, T(r, M_BEDS_TOTAL));
    html(r, "<a class=\"button\" href=\"/ward/");
    html_url(r, w->ward);
    html(r, "\">%s</a><a class=\"button primary\" href=\"/ward/", T(r, M_CENSUS));
    html_url(r, w->ward);
    html(r, "/beds\">%s</a></li>", T(r, M_BEDMAP));
}

void web_ward_buttons(struct web_req *r)
{
    struct cv_index *idx = web_data_index(r);
    struct ctx c = {r, 0, false, NULL, ""};
    struct web_fragment f;
    size_t mark = r->out.len;

    if (!idx) {
        html(r, "<p>%s</p>", T(r, M_NO_DATA));
        return;
    }
    if (web_cache_find(r, "wards", &f)) {
        cv_buf_append(&r->out, f.body, f.n);
        return;
    }
    if (cv_index_wards(idx, ward_item, &c) != CV_OK) {
        r->out.len = mark;
        web_data_failed(r);
        html(r, "<p class=\"error\">%s</p>", T(r, M_WHY_UNREADABLE));
        return;
    }
    if (c.n)
        html(r, "</ul>");
    else
        html(r, "<p>%s</p>", T(r, M_NO_WARDS));
    web_cache_put(r, "wards", NULL, mark);
}

void web_page_wards(struct web_req *r)
{
    html_page_begin(r, T(r, M_WARDS));
    html(r, "<h1>%s</h1>", T(r, M_WARDS));
    web_ward_buttons(r);
    html_page_end(r);
}

static void find_ward(const struct cv_ward *w, void *arg)
{
    struct ctx *c = arg;

    if (strcmp(w->ward, c->want) == 0)
        c->found = true;
}

static void allergy_mark(struct web_req *r, bool recorded)
{
    if (recorded)
        html(r, "<span class=\"amark\">&#9888;%s</span>", T(r, M_ALLERGY_MARK));
    else
        html(r, "<span class=\"amark unk\">%s</span>", T(r, M_ALLERGY_UNCONFIRMED));
}

static void patient_link(struct web_req *r, const struct cv_census_row *p)
{
    html(r, "<a href=\"/patient/");
    html_url(r, p->id);
    html(r, "\">%s %s</a>", p->family ? p->family : "-", p->given ? p->given : "");
}

static void census_row(const struct cv_census_row *p, void *arg)
{
    struct ctx *c = arg;
    struct web_req *r = c->r;
    char t[32];

    if (c->n++ == 0)
        html(r,
             "<table class=\"census\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
             "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>",
             T(r, M_ROOM), T(r, M_BED), T(r, M_NAME), T(r, M_AGE), T(r, M_SEX), T(r, M_ALLERGY),
             T(r, M_ADMITTED), T(r, M_ATTENDING));
    html(r, "<tr><td>%s</td><td>%s</td><td>", p->room ? p->room : "-", p->bed ? p->bed : "-");
    patient_link(r, p);
    html(r, "<br><small>%s %s</small></td><td>", p->kana_family ? p->kana_family : "",
         p->kana_given ? p->kana_given : "");
    if (p->age >= 0)
        html(r, "%d", p->age);
    html(r, "</td><td>%s</td><td>", web_sex_text(r, p->sex));
    allergy_mark(r, p->allergies_recorded);
    html(r, "</td><td>%s</td><td>%s</td></tr>", web_when(p->admitted, t),
         p->attending ? p->attending : "-");
}

static void bed_cell(const struct cv_bed *b, void *arg)
{
    struct ctx *c = arg;
    struct web_req *r = c->r;
    const struct cv_census_row *p = b->occupant;
    const char *room = b->room ? b->room : "-";

    if (c->n++ == 0 || strcmp(c->room, room) != 0) {
        if (c->n > 1)
            html(r, "</section>");
        html(r, "<section class=\"room\"><h3>%s %s</h3>", T(r, M_ROOM), room);
        cv_strlcpy(c->room, room, sizeof(c->room));
    }
    if (!p) {
        html(r, "<div class=\"bed empty\"><span class=\"bno\">%s</span>%s</div>",
             b->bed ? b->bed : "-", T(r, M_EMPTY_BED));
        return;
    }
    html(r, "<a class=\"bed occupied\" href=\"/patient/");
    html_url(r, p->id);
    html(r, "\"><span class=\"bno\">%s</span><span class=\"occ\">%s %s</span><br>",
         b->bed ? b->bed : "-", p->family ? p->family : "-", p->given ? p->given : "");
    if (p->age >= 0)
        html(r, "%d%s ", p->age, T(r, M_AGE_UNIT));
    html(r, "%s ", web_sex_text(r, p->sex));
    allergy_mark(r, p->allergies_recorded);
    html(r, "</a>");
}

static void ward_heading(struct web_req *r, const char *ward, bool beds)
{
    html(r, "<h1>%s %s — %s</h1><p class=\"actions\">", T(r, M_WARD), ward,
         T(r, beds ? M_BEDMAP : M_CENSUS));
    html(r, "<a class=\"button\" href=\"/ward/");
    html_url(r, ward);
    if (beds)
        html(r, "\">%s</a>", T(r, M_CENSUS));
    else
        html(r, "/beds\">%s</a>", T(r, M_BEDMAP));
    html(r, "<a class=\"button\" href=\"/wards\">%s</a></p>", T(r, M_WARDS));
}

void web_page_ward(struct web_req *r, const char *ward, bool beds)
{
    struct cv_index *idx = web_data_index(r);
    struct ctx c = {r, 0, false, ward, ""};
    struct web_fragment f = {0};
    enum cv_err err = CV_OK;
    char key[WARD_MAX + 16];
    size_t mark;

    snprintf(key, sizeof(key), "%s|%s", beds ? "beds" : "ward", ward);
    if (idx && strlen(ward) <= WARD_MAX && cv_utf8_valid(ward, strlen(ward))) {
        if (web_cache_find(r, key, &f))
            c.found = true;
        else
            err = cv_index_wards(idx, find_ward, &c);
    }
    if (err)
        web_data_failed(r);
    if (!web_audit(r, beds ? "beds" : "ward", c.found ? "ok" : "not-found", NULL, ward))
        return;
    if (!c.found) {
        const char *why;

        html_message_page(r, MHD_HTTP_NOT_FOUND,
                          web_data_available(r, &why) ? M_NO_WARD : M_NO_DATA, ward);
        return;
    }
    html_page_begin(r, T(r, beds ? M_BEDMAP : M_CENSUS));
    ward_heading(r, ward, beds);
    mark = r->out.len;
    if (f.body) {
        cv_buf_append(&r->out, f.body, f.n);
        html_page_end(r);
        return;
    }
    c.n = 0;
    if (beds) {
        html(r, "<div class=\"bedmap\">");
        err = cv_index_beds(idx, ward, NULL, bed_cell, &c);
        if (!err && c.n)
            html(r, "</section>");
        if (!err)
            html(r, "</div>");
    } else {
        err = cv_index_census(idx, ward, NULL, census_row, &c);
        if (!err && c.n)
            html(r, "</table>");
        if (!err)
            html(r, "<p>%zu%s</p>", c.n, T(r, M_PATIENTS_N));
    }
    if (err) {
        r->out.len = mark;
        web_data_failed(r);
        html(r, "<p class=\"error\">%s</p>", T(r, M_WHY_UNREADABLE));
    } else {
        web_cache_put(r, key, NULL, mark);
    }
    html_page_end(r);
}
