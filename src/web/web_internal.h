/*
 * web_internal.h: what the files of src/web/ share and nothing else sees: the account
 * record, the per-request context, HTML output with escaping built in, sessions, the login
 * throttle, form decoding, translations and the page handlers.
 */
#ifndef CHARTVAULT_WEB_INTERNAL_H
#define CHARTVAULT_WEB_INTERNAL_H

#include <chartvault/index.h>
#include <chartvault/web.h>

#include <pthread.h>
#include <sodium.h>

/* ---- accounts file (accounts.c) ---------------------------------------------------------- */
struct account {
    char name[CV_ACCOUNT_NAME_MAX + 1];
    enum cv_role role;
    bool admin_lock;
    char totp[64]; /* base32, "" when none */
    int64_t totp_step;
    int64_t created;
    char hash[crypto_pwhash_STRBYTES];
};
enum cv_err web_account_line_parse(char *line, struct account *a);
enum cv_err web_accounts_parse(char *text, const char *path, struct account **out, size_t *count);
/* Argon2id verifications done by this process (every login attempt costs exactly one). */
unsigned long web_password_verifications(void);

/* ---- failed logins per name and source (lockout.c) --------------------------------------- */
#define WEB_SOURCE_MAX      64   /* an IPv4 address, an IPv6 /64 ("2001:db8:1:2::/64") */
#define WEB_LOCKOUT_ENTRIES 4096 /* name and source pairs kept; the stalest goes first */
struct lockout_entry {
    char name[CV_ACCOUNT_NAME_MAX + 1];
    char source[WEB_SOURCE_MAX];
    int64_t locked_until; /* 0 when not locked */
    int64_t fail[CV_LOCKOUT_FAILURES];
    int nfail;
};
struct lockout {
    char path[4096];
    struct lockout_entry *v;
    size_t n, cap;
};
/* Read STATE/lockout (missing: empty); a file others may read is refused. */
enum cv_err web_lockout_load(const char *state, struct lockout *l);
enum cv_err web_lockout_parse(char *text, struct lockout *l); /* text is modified */
enum cv_err web_lockout_save(const struct lockout *l);
void web_lockout_free(struct lockout *l);
void web_lockout_prune(struct lockout *l, time_t now);
/* The entry of `name` from `source`, made (evicting the stalest when full) if there is none;
 * NULL only for a name or source that cannot be kept. */
struct lockout_entry *web_lockout_get(struct lockout *l, const char *name, const char *source);
/* Record a failure at `now`; true when it locked the entry. */
bool web_lockout_fail(struct lockout_entry *e, time_t now);
/* Failures of `name` from every source within the window (a locked source counts as
 * CV_LOCKOUT_FAILURES), and the latest lock's end in *locked_until (0: none). */
int web_lockout_count(const struct lockout *l, const char *name, time_t *locked_until);
void web_lockout_forget(struct lockout *l, const char *name);

/* ---- forms and URLs (form.c) ------------------------------------------------------------- */
#define WEB_FORM_FIELDS 16
struct web_form {
    size_t n;
    const char *name[WEB_FORM_FIELDS];
    const char *value[WEB_FORM_FIELDS];
    char *storage;
};
/* Decode application/x-www-form-urlencoded (also a query string). CV_EPARSE on bad escapes,
 * invalid UTF-8, control characters or too many fields. Free with web_form_free(). */
enum cv_err web_form_parse(const char *s, size_t n, struct web_form *f);
const char *web_form_get(const struct web_form *f, const char *name);
void web_form_free(struct web_form *f);
/* Percent-encode everything but unreserved characters (for a path segment or a query). */
enum cv_err web_url_encode(struct cv_buf *b, const char *s);
/* A whole path: each segment percent-encoded, the slashes kept. */
enum cv_err web_url_path_encode(struct cv_buf *b, const char *path);

/* ---- translations (i18n.c) --------------------------------------------------------------- */
enum web_lang { LANG_JA, LANG_EN };
enum web_msg {
#define MSG(id, ja, en) id,
#include "messages.h"
#undef MSG
    MSG_COUNT_
};
const char *web_tr(enum web_lang lang, enum web_msg id);
/* Pick the language from Accept-Language: English only when it ranks above Japanese. */
enum web_lang web_lang_from_header(const char *accept_language);

/* ---- sessions (session.c) ---------------------------------------------------------------- */
#define WEB_SESSION_IDLE_SECS (30 * 60)
#define WEB_SESSION_MAX_SECS  (12 * 60 * 60)
#define WEB_TOKEN_HEX         65 /* 32 random bytes as hex + NUL */
#define WEB_SESSIONS_MAX      4096
#define WEB_SESSIONS_PER_USER 8 /* one person on a few devices; more is someone's script */

