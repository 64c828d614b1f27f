/*
 * chartvault/hl7.h: an HL7 v2 reader over raw bytes, as SS-MIX2 writes them.
 *
 * A message is split into segments and fields once, without copying; repetitions,
 * components and subcomponents are found on demand. Splitting knows ISO-2022-JP: inside a
 * double-byte run (ESC $ B ... ESC ( B) or a half-width kana run (ESC ( I) the bytes | ^ ~ \ &
 * belong to kanji and are never delimiters. Text comes out as UTF-8 through glibc iconv
 * (ISO-2022-JP-3, which also covers half-width kana; those are widened to full width), with
 * the HL7 escapes \F\ \S\ \T\ \R\ \E\ \Xhh\ \.br\ undone. UTF-8 messages (MSH-18
 * "UNICODE UTF-8") are read too, for the MLLP feed.
 *
 * Segments end at CR, LF or CRLF (blank lines are skipped); a leading 0x0B and a trailing
 * 0x1C (MLLP framing, often left in files) are accepted. Every size is bounded (struct
 * cv_hl7_limits); anything else is refused with a reason a person understands, readable with
 * cv_errmsg() ("not ISO-2022-JP: byte 0xFB at offset 0", "no MSH segment"...). Reasons never
 * quote message content, so they may be logged.
 *
 * Typical use:
 *     struct cv_hl7_msg *m;
 *     cv_hl7_msg_new(&m);
 *     if (cv_hl7_msg_parse(m, bytes, len) == CV_OK) {
 *         long pid = cv_hl7_find(m, "PID", 0);
 *         const char *family = cv_hl7_text(m, pid, 5, 1, 1, 0);   // PID-5.1, first repetition
 *     }
 *     cv_hl7_msg_free(m);
 * One cv_hl7_msg is reused for many messages (its memory is kept); it is not thread-safe, so
 * use one per thread.
 */
#ifndef CHARTVAULT_HL7_H
#define CHARTVAULT_HL7_H

#include <chartvault/common.h>

/* Bounds for one message. Zero fields take the defaults below. */
struct cv_hl7_limits {
    size_t max_bytes;    /* whole message; default 16 MiB */
    size_t max_segments; /* default 100,000 */
    size_t max_fields;   /* per segment; default 1,000 */
};
#define CV_HL7_DEFAULT_MAX_BYTES    ((size_t)16 << 20)
#define CV_HL7_DEFAULT_MAX_SEGMENTS 100000
#define CV_HL7_DEFAULT_MAX_FIELDS   1000

/* How the message's text is encoded, from MSH-18 (and what the bytes allow). */
enum cv_hl7_charset {
    CV_HL7_CHARSET_ISO2022JP, /* "~ISO IR87", "ISO IR87", "ISO 2022-1994"..., or unspecified */
    CV_HL7_CHARSET_UTF8,      /* "UNICODE UTF-8" */
};

struct cv_hl7_msg; /* opaque */

/* A slice of the raw message bytes (not NUL-terminated, not decoded). */
struct cv_hl7_span {
    const char *p;
    size_t n;
};

/* [out] *out: a new, empty reader (caller frees with cv_hl7_msg_free). */
enum cv_err cv_hl7_msg_new(struct cv_hl7_msg **out);
void cv_hl7_msg_free(struct cv_hl7_msg *m);
/* Change the bounds (NULL: defaults). Applies to the next parse. */
void cv_hl7_msg_set_limits(struct cv_hl7_msg *m, const struct cv_hl7_limits *limits);

/* Split `len` bytes into segments and fields. The bytes are not copied: they must stay
 * unchanged while `m` is used. Fails with CV_EPARSE (not HL7), CV_ECHARSET (bytes that are not
 * ISO-2022-JP / UTF-8) or CV_ETOOBIG (over a bound); the reason is in cv_errmsg(). After a
 * failure the message holds nothing. */
enum cv_err cv_hl7_msg_parse(struct cv_hl7_msg *m, const void *data, size_t len);

/* What the parse noticed but accepted: how many, and each as a short sentence without
 * message content ("MSH-18 does not name ISO IR87 but the text uses ISO-2022-JP").
 * Valid until the next parse. */
size_t cv_hl7_warning_count(const struct cv_hl7_msg *m);
const char *cv_hl7_warning(const struct cv_hl7_msg *m, size_t i);

enum cv_hl7_charset cv_hl7_charset(const struct cv_hl7_msg *m);
/* The field, component, repetition, escape and subcomponent characters ("|^~\&"). */
const char *cv_hl7_delimiters(const struct cv_hl7_msg *m);

