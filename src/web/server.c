/*
 * server.c: the viewer's HTTPS front: libmicrohttpd with GnuTLS (TLS 1.3, and 1.2 with
 * forward-secret AEAD suites only), a small pool of threads, bounded requests (URL, headers,
 * body, an absolute deadline from conn.c, a few connections per address), nothing but GET and
 * POST, the security headers on every answer, sessions from the cookie, and the routes.
 * Pages live in page_*.c.
 */
#include "web_internal.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define URL_MAX        2048
#define BODY_MAX       (16u << 10)
#define PAGE_MAX       (8u << 20)
#define CONN_MEMORY    (32u << 10)
#define CONN_MAX       1024
#define CONN_PER_ADDR  32 /* default: a ward behind one NAT, a few tablets, six connections each */
#define IDLE_SECS      10 /* between requests on a kept-alive connection */
#define REQUEST_SECS   30 /* default: opening (or the last answer) to the next answer */
#define SESSION_COOKIE "__Host-cv_session"
#define PRE_COOKIE     "__Host-cv_pre"
#define LANG_COOKIE    "cv_lang"
/* TLS 1.3; TLS 1.2 only with ECDHE and AEAD (AES-GCM, ChaCha20-Poly1305): no CBC, no SHA-1
 * MACs, no RSA key exchange */
#define TLS_PRIORITIES                                                                             \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:"            \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"
/* What an entry of the request head (header, cookie, query field) costs in libmicrohttpd's
 * per-connection memory beside its text; measured against 0.9.75 (docs/VIEWER.md). */
#define HEAD_ENTRY_COST 64
#define HEAD_BUDGET     (CONN_MEMORY / 4)

static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                          "base-uri 'none'";

struct req_state {
    struct web_req r;
    bool begun;      /* the first call of the handler has been made */
    bool too_large;  /* the body is over BODY_MAX */
    char *query;     /* the query string as sent (NULL: none), parsed here, never by MHD */
    bool query_long; /* the query string is over URL_MAX */
};

/* ---- answering ---------------------------------------------------------------------------- */

static void add_security_headers(struct MHD_Response *resp, const struct web_req *r)
{
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    MHD_add_response_header(resp, "Cache-Control",
                            r->cacheable ? "public, max-age=3600" : "no-store");
    if (!r->cacheable)
        MHD_add_response_header(resp, "Pragma", "no-cache");
}

/* A file (a downtime pack) instead of a page: libmicrohttpd reads and closes it. */
static struct MHD_Response *file_response(struct web_req *r)
{
    struct MHD_Response *resp = MHD_create_response_from_fd(r->file_size, r->file_fd);
    char disp[300];

    if (!resp)
        return NULL;
    r->file_fd = -1;
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", r->file_name);
    MHD_add_response_header(resp, "Content-Disposition", disp);
    return resp;
}