#define WEB_SNAPSHOT_NAME_MAX 80
struct web_session {
    char user[CV_ACCOUNT_NAME_MAX + 1];
    enum cv_role role;
    char csrf[WEB_TOKEN_HEX];
    char snapshot[WEB_SNAPSHOT_NAME_MAX]; /* an earlier snapshot shown instead, "" for live */
};
enum web_session_state { SESSION_NONE, SESSION_OK, SESSION_EXPIRED };
struct web_sessions;
enum cv_err web_sessions_new(struct web_sessions **out);
void web_sessions_free(struct web_sessions *s);
/* A new session for `user`; CV_EBUSY when the table is full of other accounts' sessions. */
enum cv_err web_session_create(struct web_sessions *s, const char *user, enum cv_role role,
                               time_t now, char token[WEB_TOKEN_HEX]);
/* Look up the token and mark it used at `now`; an idle or too old one is removed. */
enum web_session_state web_session_touch(struct web_sessions *s, const char *token, time_t now,
                                         struct web_session *out);
void web_session_end(struct web_sessions *s, const char *token);
/* Show this session an earlier snapshot ("" for the live data) from its next request on. */
void web_session_set_snapshot(struct web_sessions *s, const char *token, const char *name);
void web_sessions_expire(struct web_sessions *s, time_t now);
void web_random_hex(char out[WEB_TOKEN_HEX]);

/* ---- per-address login throttle (throttle.c) --------------------------------------------- */
#define WEB_THROTTLE_FAILURES 20 /* per address within the lockout window */
struct web_throttle;
enum cv_err web_throttle_new(struct web_throttle **out);
void web_throttle_free(struct web_throttle *t);
/* Seconds until `addr` may try again, 0 when it may try now. */
long web_throttle_wait(struct web_throttle *t, const char *addr, time_t now);
void web_throttle_fail(struct web_throttle *t, const char *addr, time_t now);

/* ---- connections (conn.c): an absolute deadline per request ------------------------------ */
struct web_conns;
enum cv_err web_conns_new(size_t max, unsigned deadline_secs, struct web_conns **out);
void web_conns_free(struct web_conns *c);
/* A connection opened on socket `fd`; *ctx is what libmicrohttpd keeps for it. */
void web_conns_started(struct web_conns *c, int fd, void **ctx, uint64_t now_ms);
/* An answer went out: the next request's deadline starts now. */
void web_conns_answered(struct web_conns *c, void *ctx, uint64_t now_ms);
void web_conns_closed(struct web_conns *c, void **ctx);
/* Shut down every connection past its deadline; how many. */
size_t web_conns_sweep(struct web_conns *c, uint64_t now_ms);

/* ---- TLS material (tls.c) ---------------------------------------------------------------- */
struct web_tls {
    char *cert_pem, *key_pem, *ca_pem;
    char fingerprint[100];
    bool made;
};
enum cv_err web_tls_load(const struct cv_web_config *cfg, struct web_tls *t);
void web_tls_free(struct web_tls *t);
/* Verify the peer certificate of a TLS session against the configured CA. */
bool web_tls_client_ok(void *gnutls_session);

/* ---- the request ------------------------------------------------------------------------- */
struct web_data; /* the index as this request sees it (data.c) */

struct web_req {
    struct cv_web *w;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    bool post;
    struct cv_buf body;
    struct web_form form;  /* POST body fields */
    struct web_form query; /* query string fields */
    char addr[64];
    char source[WEB_SOURCE_MAX]; /* addr, or its /64 for IPv6: what lockouts are kept by */
    enum web_lang lang;
    enum web_session_state session_state;
    struct web_session session;
    char token[WEB_TOKEN_HEX];
    char pre[WEB_TOKEN_HEX]; /* login-form CSRF token (cookie), before a session exists */
    /* response */
    unsigned status;
    struct cv_buf out;
    const char *content_type;
    char cookies[3][256];
    int ncookies;
    char location[1024];
    bool cacheable;     /* static assets only */
    char data_time[32]; /* for the footer */
    struct web_data *data;
    /* an earlier snapshot this session looks at (page_snapshot.c): its index and time */
    char snap_path[4096];
    long long snap_time;
    /* a file to send instead of `out` (page_packs.c); -1 when none */
    int file_fd;
    uint64_t file_size;
    char file_name[256];
};

/* The server's shared state (server.c). */
struct cv_web {
    struct cv_web_config cfg;
    char *db_path, *state_dir;
    struct MHD_Daemon *daemon;
    struct web_tls tls;
    struct web_sessions *sessions;
    struct web_throttle *throttle;
    struct web_conns *conns;
    struct cv_audit *audit;
    struct web_index *index;
};

/* ---- HTML output (html.c) ---------------------------------------------------------------- */
/* Append to the page. Every %s argument is HTML-escaped; the format itself must be a string
 * literal (enforced by the macro), so markup can only come from the program text. Supports
 * %s %d %ld %lld %u %zu %%. */