/* Segments are numbered from 0 (0 is MSH). */
size_t cv_hl7_segment_count(const struct cv_hl7_msg *m);
/* The 3-character segment ID ("PID"), or "" when seg is out of range. */
const char *cv_hl7_segment_id(const struct cv_hl7_msg *m, size_t seg);
/* The first segment with this ID at or after `from`, or -1. */
long cv_hl7_find(const struct cv_hl7_msg *m, const char *id, size_t from);
/* The number of the last field present in the segment (0 for a bare "AL1"). */
int cv_hl7_field_count(const struct cv_hl7_msg *m, size_t seg);

/* Addresses follow HL7 numbering: field >= 1 (MSH-1 is the field separator, MSH-2 the
 * encoding characters), repetition/component/subcomponent >= 1; 0 means "all of it"
 * (rep 0 = the whole field with every repetition; comp 0 = the whole repetition; sub 0 =
 * the whole component). Out-of-range addresses give an empty result, never an error. */

/* The raw bytes at an address. Returns false (and an empty span) when absent or empty. */
bool cv_hl7_raw(const struct cv_hl7_msg *m, long seg, int field, int rep, int comp, int sub,
                struct cv_hl7_span *out);
/* How many repetitions the field has (0 when empty). */
int cv_hl7_rep_count(const struct cv_hl7_msg *m, long seg, int field);

/* The text at an address as UTF-8: decoded, unescaped, half-width kana widened. NULL when
 * absent, empty or the HL7 null `""`. The string belongs to `m` and stays valid
 * until the next parse or free. Undecodable characters become U+FFFD and add a warning.
 * NULL is also returned when memory runs out (cv_hl7_oom() then says so). */
const char *cv_hl7_text(struct cv_hl7_msg *m, long seg, int field, int rep, int comp, int sub);
bool cv_hl7_oom(const struct cv_hl7_msg *m);

/* Split a raw span (a field, repetition or component from cv_hl7_raw) at delimiter `delim`
 * outside ISO-2022-JP multibyte runs: returns the piece before the first delimiter in *piece
 * and moves *rest past it. Returns false when *rest was already exhausted. Use it to walk
 * repetitions in one pass. */
bool cv_hl7_span_next(const struct cv_hl7_msg *m, struct cv_hl7_span *rest, char delim,
                      struct cv_hl7_span *piece);
/* Decode any raw span of this message as cv_hl7_text() does. */
const char *cv_hl7_span_text(struct cv_hl7_msg *m, struct cv_hl7_span span);

/* ---- timestamps -------------------------------------------------------------------------
 * HL7 DTM values as real files hold them: "20111220224447.3399", "201112202100", "2011070100",
 * "20111220", with or without a +0900 zone. Hours 24..47 (seen in real data) roll over to the
 * next day. Fails on anything that is not a date. */
struct cv_hl7_ts {
    int year, month, day, hour, minute, second;
    int precision; /* digits of YYYYMMDDHHMMSS that were present: 4, 6, 8, 10, 12 or 14 */
};
enum cv_err cv_hl7_ts_parse(const char *s, struct cv_hl7_ts *out);
/* "YYYY-MM-DD" (buf >= 11) and "YYYY-MM-DDTHH:MM" (buf >= 17; 00:00 when the time is
 * missing). Both write "" and return false when `s` is NULL or not a timestamp. */
bool cv_hl7_ts_date(const char *s, char *buf, size_t n);
bool cv_hl7_ts_minutes(const char *s, char *buf, size_t n);

/* ---- text helpers ------------------------------------------------------------------------ */
/* Widen half-width katakana (U+FF61..U+FF9F, with ﾞ/ﾟ folded into the voiced letter) in UTF-8
 * text to full width; other characters pass through. Appends to `out`. */
enum cv_err cv_hl7_widen_kana(const char *s, size_t n, struct cv_buf *out);

/* Convert UTF-8 text (a whole HL7 message, as the MLLP feed may send it) to ISO-2022-JP
 * (JIS X 0208, "ISO IR87"), the encoding SS-MIX2 storage asks for: half-width kana are
 * widened first, and characters JIS X 0208 cannot hold become ■ (as conforming writers do);
 * *replaced counts them. Every delimiter stays in ASCII, so the result splits as the input
 * did. With `rewrite_msh` the MSH-18 field becomes "~ISO IR87" and MSH-20 "ISO 2022-1994".
 * Fails with CV_ECHARSET on invalid UTF-8 (reason gives the offset) or CV_ETOOBIG past
 * out->max. */
enum cv_err cv_hl7_utf8_to_iso2022jp(const char *in, size_t n, bool rewrite_msh, struct cv_buf *out,
                                     size_t *replaced);

#endif