static enum MHD_Result send_response(struct web_req *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    size_t len = r->out.len;
    char *body = r->file_fd >= 0 ? NULL : cv_buf_steal(&r->out, &len);

    resp = r->file_fd >= 0 ? file_response(r)
                           : MHD_create_response_from_buffer_with_free_callback(
                                 len, body ? body : (char *)"", body ? cv_free : NULL);
    if (!resp) {
        cv_free(body);
        return MHD_NO;
    }
    add_security_headers(resp, r);
    MHD_add_response_header(resp, "Content-Type",
                            r->content_type ? r->content_type : "text/html; charset=utf-8");
    for (int i = 0; i < r->ncookies; i++)
        MHD_add_response_header(resp, "Set-Cookie", r->cookies[i]);
    if (r->location[0])
        MHD_add_response_header(resp, "Location", r->location);
    if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, "Allow", "GET, POST");
    ret = MHD_queue_response(r->conn, r->status ? r->status : MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

void web_add_cookie(struct web_req *r, const char *name, const char *value, long max_age)
{
    if (r->ncookies >= (int)CV_ARRAY_LEN(r->cookies))
        return;
    snprintf(r->cookies[r->ncookies++], sizeof(r->cookies[0]),
             "%s=%s; Path=/; Secure; HttpOnly; SameSite=Strict%s%.0ld", name, value,
             max_age >= 0 ? "; Max-Age=" : "", max_age >= 0 ? max_age : 0);
}

const char *web_pre_token(struct web_req *r)
{
    if (!r->pre[0]) {
        web_random_hex(r->pre);
        web_add_cookie(r, PRE_COOKIE, r->pre, -1);
    }
    return r->pre;
}

void web_redirect(struct web_req *r, const char *location)
{
    r->status = MHD_HTTP_SEE_OTHER;
    cv_strlcpy(r->location, location, sizeof(r->location));
    cv_buf_reset(&r->out);
    r->content_type = "text/plain; charset=utf-8";
}

bool web_csrf_ok(struct web_req *r, const char *want)
{
    const char *got = web_form_get(&r->form, "csrf");

    if (want && want[0] && got && strlen(got) == strlen(want) &&
        sodium_memcmp(got, want, strlen(want)) == 0)
        return true;
    html_message_page(r, MHD_HTTP_FORBIDDEN, M_FORBIDDEN, T(r, M_CSRF));
    return false;
}

bool web_audit(struct web_req *r, const char *event, const char *result, const char *patient,
               const char *detail)
{
    struct cv_audit_event ev = {
        event,   result,  r->session_state == SESSION_OK ? r->session.user : NULL,
        r->addr, patient, detail};

    if (cv_audit_append(r->w->audit, &ev) == CV_OK)
        return true;
    log_error("audit log: %s", cv_errmsg());
    html_message_page(r, MHD_HTTP_SERVICE_UNAVAILABLE, M_ERROR, T(r, M_AUDIT_FAIL));
    return false;
}

/* The route of `path` for the log: a fixed name, never a patient ID, ward or search text. */
static const char *route_label(const char *path)
{
    static const char *const names[] = {"/login",   "/logout",     "/lang",     "/health",
                                        "/search",  "/wards",      "/patient/", "/ward/",
                                        "/static/", "/favicon.ico"};

    if (strcmp(path, "/") == 0)
        return "/";
    for (size_t i = 0; i < CV_ARRAY_LEN(names); i++) {
        size_t n = strlen(names[i]);

        if (strncmp(path, names[i], n) == 0 &&
            (names[i][n - 1] == '/' || path[n] == '\0' || path[n] == '/'))
            return names[i];
    }
    return "(another path)";
}

void web_page_check(struct web_req *r)
{
    enum cv_err err = cv_buf_error(&r->out);

    if (!err)
        return;
    log_error("%s %s: the page could not be built whole (%s, page limit %zu bytes); answered "
              "500",
              r->method, route_label(r->path), cv_strerror(err), r->out.max);
    cv_buf_free(&r->out);
    cv_buf_init(&r->out, PAGE_MAX);
    r->cacheable = false;
    r->location[0] = '\0';
    html_message_page(r, MHD_HTTP_INTERNAL_SERVER_ERROR, M_ERROR, T(r, M_PAGE_INCOMPLETE));
}

/* ---- the request ------------------------------------------------------------------------- */

static void client_address(struct web_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    snprintf(r->addr, sizeof(r->addr), "?");
    snprintf(r->source, sizeof(r->source), "?");
    if (sa && sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->addr, sizeof(r->addr));
        cv_strlcpy(r->source, r->addr, sizeof(r->source));
    } else if (sa && sa->sa_family == AF_INET6) {
        struct in6_addr net = ((const struct sockaddr_in6 *)sa)->sin6_addr;
        char text[INET6_ADDRSTRLEN];

        inet_ntop(AF_INET6, &net, r->addr, sizeof(r->addr));
        if (IN6_IS_ADDR_V4MAPPED(&net)) { /* an IPv4 client on a dual-stack socket */
            inet_ntop(AF_INET, &net.s6_addr[12], r->source, sizeof(r->source));
            return;
        }
        /* one host holds a whole /64: lockouts and the throttle go by it */
        memset(&net.s6_addr[8], 0, 8);
        inet_ntop(AF_INET6, &net, text, sizeof(text));
        snprintf(r->source, sizeof(r->source), "%s/64", text);
    }
}