void html_printf_(struct web_req *r, const char *fmt, ...) CV_PRINTF(2, 3);
#define html(r, ...) html_printf_((r), "" __VA_ARGS__)
/* A translated text, escaped. */
void html_tr(struct web_req *r, enum web_msg id);
/* A URL path segment or query value, percent-encoded (and then escaped). */
void html_url(struct web_req *r, const char *s);
void html_page_begin(struct web_req *r, const char *title);
void html_page_end(struct web_req *r);
/* A whole small page with a heading and a message, with the status set. */
void html_message_page(struct web_req *r, unsigned status, enum web_msg title, const char *text);
/* The CSRF field of the session (or of the login form). */
void html_csrf_field(struct web_req *r, const char *token);
#define T(r, id) web_tr((r)->lang, (id))
/* "YYYY-MM-DDTHH:MM" as people write it, "YYYY-MM-DD HH:MM", in `buf`; "-" when absent. */
const char *web_when(const char *s, char buf[32]);

/* ---- handlers ---------------------------------------------------------------------------- */
void web_page_login(struct web_req *r);
void web_page_logout(struct web_req *r);
void web_page_lang(struct web_req *r);
void web_page_start(struct web_req *r);
void web_page_health(struct web_req *r);
void web_page_search(struct web_req *r);
void web_page_patient(struct web_req *r, const char *id, bool print);
void web_page_wards(struct web_req *r);
/* Earlier snapshots (page_snapshot.c): the list, the audited switch, the banner line. */
void web_page_snapshots(struct web_req *r);
void web_page_snapshot_switch(struct web_req *r);
void web_snapshot_attach(struct web_req *r);
void web_snapshot_banner(struct web_req *r);
bool web_role_sees_snapshots(enum cv_role role);
/* The daemon's downtime packs (page_packs.c): the list per ward, and one for download. */
void web_page_packs(struct web_req *r);
/* The admin page (page_admin.c): the report and status files for download, role admin only. */
void web_page_admin(struct web_req *r);
void web_page_admin_file(struct web_req *r, const char *name);
void web_page_pack_file(struct web_req *r, const char *name);
/* The ward of a pack's file name "ward-<escaped>.pdf" (the inverse of cv_print_file_name)
 * into `out` (n bytes); false for any other name, and for one that does not decode to
 * valid UTF-8 without NUL. */
bool web_pack_ward(const char *file, char *out, size_t n);
void web_page_ward(struct web_req *r, const char *ward, bool beds);
bool web_page_static(struct web_req *r, const char *name);
void web_search_form(struct web_req *r, const char *q);
bool web_patient_id_ok(const char *id);
const char *web_sex_text(struct web_req *r, const char *sex);
/* Whole years from a birth date "YYYY-MM-DD" to today (test clock), -1 when unknown. */
int web_age(const char *birth);
/* Each ward with its census and bed map buttons (page_ward.c). */
void web_ward_buttons(struct web_req *r);
void web_add_cookie(struct web_req *r, const char *name, const char *value, long max_age);
void web_redirect(struct web_req *r, const char *location);
/* The login-form token, made (and its cookie set) on first use. */
const char *web_pre_token(struct web_req *r);
/* Check the POSTed csrf field against `want`; on a mismatch answer 403 and return false. */
bool web_csrf_ok(struct web_req *r, const char *want);
/* After a page is made: one that could not be built whole (its buffer's sticky error) becomes a
 * 500 with the reason in the log (the route's name, never a patient ID). */
void web_page_check(struct web_req *r);
/* Append an audit record for this request; false (and a 503 page) when it cannot be
 * written, so nothing is shown that was not accounted for. */
bool web_audit(struct web_req *r, const char *event, const char *result, const char *patient,
               const char *detail);

/* ---- the index, as pages see it (data.c) -------------------------------------------------
 * One read snapshot per page (cv_index_snapshot_begin), and its data version for the
 * fragment cache (src/index/viewer_version.c). */

struct web_index;
enum cv_err web_index_new(const char *db_path, struct web_index **out);
void web_index_free(struct web_index *ix);
/* Attach the current index to the request (reopening it when the file was replaced). */
void web_data_attach(struct web_req *r);
void web_data_detach(struct web_req *r);
/* Data time and availability for the banner. */
bool web_data_available(struct web_req *r, const char **why);
bool web_data_time(struct web_req *r, time_t *t);
/* The thread's read-only index handle, or NULL when there is no data. */
struct cv_index *web_data_index(struct web_req *r);
/* After a query failed: drop the handle (reopened on a later request) and log why. */
void web_data_failed(struct web_req *r);
/* Rendered fragments of pages, per thread, valid for one version of the index's data (see
 * cv_index_snapshot_begin), one language and one day (ages, current medications).
 * web_cache_find finds the fragment for `key` (valid until this thread's next
 * web_cache_put); web_cache_put keeps r->out from `from` to its end. Call web_data_index()
 * first: the version is that of the request's snapshot. */
struct web_fragment {
    const char *title, *body;
    size_t n;
};
bool web_cache_find(struct web_req *r, const char *key, struct web_fragment *f);
void web_cache_put(struct web_req *r, const char *key, const char *title, size_t from);

#endif
