/*
 * page_auth.c: logging in and out, and switching language. A login is checked against the
 * accounts file (lockout per name and source, and TOTP, in accounts.c); a throttled address
 * still lets the right password with the right one-time code through (a ward behind one NAT
 * is not locked out by one guesser). Every outcome is audited before it is answered, and
 * nothing is answered that was not audited. The login form carries a token tied to a cookie,
 * so another site cannot log a browser in under its own account.
 */
#include "web_internal.h"

#include <microhttpd.h>
#include <string.h>

#define SESSION_COOKIE "__Host-cv_session"

static void login_form(struct web_req *r, enum web_msg message)
{
    const char *expired = web_form_get(&r->query, "expired");

    html_page_begin(r, T(r, M_LOGIN));
    html(r, "<section class=\"login\"><h1>%s</h1><p class=\"note\">%s</p>", T(r, M_LOGIN),
         T(r, M_DEMO_NOTE));
    if (message != MSG_COUNT_)
        html(r, "<p class=\"error\" role=\"alert\">%s</p>", T(r, message));
    else if (expired)
        html(r, "<p class=\"error\" role=\"alert\">%s</p>", T(r, M_SESSION_EXPIRED));
    html(r, "<form method=\"post\" action=\"/login\" autocomplete=\"off\">");
    html_csrf_field(r, web_pre_token(r));
    html(r,
         "<label>%s<input name=\"user\" autocapitalize=\"none\" autocomplete=\"username\" "
         "required maxlength=\"32\" autofocus></label>"
         "<label>%s<input name=\"password\" type=\"password\" "
         "autocomplete=\"current-password\" required maxlength=\"1024\"></label>"
         "<label>%s<input name=\"totp\" inputmode=\"numeric\" pattern=\"[0-9]{6}\" "
         "maxlength=\"6\" autocomplete=\"one-time-code\"></label>"
         "<button class=\"primary\" type=\"submit\">%s</button></form></section>",
         T(r, M_USER), T(r, M_PASSWORD), T(r, M_TOTP), T(r, M_LOGIN));
    html_page_end(r);
}

/* The record of this attempt; false (and a 503 page) when it cannot be written. */
static bool audit_login(struct web_req *r, const char *user, const char *result)
{
    struct cv_audit_event ev = {"login", result, user, r->addr, NULL, NULL};

    if (cv_audit_append(r->w->audit, &ev) == CV_OK)
        return true;
    log_error("audit log: %s", cv_errmsg());
    html_message_page(r, MHD_HTTP_SERVICE_UNAVAILABLE, M_ERROR, T(r, M_AUDIT_FAIL));
    return false;
}

static enum web_msg refusal_message(enum cv_login_result res)
{
    switch (res) {
    case CV_LOGIN_LOCKED:
    case CV_LOGIN_LOCKED_NOW:
        return M_LOGIN_LOCKED;
    case CV_LOGIN_DISABLED:
        return M_LOGIN_DISABLED;
    case CV_LOGIN_THROTTLED:
        return M_LOGIN_THROTTLED;
    default:
        return M_LOGIN_BAD;
    }
}

static void refuse(struct web_req *r, unsigned status, enum web_msg message)
{
    r->status = status;
    login_form(r, message);
}