static bool hex_token(const char *s)
{
    if (!s || strlen(s) != WEB_TOKEN_HEX - 1)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* Language, session and the login-form token, from the cookies. */
static void read_cookies(struct web_req *r)
{
    const char *lang = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, LANG_COOKIE);
    const char *tok = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
    const char *pre = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, PRE_COOKIE);

    if (lang && (strcmp(lang, "en") == 0 || strcmp(lang, "ja") == 0))
        r->lang = lang[0] == 'e' ? LANG_EN : LANG_JA;
    else
        r->lang = web_lang_from_header(
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept-Language"));
    if (hex_token(tok)) {
        r->session_state = web_session_touch(r->w->sessions, tok, cv_now(), &r->session);
        if (r->session_state == SESSION_OK)
            cv_strlcpy(r->token, tok, sizeof(r->token));
    }
    if (hex_token(pre))
        cv_strlcpy(r->pre, pre, sizeof(r->pre));
}

static bool starts(const char *s, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);

    if (strncmp(s, prefix, n) != 0)
        return false;
    *rest = s + n;
    return true;
}

/* Routes that need a session. */
static void route_private(struct web_req *r)
{
    const char *rest;
    char seg[256];

    if (strcmp(r->path, "/") == 0)
        web_page_start(r);
    else if (strcmp(r->path, "/logout") == 0)
        web_page_logout(r);
    else if (strcmp(r->path, "/search") == 0)
        web_page_search(r);
    else if (strcmp(r->path, "/wards") == 0)
        web_page_wards(r);
    else if (strcmp(r->path, "/snapshots") == 0)
        web_page_snapshots(r);
    else if (strcmp(r->path, "/snapshot") == 0)
        web_page_snapshot_switch(r);
    else if (strcmp(r->path, "/packs") == 0)
        web_page_packs(r);
    else if (strcmp(r->path, "/admin") == 0)
        web_page_admin(r);
    else if (starts(r->path, "/admin/", &rest))
        web_page_admin_file(r, rest);
    else if (starts(r->path, "/packs/", &rest))
        web_page_pack_file(r, rest);
    else if (starts(r->path, "/patient/", &rest) || starts(r->path, "/ward/", &rest)) {
        const char *slash = strchr(rest, '/');
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
        bool patient = r->path[1] == 'p';

        if (n == 0 || n >= sizeof(seg)) {
            html_message_page(r, MHD_HTTP_NOT_FOUND, M_NOT_FOUND, r->path);
            return;
        }
        memcpy(seg, rest, n);
        seg[n] = '\0';
        if (!slash)
            patient ? web_page_patient(r, seg, false) : web_page_ward(r, seg, false);
        else if (patient && strcmp(slash, "/print") == 0)
            web_page_patient(r, seg, true);
        else if (!patient && strcmp(slash, "/beds") == 0)
            web_page_ward(r, seg, true);
        else
            html_message_page(r, MHD_HTTP_NOT_FOUND, M_NOT_FOUND, r->path);
    } else {
        html_message_page(r, MHD_HTTP_NOT_FOUND, M_NOT_FOUND, r->path);
    }
}

static bool client_certificate_ok(struct web_req *r)
{
    const union MHD_ConnectionInfo *ci;

    if (!r->w->cfg.client_ca)
        return true;
    ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    return ci && web_tls_client_ok(ci->tls_session);
}

