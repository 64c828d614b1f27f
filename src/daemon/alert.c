/*
 * alert.c: delivers alerts to syslog, a mailbox (libcurl SMTP) and a webhook (libcurl HTTP POST
 * of JSON, with a "text" member so Slack/Mattermost-style receivers show it as is). A table of
 * recent keys holds, per channel, when each condition last got through, which is how a lasting
 * condition is repeated only every [alerts] repeat while a failed delivery is retried at once.
 */
#include "alert.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#define MAX_KEYS       64
#define KEY_LEN        64
#define TEXT_LEN       400
#define BURST_PER_MIN  20
#define CURL_TIMEOUT_S 15L

enum channel { CH_LOG, CH_SYSLOG, CH_MAIL, CH_WEBHOOK, CH_COUNT };

struct key_state {
    char key[KEY_LEN];
    bool active;
    time_t sent[CH_COUNT]; /* last successful delivery, 0 = never */
};

struct cv_alerter {
    pthread_mutex_t lock;
    bool syslog_on;
    char *smtp_url, *smtp_user, *smtp_password, *mail_from, *webhook;
    struct curl_slist *rcpt;
    char *to_header;
    char host[128];
    long repeat;
    struct key_state keys[MAX_KEYS];
    time_t burst_start;
    unsigned burst_count;
    struct cv_alert_counters counters;
};

static const char *sev_name(enum cv_alert_severity sev)
{
    return sev == CV_ALERT_CRIT ? "CRITICAL" : sev == CV_ALERT_WARN ? "WARNING" : "resolved";
}

static enum cv_err read_secret(const char *path, char **out)
{
    struct cv_buf b = CV_BUF_INIT(1024);
    enum cv_err err = cv_buf_read_file(&b, path);

    *out = NULL;
    if (!err) {
        b.data[strcspn(b.data, "\r\n")] = '\0';
        *out = cv_strdup(b.data);
        if (!*out)
            err = cv_fail(CV_ENOMEM, "out of memory");
    }
    if (b.data)
        sodium_memzero(b.data, b.cap);
    cv_buf_free(&b);
    return err;
}

static enum cv_err copy_channels(struct cv_alerter *a, const struct cv_config *cfg)
{
    struct cv_buf to = CV_BUF_INIT(4096);

    if (cfg->smtp_url) {
        a->smtp_url = cv_strdup(cfg->smtp_url);
        a->mail_from = cv_strdup(cfg->mail_from);
        if (!a->smtp_url || !a->mail_from)
            return cv_fail(CV_ENOMEM, "out of memory");
        for (size_t i = 0; i < cfg->nmail_to; i++) {
            struct curl_slist *n = curl_slist_append(a->rcpt, cfg->mail_to[i]);

            if (!n || cv_buf_printf(&to, "%s%s", i ? ", " : "", cfg->mail_to[i]))
                return cv_fail(CV_ENOMEM, "out of memory");
            a->rcpt = n;
        }
        a->to_header = cv_buf_steal(&to, NULL);
    }
    if (cfg->smtp_user && !(a->smtp_user = cv_strdup(cfg->smtp_user)))
        return cv_fail(CV_ENOMEM, "out of memory");
    if (cfg->smtp_password_file) {
        enum cv_err err = read_secret(cfg->smtp_password_file, &a->smtp_password);

        if (err)
            return err;
    }
    if (cfg->webhook && !(a->webhook = cv_strdup(cfg->webhook)))
        return cv_fail(CV_ENOMEM, "out of memory");
    return CV_OK;
}

