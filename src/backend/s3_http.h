/*
 * s3_http.h: one signed request to an S3 server (s3_http.c), for the S3 backend (s3.c). Any
 * number of threads may call at once: each call takes a libcurl handle (and so a kept-alive
 * connection) from a small pool.
 */
#ifndef CHARTVAULT_S3_HTTP_H
#define CHARTVAULT_S3_HTTP_H

#include "s3_int.h"

#include <chartvault/backend.h>

#include <curl/curl.h>
#include <pthread.h>

#define CV_S3_HANDLES_MAX 8 /* idle connections kept */

struct cv_s3_http {
    const struct cv_s3_loc *loc;
    const char *ca_file;
    char *userpwd; /* "ACCESS:SECRET", wiped on free */
    char sigv4[96];
    pthread_mutex_t lock; /* the pool */
    CURL *idle[CV_S3_HANDLES_MAX];
    size_t nidle;
    bool ready;
};

enum cv_err cv_s3_http_init(struct cv_s3_http *h, const struct cv_s3_loc *loc, const char *ca_file);
void cv_s3_http_free(struct cv_s3_http *h);

struct cv_s3_call {
    /* in */
    const char *method; /* GET PUT HEAD */
    const char *key;    /* object key under the bucket (prefix included), NULL = the bucket */
    const char *query;  /* canonical (cv_s3_query), or NULL */
    const void *body;   /* PUT body, or NULL */
    size_t body_len;
    const char *const *headers; /* extra "Name: value" lines */
    size_t nheaders;
    uint64_t range_off; /* with range_len: a ranged GET */
    size_t range_len;
    /* out: the body goes to `out` (capped by its max) or into dst[dst_cap] */
    struct cv_buf *out;
    void *dst;
    size_t dst_cap, dst_got;
    long status;
    char version_id[CV_S3_VID_MAX + 1];
    char error_code[64];
    int attempts;
    /* private */
    struct cv_buf err_body;
    bool too_big;
    CURL *curl_;
};

/* Do the request (retrying transient failures). A non-2xx answer is an error with a message
 * naming the bucket, the status and the server's code (also left in error_code). Thread-safe. */
enum cv_err cv_s3_call(struct cv_s3_http *h, struct cv_s3_call *c);

/* ---- shared by the backend (s3.c) and its removal half (remove_s3.c) ---------------------- */
extern const char *const cv_s3_kind_dirs[CV_OBJ_PRUNE + 1]; /* "keys", "packs", ... */
/* The key of an object under the bucket, prefix included ("p/packs/ab/ab..."). */
enum cv_err cv_s3_object_key(const struct cv_s3_loc *loc, enum cv_obj_kind kind, const char *name,
                             char *key, size_t n);
/* "ACCESS:SECRET" from o->credentials_file or the AWS_* variables; caller wipes and frees. */
enum cv_err cv_s3_credentials(const struct cv_backend_opts *o, char **userpwd);

#endif