static void route(struct web_req *r)
{
    const char *rest;

    if (!client_certificate_ok(r)) {
        html_message_page(r, MHD_HTTP_FORBIDDEN, M_FORBIDDEN,
                          "a client certificate signed by the configured CA is required");
        return;
    }
    read_cookies(r);
    if (starts(r->path, "/static/", &rest)) {
        if (!web_page_static(r, rest))
            html_message_page(r, MHD_HTTP_NOT_FOUND, M_NOT_FOUND, r->path);
        return;
    }
    if (strcmp(r->path, "/favicon.ico") == 0) {
        r->status = MHD_HTTP_NO_CONTENT; /* no icon: nothing to load, nothing to leak */
        r->cacheable = true;
        return;
    }
    web_snapshot_attach(r);
    web_data_attach(r);
    if (strcmp(r->path, "/health") == 0)
        web_page_health(r);
    else if (strcmp(r->path, "/login") == 0)
        web_page_login(r);
    else if (strcmp(r->path, "/lang") == 0)
        web_page_lang(r);
    else if (r->session_state == SESSION_OK)
        route_private(r);
    else if (r->post)
        html_message_page(r, MHD_HTTP_FORBIDDEN, M_FORBIDDEN, T(r, M_NEED_LOGIN));
    else
        web_redirect(r, r->session_state == SESSION_EXPIRED ? "/login?expired=1" : "/login");
}

static void handle(struct req_state *st)
{
    struct web_req *r = &st->r;

    if (st->too_large) {
        html_message_page(r, MHD_HTTP_CONTENT_TOO_LARGE, M_TOO_LARGE, NULL);
        return;
    }
    if (r->post && web_form_parse(r->body.data ? r->body.data : "", r->body.len, &r->form)) {
        html_message_page(r, MHD_HTTP_BAD_REQUEST, M_BAD_REQUEST, NULL);
        return;
    }
    if (st->query && web_form_parse(st->query, strlen(st->query), &r->query)) {
        html_message_page(r, MHD_HTTP_BAD_REQUEST, M_BAD_REQUEST, NULL);
        return;
    }
    route(r);
    web_page_check(r);
    web_data_detach(r);
}

/* What the head of a request takes in libmicrohttpd's per-connection memory. */
static enum MHD_Result weigh_entry(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    size_t *w = cls;
    (void)kind;

    *w += HEAD_ENTRY_COST + strlen(key) + (value ? strlen(value) : 0);
    return MHD_YES;
}

/* libmicrohttpd keeps every header, cookie and query field of a request in the connection's
 * memory, and one that fills it leaves no room to answer: the connection then hangs without
 * an answer until it times out (~250 query fields did it with 16 KiB). A head that weighs
 * more than a quarter of that memory is closed at once; browsers send a few hundred bytes. */
static bool head_fits(struct MHD_Connection *conn, const char *url)
{
    size_t w = strlen(url);

    MHD_get_connection_values(conn, MHD_HEADER_KIND | MHD_COOKIE_KIND | MHD_GET_ARGUMENT_KIND,
                              weigh_entry, &w);
    return w <= HEAD_BUDGET;
}

/* Called by libmicrohttpd with the request target as received, before it splits off the query
 * string (0.9.75, connection.c, parse_initial_message_line). The query is copied here and
 * parsed by web_form_parse (16 fields at most, fuzzed); libmicrohttpd is left an empty one.
 * Its own parser keeps every field in the connection's memory and, when they fill it (about
 * 250 fields), neither answers nor closes: ~300 query fields held a connection for 120 s. The
 * text is the connection's read buffer, so writing there is safe; if a later libmicrohttpd
 * parsed the query anyway, it is ignored here and the request deadline still holds. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct req_state *st = cv_calloc(1, sizeof(*st));
    char *q = strchr(uri, '?');
    (void)cls, (void)conn;

    if (!st || !q)
        return st;
    if (strlen(q + 1) > URL_MAX)
        st->query_long = true;
    else if (!(st->query = cv_strdup(q + 1)))
        st->query_long = true; /* out of memory: refused as too long rather than dropped */
    q[1] = '\0';               /* libmicrohttpd parses an empty query */
    return st;
}