enum cv_err cv_alerter_open(struct cv_alerter **out, const struct cv_config *cfg,
                            const char *hostname)
{
    struct cv_alerter *a = cv_calloc(1, sizeof(*a));
    enum cv_err err;

    *out = NULL;
    if (!a)
        return cv_fail(CV_ENOMEM, "out of memory");
    if (sodium_init() < 0) {
        cv_free(a);
        return cv_fail(CV_ECRYPTO, "cannot initialise libsodium");
    }
    pthread_mutex_init(&a->lock, NULL);
    a->syslog_on = cfg->alert_syslog;
    a->repeat = cfg->alert_repeat;
    cv_strlcpy(a->host, hostname, sizeof(a->host));
    if ((cfg->smtp_url || cfg->webhook) && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        cv_alerter_free(a);
        return cv_fail(CV_ENET, "cannot initialise libcurl");
    }
    err = copy_channels(a, cfg);
    if (err) {
        cv_alerter_free(a);
        return err;
    }
    if (a->syslog_on)
        openlog("chartvault", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    *out = a;
    return CV_OK;
}

void cv_alerter_free(struct cv_alerter *a)
{
    if (!a)
        return;
    if (a->syslog_on)
        closelog();
    if (a->smtp_password) {
        sodium_memzero(a->smtp_password, strlen(a->smtp_password));
        cv_free(a->smtp_password);
    }
    cv_free(a->smtp_url);
    cv_free(a->smtp_user);
    cv_free(a->mail_from);
    cv_free(a->to_header);
    cv_free(a->webhook);
    curl_slist_free_all(a->rcpt);
    pthread_mutex_destroy(&a->lock);
    cv_free(a);
}

/* ---- channels ------------------------------------------------------------------------- */

struct upload {
    const char *p;
    size_t left;
};

static size_t read_upload(char *dst, size_t size, size_t nmemb, void *arg)
{
    struct upload *u = arg;
    size_t n = size * nmemb < u->left ? size * nmemb : u->left;

    memcpy(dst, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

static size_t discard(char *p, size_t size, size_t nmemb, void *arg)
{
    (void)p;
    (void)arg;
    return size * nmemb;
}

/* A Subject header: plain when ASCII, RFC 2047 base64 otherwise. */
static enum cv_err put_subject(struct cv_buf *b, const char *subject)
{
    char b64[1024];
    bool ascii = true;

    for (const char *p = subject; *p; p++)
        ascii &= (unsigned char)*p < 0x80;
    if (ascii)
        return cv_buf_printf(b, "Subject: %s\r\n", subject);
    if (strlen(subject) > 600)
        return cv_buf_printf(b, "Subject: [chartvault] alert\r\n");
    sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)subject, strlen(subject),
                      sodium_base64_VARIANT_ORIGINAL);
    return cv_buf_printf(b, "Subject: =?UTF-8?B?%s?=\r\n", b64);
}

static bool send_mail(struct cv_alerter *a, const char *subject, const char *body)
{
    struct cv_buf msg = CV_BUF_INIT(16384);
    char date[64], msgid[192];
    time_t now = cv_now();
    struct upload up;
    struct tm tm;
    CURLcode rc = CURLE_OUT_OF_MEMORY;
    CURL *c;

    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
    if ((size_t)snprintf(msgid, sizeof(msgid), "<%lld.%08x@%s>", (long long)now,
                         randombytes_random(), a->host) >= sizeof(msgid))
        return cv_fail(CV_ETOOBIG, "mail: the host name is too long for a Message-ID");
    if (cv_buf_printf(&msg, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nMessage-ID: %s\r\n", date,
                      a->mail_from, a->to_header, msgid) ||
        put_subject(&msg, subject) ||
        cv_buf_printf(&msg,
                      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                      "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
                      body))
        goto out_free;
    up = (struct upload){msg.data, msg.len};
    c = curl_easy_init();
    if (!c)
        goto out_free;
    curl_easy_setopt(c, CURLOPT_URL, a->smtp_url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, a->mail_from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, a->rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, CURL_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (a->smtp_user)
        curl_easy_setopt(c, CURLOPT_USERNAME, a->smtp_user);
    if (a->smtp_password)
        curl_easy_setopt(c, CURLOPT_PASSWORD, a->smtp_password);
    rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        cv_log(CV_LOG_ERROR, __func__, "alert mail to %s failed: %s", a->to_header,
               curl_easy_strerror(rc));
out_free:
    cv_buf_free(&msg);
    return rc == CURLE_OK;
}

static bool send_webhook(struct cv_alerter *a, enum cv_alert_severity sev, const char *key,
                         const char *state, const char *subject, const char *text)
{
    struct cv_buf body = CV_BUF_INIT(16384);
    struct curl_slist *hdr = NULL;
    char when[40];
    struct cv_json j;
    CURLcode rc = CURLE_OUT_OF_MEMORY;
    long http = 0;
    CURL *c;

    cv_time_format_iso(cv_now(), when, sizeof(when));
    cv_json_init(&j, &body, false);
    cv_json_object_begin(&j);
    cv_json_kv_string(&j, "text", subject);
    cv_json_kv_string(&j, "severity",
                      sev == CV_ALERT_CRIT   ? "critical"
                      : sev == CV_ALERT_WARN ? "warning"
                                             : "info");
    cv_json_kv_string(&j, "state", state);
    cv_json_kv_string(&j, "key", key);
    cv_json_kv_string(&j, "message", text);
    cv_json_kv_string(&j, "host", a->host);
    cv_json_kv_string(&j, "time", when);
    cv_json_object_end(&j);
    if (cv_json_finish(&j) || !(hdr = curl_slist_append(NULL, "Content-Type: application/json")))
        goto out_free;
    c = curl_easy_init();
    if (!c)
        goto out_free;
    curl_easy_setopt(c, CURLOPT_URL, a->webhook);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body.len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, CURL_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        cv_log(CV_LOG_ERROR, __func__, "alert webhook failed: %s", curl_easy_strerror(rc));
    else if (http < 200 || http > 299)
        cv_log(CV_LOG_ERROR, __func__, "alert webhook answered HTTP %ld", http);
out_free:
    curl_slist_free_all(hdr);
    cv_buf_free(&body);
    return rc == CURLE_OK && http >= 200 && http <= 299;
}

/* ---- rate limiting ---------------------------------------------------------------------- */

static struct key_state *find_key(struct cv_alerter *a, const char *key, bool create)
{
    struct key_state *free_slot = NULL;

    for (size_t i = 0; i < MAX_KEYS; i++) {
        if (strcmp(a->keys[i].key, key) == 0)
            return &a->keys[i];
        if (!free_slot && !a->keys[i].active)
            free_slot = &a->keys[i];
    }
    if (!create || !free_slot)
        return NULL;
    memset(free_slot, 0, sizeof(*free_slot));
    cv_strlcpy(free_slot->key, key, sizeof(free_slot->key));
    return free_slot;
}

/* Mail and webhook are bounded to a burst per minute; syslog always gets the line. */
static bool burst_allows(struct cv_alerter *a, time_t now)
{
    if (now - a->burst_start >= 60) {
        a->burst_start = now;
        a->burst_count = 0;
    }
    return a->burst_count++ < BURST_PER_MIN;
}

static void sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}

static void deliver(struct cv_alerter *a, struct key_state *k, enum cv_alert_severity sev,
                    const char *state, const char *text, bool force)
{
    static const int prio[] = {LOG_NOTICE, LOG_WARNING, LOG_CRIT};
    time_t now = cv_now();
    char subject[TEXT_LEN + 160];
    bool due[CH_COUNT], any = false;
    const bool enabled[CH_COUNT] = {true, a->syslog_on, a->smtp_url != NULL, a->webhook != NULL};

    for (int ch = 0; ch < CH_COUNT; ch++) {
        due[ch] = enabled[ch] && (force || !k->sent[ch] || now - k->sent[ch] >= a->repeat);
        any |= due[ch];
    }
    if (!any)
        return;
    a->counters.raised++;
    snprintf(subject, sizeof(subject), "[chartvault] %s on %s: %s", sev_name(sev), a->host, text);
    if (due[CH_LOG]) {
        cv_log(sev == CV_ALERT_CRIT   ? CV_LOG_CRIT
               : sev == CV_ALERT_WARN ? CV_LOG_WARN
                                      : CV_LOG_INFO,
               "alert", "%s: %s", k->key, text);
        k->sent[CH_LOG] = now;
    }
    if (due[CH_SYSLOG]) {
        syslog(prio[sev], "%s: %s (%s)", sev_name(sev), text, k->key);
        k->sent[CH_SYSLOG] = now;
        a->counters.syslog_sent++;
    }
    if (due[CH_MAIL] || due[CH_WEBHOOK]) {
        if (!burst_allows(a, now)) {
            a->counters.suppressed++;
            return;
        }
    }
    if (due[CH_MAIL]) {
        char body[TEXT_LEN + 512];

        snprintf(body, sizeof(body),
                 "%s\r\n\r\nhost: %s\r\ncondition: %s (%s)\r\n\r\n"
                 "Run 'chartvault status --config FILE' on the host for the whole picture.",
                 text, a->host, k->key, state);
        if (send_mail(a, subject, body)) {
            k->sent[CH_MAIL] = now;
            a->counters.mail_sent++;
        } else {
            a->counters.mail_failed++;
        }
    }
    if (due[CH_WEBHOOK]) {
        if (send_webhook(a, sev, k->key, state, subject, text)) {
            k->sent[CH_WEBHOOK] = now;
            a->counters.webhook_sent++;
        } else {
            a->counters.webhook_failed++;
        }
    }
}

void cv_alert_raise(struct cv_alerter *a, enum cv_alert_severity sev, const char *key,
                    const char *fmt, ...)
{
    char text[TEXT_LEN];
    struct key_state *k;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    sanitize(text);
    cv_redact(text, sizeof(text));
    pthread_mutex_lock(&a->lock);
    k = find_key(a, key, true);
    if (k) {
        k->active = true;
        deliver(a, k, sev, "raised", text, false);
    } else {
        cv_log(CV_LOG_CRIT, "alert", "%s: %s (alert table full)", key, text);
    }
    pthread_mutex_unlock(&a->lock);
}

void cv_alert_clear(struct cv_alerter *a, const char *key, const char *fmt, ...)
{
    char text[TEXT_LEN];
    struct key_state *k;
    va_list ap;

    pthread_mutex_lock(&a->lock);
    k = find_key(a, key, false);
    if (k && k->active) {
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        sanitize(text);
        cv_redact(text, sizeof(text));
        k->active = false;
        deliver(a, k, CV_ALERT_INFO, "resolved", text, true);
        memset(k, 0, sizeof(*k));
    }
    pthread_mutex_unlock(&a->lock);
}

bool cv_alert_active(struct cv_alerter *a, const char *key)
{
    struct key_state *k;
    bool active;

    pthread_mutex_lock(&a->lock);
    k = find_key(a, key, false);
    active = k && k->active;
    pthread_mutex_unlock(&a->lock);
    return active;
}

void cv_alerter_counters(struct cv_alerter *a, struct cv_alert_counters *out)
{
    pthread_mutex_lock(&a->lock);
    *out = a->counters;
    pthread_mutex_unlock(&a->lock);
}
