/*
 * s3_http.c: one signed S3 request, done right or reported plainly. libcurl signs it
 * (CURLOPT_AWS_SIGV4); what Debian 12's libcurl 7.88 leaves out we add: the payload's SHA-256
 * in x-amz-content-sha256 (curl issue 8810) and a canonical query string, sorted, encoded,
 * empty values written `key=` (curl issue 9717; built by cv_s3_query). The date is ours too
 * (x-amz-date from cv_now()), so a skewed clock can be tested. Transient failures (5xx, 429,
 * timeouts, resets) are retried with backoff a bounded number of times; every answer body is
 * capped; an error names the bucket, the HTTP status and the server's code.
 */
#include "s3_http.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TRIES            6
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS   4000
#define CONNECT_TIMEOUT  10L
#define STALL_SECONDS    30L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void global_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

enum cv_err cv_s3_http_init(struct cv_s3_http *h, const struct cv_s3_loc *loc, const char *ca_file)
{
    pthread_once(&curl_once, global_init);
    if (curl_init_rc != CURLE_OK || sodium_init() < 0)
        return cv_fail(CV_EIO, "cannot initialise libcurl or libsodium");
    h->loc = loc;
    h->ca_file = ca_file;
    h->nidle = 0;
    pthread_mutex_init(&h->lock, NULL);
    h->ready = true;
    snprintf(h->sigv4, sizeof(h->sigv4), "aws:amz:%s:s3", loc->region);
    return CV_OK;
}

void cv_s3_http_free(struct cv_s3_http *h)
{
    if (h->ready) {
        for (size_t i = 0; i < h->nidle; i++)
            curl_easy_cleanup(h->idle[i]);
        h->nidle = 0;
        pthread_mutex_destroy(&h->lock);
        h->ready = false;
    }
    if (h->userpwd) {
        sodium_memzero(h->userpwd, strlen(h->userpwd));
        cv_free(h->userpwd);
    }
    h->userpwd = NULL;
}

/* A handle for one call: an idle one (its connection is likely still open) or a new one. */
static CURL *handle_take(struct cv_s3_http *h)
{
    CURL *e = NULL;

    pthread_mutex_lock(&h->lock);
    if (h->nidle)
        e = h->idle[--h->nidle];
    pthread_mutex_unlock(&h->lock);
    return e ? e : curl_easy_init();
}

static void handle_give(struct cv_s3_http *h, CURL *e)
{
    pthread_mutex_lock(&h->lock);
    if (h->nidle < CV_S3_HANDLES_MAX) {
        h->idle[h->nidle++] = e;
        e = NULL;
    }
    pthread_mutex_unlock(&h->lock);
    if (e)
        curl_easy_cleanup(e);
}

/* ---- answers ------------------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct cv_s3_call *c = arg;
    size_t n = size * nmemb;
    long status = 0;

    curl_easy_getinfo(c->curl_, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300 || !c->dst) {
        struct cv_buf *b = status >= 300 ? &c->err_body : c->out;

        if (!b) /* an answer nobody asked for: read and drop, within the cap */
            b = &c->err_body;
        if (cv_buf_append(b, p, n) != CV_OK) {
            c->too_big = true;
            return 0;
        }
        return n;
    }
    if (n > c->dst_cap - c->dst_got) {
        c->too_big = true;
        return 0;
    }
    memcpy((char *)c->dst + c->dst_got, p, n);
    c->dst_got += n;
    return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    struct cv_s3_call *c = arg;
    size_t n = size * nmemb, vl;
    const char *v;

    if (n > 18 && strncasecmp(p, "x-amz-version-id:", 17) == 0) {
        v = p + 17;
        vl = n - 17;
        while (vl && (*v == ' ' || *v == '\t'))
            v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        if (vl < sizeof(c->version_id)) {
            memcpy(c->version_id, v, vl);
            c->version_id[vl] = '\0';
        }
    }
    return n;
}

/* ---- the request ------------------------------------------------------------------------- */

static enum cv_err build_url(const struct cv_s3_http *h, const struct cv_s3_call *c,
                             struct cv_buf *url)
{
    const struct cv_s3_loc *l = h->loc;
    const char *scheme_end = strstr(l->endpoint, "://");
    enum cv_err err;