/* The first call for a request: method, URL and declared size are checked before any body. */
static void request_begin(struct req_state *st, struct cv_web *w, struct MHD_Connection *conn,
                          const char *url, const char *method)
{
    struct web_req *r = &st->r;
    const char *clen;

    st->begun = true;
    r->w = w;
    r->conn = conn;
    r->method = method;
    r->path = url;
    r->post = strcmp(method, "POST") == 0;
    cv_buf_init(&r->body, BODY_MAX);
    cv_buf_init(&r->out, PAGE_MAX);
    r->file_fd = -1;
    client_address(r);
    r->lang = LANG_JA;
    if (!r->post && strcmp(method, "GET") != 0)
        r->status = MHD_HTTP_METHOD_NOT_ALLOWED;
    else if (strlen(url) > URL_MAX || st->query_long)
        r->status = MHD_HTTP_URI_TOO_LONG;
    else if (url[0] != '/' || !cv_utf8_valid(url, strlen(url)))
        r->status = MHD_HTTP_BAD_REQUEST;
    clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (!r->status && clen && strtoull(clen, NULL, 10) > BODY_MAX)
        r->status = MHD_HTTP_CONTENT_TOO_LARGE;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct req_state *st = *con_cls;
    (void)version;

    if (!st) /* on_uri ran out of memory */
        return MHD_NO;
    if (!st->begun) {
        if (!head_fits(conn, url)) {
            log_info("closed a connection whose request head would leave no room to answer");
            return MHD_NO;
        }
        request_begin(st, cls, conn, url, method);
        if (!st->r.status)
            return MHD_YES; /* wait for the body (or its absence) */
        html_message_page(&st->r, st->r.status,
                          st->r.status == MHD_HTTP_METHOD_NOT_ALLOWED ? M_METHOD
                          : st->r.status == MHD_HTTP_BAD_REQUEST      ? M_BAD_REQUEST
                                                                      : M_TOO_LARGE,
                          NULL);
        return send_response(&st->r);
    }
    if (st->r.status && *upload_data_size) { /* already answered: drop the rest */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!st->r.post || cv_buf_append(&st->r.body, upload_data, *upload_data_size))
            st->too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    handle(st);
    return send_response(&st->r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct cv_web *w = cls;
    struct req_state *st = *con_cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    (void)toe;

    if (ci)
        web_conns_answered(w->conns, ci->socket_context, cv_monotonic_ms());
    if (!st)
        return;
    web_data_detach(&st->r);
    if (st->r.file_fd >= 0)
        close(st->r.file_fd);
    if (st->r.body.data)
        sodium_memzero(st->r.body.data, st->r.body.len); /* may hold a password */
    cv_buf_free(&st->r.body);
    cv_buf_free(&st->r.out);
    web_form_free(&st->r.form);
    web_form_free(&st->r.query);
    cv_free(st->query);
    cv_free(st);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct cv_web *w = cls;
    const union MHD_ConnectionInfo *ci;

    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        web_conns_closed(w->conns, socket_context);
        return;
    }
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci)
        web_conns_started(w->conns, ci->connect_fd, socket_context, cv_monotonic_ms());
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_debug("libmicrohttpd: %s", msg);
}

/* ---- the daemon --------------------------------------------------------------------------- */

static enum cv_err parse_listen(const char *s, struct sockaddr_storage *ss, bool *v6)
{
    char host[128];
    const char *colon = strrchr(s, ':');
    long port;
    char *end;

    memset(ss, 0, sizeof(*ss));
    if (!colon || (size_t)(colon - s) >= sizeof(host))
        return cv_fail(CV_EINVAL, "--listen wants ADDR:PORT, not '%s'", s);
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 1 || port > 65535)
        return cv_fail(CV_EINVAL, "--listen: bad port in '%s'", s);
    *v6 = host[0] == '[';
    if (*v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        size_t n = strlen(host);

        if (n < 3 || host[n - 1] != ']')
            return cv_fail(CV_EINVAL, "--listen: bad address in '%s'", s);
        host[n - 1] = '\0';
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return cv_fail(CV_EINVAL, "--listen: bad address in '%s'", s);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;

        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            return cv_fail(CV_EINVAL, "--listen: bad address in '%s' (use a numeric address)", s);
    }
    return CV_OK;
}