static void login_post(struct web_req *r)
{
    const char *user = web_form_get(&r->form, "user");
    const char *pw = web_form_get(&r->form, "password");
    const char *code = web_form_get(&r->form, "totp");
    enum cv_login_result res = CV_LOGIN_BAD;
    enum cv_role role;
    char token[WEB_TOKEN_HEX];
    time_t now = cv_now();
    bool named, throttled;

    if (!web_csrf_ok(r, r->pre))
        return;
    throttled = web_throttle_wait(r->w->throttle, r->source, now) > 0;
    named = user && pw && cv_account_name_check(user) == CV_OK;
    if (throttled && (!code || !*code)) { /* only password + code can pass from here */
        web_throttle_fail(r->w->throttle, r->source, now);
        if (audit_login(r, named ? user : NULL, "throttled"))
            refuse(r, MHD_HTTP_TOO_MANY_REQUESTS, M_LOGIN_THROTTLED);
        return;
    }
    if (named) {
        struct cv_login in = {user, pw, code, r->source, throttled};

        if (cv_account_login(r->w->state_dir, &in, now, &res, &role) != CV_OK) {
            log_error("accounts: %s", cv_errmsg());
            html_message_page(r, MHD_HTTP_INTERNAL_SERVER_ERROR, M_ERROR, NULL);
            return;
        }
    }
    if (res != CV_LOGIN_OK) {
        web_throttle_fail(r->w->throttle, r->source, now);
        if (audit_login(r, named ? user : NULL, cv_login_result_name(res)))
            refuse(r,
                   res == CV_LOGIN_THROTTLED ? MHD_HTTP_TOO_MANY_REQUESTS : MHD_HTTP_UNAUTHORIZED,
                   refusal_message(res));
        return;
    }
    if (web_session_create(r->w->sessions, user, role, now, token) != CV_OK) {
        log_error("sessions: %s", cv_errmsg());
        if (audit_login(r, user, "no-session"))
            html_message_page(r, MHD_HTTP_SERVICE_UNAVAILABLE, M_ERROR, T(r, M_SESSIONS_FULL));
        return;
    }
    if (!audit_login(r, user, "ok")) { /* a login nobody can account for does not happen */
        web_session_end(r->w->sessions, token);
        sodium_memzero(token, sizeof(token));
        return;
    }
    web_add_cookie(r, SESSION_COOKIE, token, -1);
    sodium_memzero(token, sizeof(token));
    web_redirect(r, "/");
}

void web_page_login(struct web_req *r)
{
    if (r->post)
        login_post(r);
    else if (r->session_state == SESSION_OK)
        web_redirect(r, "/");
    else
        login_form(r, MSG_COUNT_);
}

void web_page_logout(struct web_req *r)
{
    if (!r->post) {
        html_page_begin(r, T(r, M_LOGOUT));
        html(r, "<h1>%s</h1><form method=\"post\" action=\"/logout\">", T(r, M_LOGOUT_ASK));
        html_csrf_field(r, r->session.csrf);
        html(r, "<button class=\"primary\" type=\"submit\">%s</button></form>", T(r, M_LOGOUT));
        html_page_end(r);
        return;
    }
    if (!web_csrf_ok(r, r->session.csrf))
        return;
    web_audit(r, "logout", "ok", NULL, NULL);
    web_session_end(r->w->sessions, r->token);
    web_add_cookie(r, SESSION_COOKIE, "", 0);
    r->session_state = SESSION_NONE;
    html_page_begin(r, T(r, M_LOGOUT));
    html(r, "<h1>%s</h1><p><a class=\"button primary\" href=\"/login\">%s</a></p>",
         T(r, M_LOGGED_OUT), T(r, M_LOGIN));
    html_page_end(r);
}

/* Only a path of this site: "/x", never "//host" or a scheme. */
static bool local_path(const char *p)
{
    return p && p[0] == '/' && p[1] != '/' && p[1] != '\\' && strlen(p) < 1000 &&
           !strpbrk(p, "\r\n");
}

void web_page_lang(struct web_req *r)
{
    const char *lang = web_form_get(&r->form, "lang");
    const char *back = web_form_get(&r->form, "back");

    if (!r->post) {
        html_message_page(r, MHD_HTTP_METHOD_NOT_ALLOWED, M_METHOD, NULL);
        return;
    }
    if (!web_csrf_ok(r, r->session_state == SESSION_OK ? r->session.csrf : r->pre))
        return;
    web_add_cookie(r, "cv_lang", lang && strcmp(lang, "en") == 0 ? "en" : "ja", 31536000);
    web_redirect(r, local_path(back) ? back : "/");
}