    if (l->virtual_host)
        err = cv_buf_printf(url, "%.*s%s.%s/", (int)(scheme_end + 3 - l->endpoint), l->endpoint,
                            l->bucket, l->host);
    else
        err = cv_buf_printf(url, "%s/%s%s", l->endpoint, l->bucket, c->key ? "/" : "");
    if (!err && c->key)
        err = cv_s3_encode(url, c->key, true);
    if (!err && c->query && *c->query)
        err = cv_buf_printf(url, "?%s", c->query);
    return err;
}

static enum cv_err add_header(struct curl_slist **list, const char *fmt, ...) CV_PRINTF(2, 3);
static enum cv_err add_header(struct curl_slist **list, const char *fmt, ...)
{
    char line[512];
    struct curl_slist *n;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    n = curl_slist_append(*list, line);
    if (!n)
        return cv_fail(CV_ENOMEM, "out of memory");
    *list = n;
    return CV_OK;
}

static enum cv_err build_headers(const struct cv_s3_call *c, struct curl_slist **list)
{
    uint8_t sha[crypto_hash_sha256_BYTES];
    char hex[2 * sizeof(sha) + 1], date[32];
    time_t now = cv_now();
    struct tm tm;
    enum cv_err err;

    crypto_hash_sha256(sha, c->body ? c->body : (const void *)"", c->body_len);
    cv_hex_encode(sha, sizeof(sha), hex);
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm);
    err = add_header(list, "x-amz-content-sha256: %s", hex);
    if (!err)
        err = add_header(list, "x-amz-date: %s", date);
    if (!err && c->body) /* not the form encoding libcurl would declare for POSTFIELDS */
        err = add_header(list, "Content-Type: application/octet-stream");
    for (size_t i = 0; !err && i < c->nheaders; i++)
        err = add_header(list, "%s", c->headers[i]);
    if (!err && c->range_len)
        err = add_header(list, "Range: bytes=%llu-%llu", (unsigned long long)c->range_off,
                         (unsigned long long)(c->range_off + c->range_len - 1));
    return err;
}

