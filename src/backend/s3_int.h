/*
 * s3_int.h: the pieces of the S3 backend that can be tested and fuzzed without a server:
 * parsing a location, the strict XML reader for the server's answers (listings, errors, lock
 * and versioning settings), and the query-string canonicalisation that Signature V4 needs.
 */
#ifndef CHARTVAULT_S3_INT_H
#define CHARTVAULT_S3_INT_H

#include <chartvault/common.h>

#define CV_S3_XML_MAX   (1u << 20) /* any answer body we parse */
#define CV_S3_KEY_MAX   1024u      /* S3's own limit on a key */
#define CV_S3_VID_MAX   256u       /* version IDs */
#define CV_S3_XML_DEPTH 16

/* ---- locations: s3:http[s]://host[:port]/bucket[/prefix][?region=R&style=virtual|path] ---- */
struct cv_s3_loc {
    char endpoint[512]; /* "https://host:port" */
    char host[256];     /* "host:port" as in the URL */
    char bucket[64];
    char prefix[512]; /* "" or "a/b/" (always ends with '/') */
    char region[64];  /* default us-east-1, or $AWS_REGION / $AWS_DEFAULT_REGION */
    bool virtual_host;
};
enum cv_err cv_s3_loc_parse(const char *location, struct cv_s3_loc *out);

/* ---- XML ------------------------------------------------------------------------------------
 * A strict, bounded reader of the small XML documents S3 answers with: elements, attributes
 * (skipped), character data with the five named and numeric references, comments and one
 * leading <?xml?> declaration. No DTD, no entities of its own, no CDATA: those are refused,
 * never expanded. `fn` is called at the end of every element with the names of the open
 * elements (stack[0] is the root, stack[depth-1] the element ending) and its text (empty for
 * an element that held elements). A non-zero return stops the parse and is returned. */
typedef enum cv_err (*cv_xml_fn)(void *arg, const char *const *stack, int depth, const char *text,
                                 size_t len);
enum cv_err cv_xml_parse(const char *p, size_t n, cv_xml_fn fn, void *arg);

/* One entry of a ListObjectVersions answer. */
struct cv_s3_version {
    char key[CV_S3_KEY_MAX + 1];
    char version_id[CV_S3_VID_MAX + 1];
    uint64_t size;
    int64_t modified; /* LastModified, seconds since the epoch (0: not given) */
    bool delete_marker;
    bool is_latest;
};
typedef enum cv_err (*cv_s3_version_fn)(void *arg, const struct cv_s3_version *v);

struct cv_s3_page {
    bool truncated;
    char next_key[CV_S3_KEY_MAX + 1];
    char next_version[CV_S3_VID_MAX + 1];
    uint64_t entries;
};
/* Parse a ListVersionsResult; fn is called for each Version and DeleteMarker in order. */
enum cv_err cv_s3_parse_versions(const char *p, size_t n, cv_s3_version_fn fn, void *arg,
                                 struct cv_s3_page *page);
/* The Code and Message of an <Error> document ("" when absent). CV_EPARSE when it is none. */
enum cv_err cv_s3_parse_error(const char *p, size_t n, char *code, size_t code_n, char *msg,
                              size_t msg_n);
/* The text of the first element named `name` at any depth ("" and CV_ENOENT when absent). */
enum cv_err cv_s3_parse_value(const char *p, size_t n, const char *name, char *out, size_t out_n);
/* "2026-12-07T19:58:26Z" or with fractions ".794Z" -> seconds since the epoch (UTC). */
enum cv_err cv_s3_parse_time(const char *s, int64_t *out);
void cv_s3_format_time(int64_t t, char *buf, size_t n); /* "YYYY-MM-DDTHH:MM:SSZ", n >= 21 */

/* ---- Signature V4 needs ------------------------------------------------------------------- */
struct cv_s3_param {
    const char *key, *value; /* value NULL or "" is written as "key=" */
};
/* Sort by key and write "k1=v1&k2=" percent-encoded (RFC 3986 unreserved kept) into out. */
enum cv_err cv_s3_query(struct cv_s3_param *params, size_t n, struct cv_buf *out);
/* Append `s` percent-encoded; '/' kept when keep_slash. */
enum cv_err cv_s3_encode(struct cv_buf *out, const char *s, bool keep_slash);

#endif