static enum cv_err start_daemon(struct cv_web *w)
{
    struct sockaddr_storage ss;
    unsigned threads = w->cfg.threads;
    unsigned flags = MHD_USE_TLS | MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    struct MHD_OptionItem trust[] = {
        {w->tls.ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, w->tls.ca_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    bool v6 = false;
    enum cv_err err = parse_listen(w->cfg.listen, &ss, &v6);

    if (err)
        return err;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 && n < 64 ? (unsigned)n : 2;
    }
    if (v6)
        flags |= MHD_USE_IPv6;
    w->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_HTTPS_MEM_CERT, w->tls.cert_pem, MHD_OPTION_HTTPS_MEM_KEY, w->tls.key_pem,
        MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES, MHD_OPTION_ARRAY, trust,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, w->cfg.per_address, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)IDLE_SECS, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, w, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        w, MHD_OPTION_URI_LOG_CALLBACK, on_uri, w, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w,
        MHD_OPTION_END);
    if (!w->daemon)
        return cv_fail(CV_ENET, "cannot listen on %s (in use, or not an address of this host)",
                       w->cfg.listen);
    return CV_OK;
}

enum cv_err cv_web_start(const struct cv_web_config *cfg, struct cv_web **out, char **fingerprint,
                         bool *made_cert)
{
    struct cv_web *w;
    enum cv_err err;

    *out = NULL;
    *fingerprint = NULL;
    *made_cert = false;
    if (sodium_init() < 0)
        return cv_fail(CV_ECRYPTO, "libsodium failed to initialise");
    w = cv_calloc(1, sizeof(*w));
    if (!w)
        return cv_fail(CV_ENOMEM, "out of memory");
    w->cfg = *cfg;
    w->state_dir = cv_strdup(cfg->state_dir);
    w->db_path = cv_strdup(cfg->db_path);
    if (!w->state_dir || !w->db_path) {
        cv_web_stop(w);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    w->cfg.state_dir = w->state_dir;
    w->cfg.db_path = w->db_path;
    if (!w->cfg.listen)
        w->cfg.listen = "127.0.0.1:8443";
    if (w->cfg.stale_minutes <= 0)
        w->cfg.stale_minutes = 30;
    if (w->cfg.request_secs == 0)
        w->cfg.request_secs = REQUEST_SECS;
    if (w->cfg.per_address == 0 || w->cfg.per_address > CONN_MAX)
        w->cfg.per_address = CONN_PER_ADDR;
    err = cv_mkdir_p(cfg->state_dir, 0700);
    if (!err)
        err = web_tls_load(&w->cfg, &w->tls);
    if (!err)
        err = cv_audit_open(cfg->state_dir, &w->audit);
    if (!err)
        err = web_sessions_new(&w->sessions);
    if (!err)
        err = web_throttle_new(&w->throttle);
    if (!err)
        err = web_conns_new(CONN_MAX, w->cfg.request_secs, &w->conns);
    if (!err)
        err = web_index_new(cfg->db_path, &w->index);
    if (!err)
        err = start_daemon(w);
    if (!err && !(*fingerprint = cv_strdup(w->tls.fingerprint)))
        err = cv_fail(CV_ENOMEM, "out of memory");
    if (err) {
        cv_web_stop(w);
        return err;
    }
    *made_cert = w->tls.made;
    *out = w;
    return CV_OK;
}

void cv_web_tick(struct cv_web *w)
{
    size_t cut = web_conns_sweep(w->conns, cv_monotonic_ms());

    if (cut)
        log_info("closed %zu connection%s past the %u s a request may take", cut,
                 cut == 1 ? "" : "s", w->cfg.request_secs);
    if (cv_audit_sync(w->audit) != CV_OK)
        log_error("audit log: %s", cv_errmsg());
    web_sessions_expire(w->sessions, cv_now());
}

void cv_web_stop(struct cv_web *w)
{
    if (!w)
        return;
    if (w->daemon)
        MHD_stop_daemon(w->daemon);
    cv_audit_close(w->audit);
    web_sessions_free(w->sessions);
    web_throttle_free(w->throttle);
    web_conns_free(w->conns);
    web_index_free(w->index);
    web_tls_free(&w->tls);
    cv_free(w->state_dir);
    cv_free(w->db_path);
    cv_free(w);
}