static void setup(struct cv_s3_http *h, struct cv_s3_call *c, const char *url,
                  struct curl_slist *headers)
{
    CURL *e = c->curl_;

    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, STALL_SECONDS);
    curl_easy_setopt(e, CURLOPT_AWS_SIGV4, h->sigv4);
    curl_easy_setopt(e, CURLOPT_USERPWD, h->userpwd);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    if (h->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
    if (strcmp(c->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (c->body) {
        /* POSTFIELDS, so that libcurl hashes the same bytes we declared */
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
    } else if (strcmp(c->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
    }
}

static bool transient_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

static void backoff(int attempt)
{
    long ms = BACKOFF_FIRST_MS << attempt;
    struct timespec ts;

    if (ms > BACKOFF_MAX_MS)
        ms = BACKOFF_MAX_MS;
    ms = ms / 2 + (long)randombytes_uniform((uint32_t)(ms / 2 + 1)); /* jitter */
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* The error for an answer that is not 2xx, from its status and <Error><Code>. */
static enum cv_err http_error(const struct cv_s3_http *h, struct cv_s3_call *c)
{
    const char *b = h->loc->bucket, *what = c->key ? c->key : "";
    char code[64], msg[200];
    long st = c->status;

    if (cv_s3_parse_error(cv_buf_str(&c->err_body), c->err_body.len, code, sizeof(code), msg,
                          sizeof(msg)) != CV_OK)
        code[0] = msg[0] = '\0';
    cv_strlcpy(c->error_code, code, sizeof(c->error_code));
    if (strcmp(code, "RequestTimeTooSkewed") == 0)
        return cv_fail(CV_EAUTH,
                       "bucket '%s': the server refused the request because this host's clock "
                       "differs from the server's by too much (HTTP 403 RequestTimeTooSkewed); "
                       "set the clock (NTP)",
                       b);
    if (strcmp(code, "InvalidAccessKeyId") == 0 || strcmp(code, "SignatureDoesNotMatch") == 0)
        return cv_fail(CV_EAUTH,
                       "bucket '%s': the server refused the credentials (HTTP %ld %s); check the "
                       "access key and secret",
                       b, st, code);
    if (strcmp(code, "QuotaExceeded") == 0 || strcmp(code, "InsufficientStorage") == 0 || st == 507)
        return cv_fail(CV_ENOSPC, "bucket '%s' is full (HTTP %ld %s)", b, st, code);
    if (st == 404 && strcmp(code, "NoSuchBucket") == 0)
        return cv_fail(CV_ENOENT, "bucket '%s' does not exist on %s (HTTP 404 NoSuchBucket)", b,
                       h->loc->endpoint);
    if (st == 404)
        return cv_fail(CV_ENOENT, "bucket '%s': '%s' does not exist (HTTP 404%s%s)", b, what,
                       code[0] ? " " : "", code);
    if (st == 403)
        return cv_fail(CV_EPERM, "bucket '%s': access denied to '%s' (HTTP 403%s%s%s%s)", b, what,
                       code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
    if (st == 409)
        return cv_fail(CV_EEXIST, "bucket '%s': conflict on '%s' (HTTP 409%s%s)", b, what,
                       code[0] ? " " : "", code);
    return cv_fail(st >= 500 ? CV_ENET : CV_EIO, "bucket '%s': %s '%s' failed (HTTP %ld%s%s%s%s)",
                   b, c->method, what, st, code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
}

static enum cv_err perform_once(struct cv_s3_http *h, struct cv_s3_call *c, const char *url,
                                struct curl_slist *headers, bool *retry)
{
    CURLcode rc;

    *retry = false;
    cv_buf_reset(&c->err_body);
    if (c->out)
        cv_buf_reset(c->out);
    c->dst_got = 0;
    c->too_big = false;
    c->version_id[0] = '\0';
    c->status = 0;
    setup(h, c, url, headers);
    rc = curl_easy_perform(c->curl_);
    curl_easy_getinfo(c->curl_, CURLINFO_RESPONSE_CODE, &c->status);
    if (rc == CURLE_WRITE_ERROR && c->too_big)
        return cv_fail(CV_ETOOBIG, "bucket '%s': the answer to %s '%s' is larger than allowed",
                       h->loc->bucket, c->method, c->key ? c->key : "");
    if (rc != CURLE_OK) {
        *retry = transient_curl(rc);
        return cv_fail(CV_ENET, "bucket '%s' on %s: %s", h->loc->bucket, h->loc->endpoint,
                       curl_easy_strerror(rc));
    }
    if (c->status >= 200 && c->status < 300)
        return CV_OK;
    if (c->status == 416 && c->dst) /* a range past the end: nothing there */
        return CV_OK;
    *retry = c->status >= 500 || c->status == 429;
    return http_error(h, c);
}

enum cv_err cv_s3_call(struct cv_s3_http *h, struct cv_s3_call *c)
{
    struct cv_buf url = CV_BUF_INIT(8192);
    struct curl_slist *headers = NULL;
    enum cv_err err;
    bool retry = false;

    cv_buf_init(&c->err_body, 64u << 10);
    c->curl_ = handle_take(h);
    err = c->curl_ ? CV_OK : cv_fail(CV_ENOMEM, "cannot make a libcurl handle");
    if (!err)
        err = build_url(h, c, &url);
    if (!err)
        err = build_headers(c, &headers);
    for (int attempt = 0; !err; attempt++) {
        if (attempt > 0)
            backoff(attempt - 1);
        err = perform_once(h, c, cv_buf_str(&url), headers, &retry);
        c->attempts = attempt + 1;
        if (!err || !retry || attempt + 1 == TRIES)
            break;
        err = CV_OK; /* transient: try again */
    }
    if (err && c->attempts > 1)
        cv_fail_prefix(err, "after %d tries: ", c->attempts);
    if (c->curl_) {
        curl_easy_reset(c->curl_); /* drops our pointers to this call; keeps the connection */
        handle_give(h, c->curl_);
        c->curl_ = NULL;
    }
    curl_slist_free_all(headers);
    cv_buf_free(&url);
    cv_buf_free(&c->err_body);
    return err;
}
