/*
 * page_snapshot.c: "as it was before ...": a doctor or an administrator may switch the viewer,
 * for their own session, to an earlier snapshot's index and back. Every switch (and every
 * refused attempt) goes into the audit log, and every page says in its banner which snapshot
 * it shows. The snapshots' indexes come from a helper that holds the repository key (see
 * struct cv_web_snapshots); the viewer itself never does.
 */
#include "web_internal.h"

#include <microhttpd.h>
#include <string.h>

bool web_role_sees_snapshots(enum cv_role role)
{
    return role == CV_ROLE_DOCTOR || role == CV_ROLE_ADMIN;
}

static bool snapshot_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 4 || n >= WEB_SNAPSHOT_NAME_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static void format_time(long long t, char *buf, size_t n)
{
    cv_time_format_minutes((time_t)t, buf, n);
}

/* The first 8 hex digits, as `chartvault snapshots` shows them (html() has no precision). */
static const char *short_name(const char *name, char out[9])
{
    cv_strlcpy(out, name, 9); /* truncating is the point: a short ID */
    return out;
}

void web_snapshot_attach(struct web_req *r)
{
    const struct cv_web_snapshots *s = r->w->cfg.snapshots;

    r->snap_path[0] = '\0';
    if (r->session_state != SESSION_OK || !r->session.snapshot[0] || !s ||
        !web_role_sees_snapshots(r->session.role))
        return;
    if (s->index_path(s->arg, r->session.snapshot, r->snap_path, sizeof(r->snap_path),
                      &r->snap_time) != CV_OK) {
        log_warn("snapshot %.8s: %s", r->session.snapshot, cv_errmsg());
        r->snap_path[0] = '\0';
        web_session_set_snapshot(r->w->sessions, r->token, "");
    }
}

static void back_button(struct web_req *r)
{
    html(r, "<form class=\"inline\" method=\"post\" action=\"/snapshot\">");
    html_csrf_field(r, r->session.csrf);
    html(r,
         "<input type=\"hidden\" name=\"name\" value=\"\"><button class=\"navbtn\" "
         "type=\"submit\">%s</button></form>",
         T(r, M_SNAPSHOT_BACK));
}

void web_snapshot_banner(struct web_req *r)
{
    const struct cv_web_config *c = &r->w->cfg;
    char when[32], s8[9];

    if (r->snap_path[0]) {
        format_time(r->snap_time, when, sizeof(when));
        html(r, "<div class=\"fresh stale snapshot\" role=\"alert\">%s%s（%s） ",
             T(r, M_SNAPSHOT_SHOWING), r->snap_time ? when : "?",
             short_name(r->session.snapshot, s8));
        back_button(r);
        html(r, "</div>");
    } else if (c->snapshot_name) {
        format_time(c->snapshot_time, when, sizeof(when));
        html(r, "<div class=\"fresh snapshot\" role=\"status\">%s%s（%s）</div>",
             T(r, M_SNAPSHOT_FROM), when, short_name(c->snapshot_name, s8));
    }
}

void web_page_snapshots(struct web_req *r)
{
    const struct cv_web_snapshots *s = r->w->cfg.snapshots;
    struct cv_web_snapshot *v = NULL;
    size_t n = 0;
    char when[32], s8[9];

    if (!web_role_sees_snapshots(r->session.role)) {
        if (web_audit(r, "snapshots", "denied", NULL, NULL))
            html_message_page(r, MHD_HTTP_FORBIDDEN, M_FORBIDDEN, T(r, M_SNAPSHOT_DENIED));
        return;
    }
    if (!s) {
        html_message_page(r, MHD_HTTP_NOT_FOUND, M_SNAPSHOTS, T(r, M_SNAPSHOT_OFF));
        return;
    }
    if (s->list(s->arg, &v, &n) != CV_OK) {
        log_error("snapshots: %s", cv_errmsg());
        html_message_page(r, MHD_HTTP_SERVICE_UNAVAILABLE, M_ERROR, T(r, M_WHY_UNREADABLE));
        return;
    }
    html_page_begin(r, T(r, M_SNAPSHOTS));
    html(r, "<h1>%s</h1><p>%s</p>", T(r, M_SNAPSHOTS), T(r, M_SNAPSHOTS_HELP));
    if (r->snap_path[0])
        back_button(r);
    if (!n)
        html(r, "<p>%s</p>", T(r, M_SNAPSHOT_NONE));
    else
        html(r, "<ul class=\"wardlist snapshots\">");
    for (size_t i = n; i-- > 0;) { /* newest first */
        format_time(v[i].time, when, sizeof(when));
        html(r, "<li><span class=\"wname\">%s</span> <span class=\"note\">%s%s%s</span> ", when,
             short_name(v[i].name, s8), v[i].suspect ? " " : "",
             v[i].suspect ? T(r, M_SNAPSHOT_SUSPECT) : "");
        if (!v[i].has_index) {
            html(r, "<span class=\"note\">%s</span>", T(r, M_SNAPSHOT_NO_INDEX));
        } else if (strcmp(v[i].name, r->session.snapshot) == 0) {
            html(r, "<strong>%s</strong>", T(r, M_SNAPSHOT_CURRENT));
        } else {
            html(r, "<form class=\"inline\" method=\"post\" action=\"/snapshot\">");
            html_csrf_field(r, r->session.csrf);
            html(r,
                 "<input type=\"hidden\" name=\"name\" value=\"%s\"><button type=\"submit\">"
                 "%s</button></form>",
                 v[i].name, T(r, M_SNAPSHOT_SWITCH));
        }
        html(r, "</li>");
    }
    if (n)
        html(r, "</ul>");
    html_page_end(r);
    cv_free(v);
}

/* POST /snapshot name=NAME ("" = back to live): audited before it takes effect. */
void web_page_snapshot_switch(struct web_req *r)
{
    const struct cv_web_snapshots *s = r->w->cfg.snapshots;
    const char *name = web_form_get(&r->form, "name");
    char path[4096], detail[128];

    if (!r->post) {
        html_message_page(r, MHD_HTTP_METHOD_NOT_ALLOWED, M_METHOD, NULL);
        return;
    }
    if (!web_csrf_ok(r, r->session.csrf))
        return;
    if (!web_role_sees_snapshots(r->session.role)) {
        if (web_audit(r, "snapshot", "denied", NULL, name))
            html_message_page(r, MHD_HTTP_FORBIDDEN, M_FORBIDDEN, T(r, M_SNAPSHOT_DENIED));
        return;
    }
    if (!s || !name || (*name && !snapshot_name_ok(name))) {
        html_message_page(r, MHD_HTTP_BAD_REQUEST, M_BAD_REQUEST, NULL);
        return;
    }
    if (*name && s->index_path(s->arg, name, path, sizeof(path), NULL) != CV_OK) {
        log_warn("snapshot %.8s: %s", name, cv_errmsg());
        web_audit(r, "snapshot", "fail", NULL, name);
        html_message_page(r, MHD_HTTP_NOT_FOUND, M_NOT_FOUND, T(r, M_SNAPSHOT_NONE));
        return;
    }
    snprintf(detail, sizeof(detail), "%s%s", *name ? "switch to " : "back to live", name);
    if (!web_audit(r, "snapshot", "ok", NULL, detail))
        return;
    web_session_set_snapshot(r->w->sessions, r->token, name);
    web_redirect(r, "/");
}
