/*
 * hl7_parse.c: splits raw HL7 v2 bytes into segments and fields in one pass, tracking the
 * ISO-2022-JP shift state so that delimiter bytes inside kanji never split anything. It also
 * decides the character set (MSH-18), checks the bytes against it, and refuses what is not
 * one HL7 message, with a reason that names an offset or a segment number but never quotes
 * the content (reasons may be logged; content is patient data).
 */
#include "hl7_internal.h"

#include <stdio.h>
#include <string.h>

#define MLLP_START 0x0B
#define MLLP_END   0x1C

enum cv_err cv_hl7_msg_new(struct cv_hl7_msg **out)
{
    struct cv_hl7_msg *m = cv_calloc(1, sizeof(*m));

    *out = NULL;
    if (!m)
        return cv_fail(CV_ENOMEM, "out of memory for an HL7 reader");
    cv_hl7_msg_set_limits(m, NULL);
    cv_buf_init(&m->scratch, CV_HL7_DEFAULT_MAX_BYTES * 4 + 64);
    cv_buf_init(&m->scratch2, CV_HL7_DEFAULT_MAX_BYTES * 4 + 64);
    *out = m;
    return CV_OK;
}

void cv_hl7_msg_free(struct cv_hl7_msg *m)
{
    if (!m)
        return;
    if (m->cd_open)
        iconv_close(m->cd);
    hl7_arena_free(m);
    cv_buf_free(&m->scratch);
    cv_buf_free(&m->scratch2);
    cv_free(m->segs);
    cv_free(m->fstart);
    cv_free(m);
}

void cv_hl7_msg_set_limits(struct cv_hl7_msg *m, const struct cv_hl7_limits *limits)
{
    struct cv_hl7_limits l = {0};

    if (limits)
        l = *limits;
    if (!l.max_bytes || l.max_bytes > UINT32_MAX - 1)
        l.max_bytes = l.max_bytes ? UINT32_MAX - 1 : CV_HL7_DEFAULT_MAX_BYTES;
    if (!l.max_segments)
        l.max_segments = CV_HL7_DEFAULT_MAX_SEGMENTS;
    if (!l.max_fields)
        l.max_fields = CV_HL7_DEFAULT_MAX_FIELDS;
    m->lim = l;
}

void hl7_warn(struct cv_hl7_msg *m, const char *fmt, ...)
{
    va_list ap;

    if (m->nwarn >= HL7_MAX_WARN)
        return;
    va_start(ap, fmt);
    vsnprintf(m->warnings[m->nwarn], HL7_WARN_LEN, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < m->nwarn; i++)
        if (strcmp(m->warnings[i], m->warnings[m->nwarn]) == 0)
            return;
    m->nwarn++;
}

size_t cv_hl7_warning_count(const struct cv_hl7_msg *m)
{
    return m->nwarn;
}

const char *cv_hl7_warning(const struct cv_hl7_msg *m, size_t i)
{
    return i < m->nwarn ? m->warnings[i] : "";
}

enum cv_hl7_charset cv_hl7_charset(const struct cv_hl7_msg *m)
{
    return m->charset;
}

const char *cv_hl7_delimiters(const struct cv_hl7_msg *m)
{
    return m->delims;
}

size_t hl7_escape_len(const char *p, size_t n, int *state)
{
    if (n >= 3 && p[1] == '(' && (p[2] == 'B' || p[2] == 'J' || p[2] == 'H')) {
        *state = 0;
        return 3;
    }
    if (n >= 3 && p[1] == '(' && p[2] == 'I') {
        *state = 2;
        return 3;
    }
    if (n >= 3 && p[1] == '$' && (p[2] == '@' || p[2] == 'B')) {
        *state = 1;
        return 3;
    }
    if (n >= 4 && p[1] == '$' && p[2] == '(' &&
        (p[3] == 'D' || p[3] == 'O' || p[3] == 'P' || p[3] == 'Q' || p[3] == 'B')) {
        *state = 1;
        return 4;
    }
    return 0;
}

/* The parse, as a small state machine over the bytes. */
struct tok {
    struct cv_hl7_msg *m;
    size_t i, end;
    int state;        /* 0 single-byte, 1 double-byte, 2 half-width kana */
    size_t dbl_bytes; /* bytes seen in the current double-byte run */
    bool in_seg;
};

static enum cv_err grow_segments(struct cv_hl7_msg *m)
{
    size_t cap = m->segcap ? m->segcap * 2 : 64;
    struct hl7_seg *s;

    if (m->nseg >= m->lim.max_segments)
        return cv_fail(CV_ETOOBIG, "more than %zu segments", m->lim.max_segments);
    if (m->nseg < m->segcap)
        return CV_OK;
    s = cv_reallocarray(m->segs, cap, sizeof(*s));
    if (!s)
        return cv_fail(CV_ENOMEM, "out of memory for %zu segments", cap);
    m->segs = s;
    m->segcap = cap;
    return CV_OK;
}

static enum cv_err add_field(struct cv_hl7_msg *m, size_t at)
{
    struct hl7_seg *seg = &m->segs[m->nseg - 1];

    if (seg->nfields >= m->lim.max_fields)
        return cv_fail(CV_ETOOBIG, "segment %zu has more than %zu fields", m->nseg,
                       m->lim.max_fields);
    if (m->nf == m->fcap) {
        size_t cap = m->fcap ? m->fcap * 2 : 512;
        uint32_t *f = cv_reallocarray(m->fstart, cap, sizeof(*f));

        if (!f)
            return cv_fail(CV_ENOMEM, "out of memory for %zu fields", cap);
        m->fstart = f;
        m->fcap = cap;
    }
    m->fstart[m->nf++] = (uint32_t)at;
    seg->nfields++;
    return CV_OK;
}

static bool is_id_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A segment begins at t->i: check its ID, record it, and step past the ID. */
static enum cv_err begin_segment(struct tok *t)
{
    struct cv_hl7_msg *m = t->m;
    const unsigned char *p = (const unsigned char *)m->data + t->i;
    size_t left = t->end - t->i;
    struct hl7_seg *seg;
    enum cv_err err;

    if (left < 3 || !(p[0] >= 'A' && p[0] <= 'Z') || !is_id_char(p[1]) || !is_id_char(p[2]) ||
        (left > 3 && p[3] != (unsigned char)m->delims[D_FIELD] && p[3] != '\r' && p[3] != '\n'))
        return cv_fail(CV_EPARSE, "segment %zu does not start with a segment ID", m->nseg + 1);
    if (m->nseg > 0 && memcmp(p, "MSH", 3) == 0)
        return cv_fail(CV_EPARSE, "holds more than one message (a second MSH at segment %zu)",
                       m->nseg + 1);
    err = grow_segments(m);
    if (err)
        return err;
    seg = &m->segs[m->nseg++];
    memcpy(seg->id, p, 3);
    seg->id[3] = '\0';
    seg->start = (uint32_t)t->i;
    seg->end = (uint32_t)t->i + 3;
    seg->first_field = (uint32_t)m->nf;
    seg->nfields = 0;
    t->in_seg = true;
    if (m->nseg == 1) {
        /* MSH-1 is the separator itself, MSH-2 the encoding characters (never split). */
        err = add_field(m, t->i + 3);
        if (!err)
            err = add_field(m, t->i + 4);
        t->i += 4;
        while (!err && t->i < t->end && m->data[t->i] != m->delims[D_FIELD] &&
               m->data[t->i] != '\r' && m->data[t->i] != '\n')
            t->i++;
        return err;
    }
    t->i += 3;
    return CV_OK;
}

static void end_segment(struct tok *t)
{
    struct cv_hl7_msg *m = t->m;

    if (t->state != 0) {
        if (t->state == 1 && t->dbl_bytes % 2)
            hl7_warn(m, "segment %zu ends inside a double-byte character", m->nseg);
        else
            hl7_warn(m, "segment %zu ends without returning to ASCII (ESC ( B)", m->nseg);
        t->state = 0;
    }
    m->segs[m->nseg - 1].end = (uint32_t)t->i;
    t->in_seg = false;
}

static enum cv_err bad_byte(struct tok *t, unsigned char c)
{
    if (t->m->charset == CV_HL7_CHARSET_UTF8)
        return cv_fail(CV_ECHARSET, "not UTF-8: byte 0x%02X at offset %zu", c, t->i);
    return cv_fail(CV_ECHARSET, "not ISO-2022-JP: byte 0x%02X at offset %zu", c, t->i);
}

static enum cv_err step_escape(struct tok *t)
{
    struct cv_hl7_msg *m = t->m;
    size_t n;
    int state;

    if (m->charset == CV_HL7_CHARSET_UTF8)
        return cv_fail(CV_ECHARSET, "ISO-2022-JP escape in a UTF-8 message at offset %zu", t->i);
    if (t->end - t->i >= 3 && m->data[t->i + 1] == '&' && m->data[t->i + 2] == '@') {
        t->i += 3; /* JIS X 0208-1990 announcer: the ESC $ B that follows does the work */
        return CV_OK;
    }
    n = hl7_escape_len(m->data + t->i, t->end - t->i, &state);
    if (n == 0)
        return cv_fail(CV_ECHARSET, "not ISO-2022-JP: unknown escape sequence at offset %zu", t->i);
    if (t->state == 1 && t->dbl_bytes % 2)
        return cv_fail(CV_ECHARSET, "not ISO-2022-JP: half a double-byte character at offset %zu",
                       t->i);
    t->state = state;
    t->dbl_bytes = 0;
    m->has_esc = true;
    t->i += n;
    return CV_OK;
}

/* One byte inside a segment that is neither ESC nor a line end. */
static enum cv_err step_byte(struct tok *t, unsigned char c)
{
    struct cv_hl7_msg *m = t->m;

    if (c >= 0x80) {
        size_t n;

        if (m->charset != CV_HL7_CHARSET_UTF8)
            return bad_byte(t, c);
        n = cv_utf8_len((const unsigned char *)m->data + t->i, t->end - t->i);
        if (n == 0)
            return bad_byte(t, c);
        t->i += n;
        return CV_OK;
    }
    if (c < 0x20 && c != '\t')
        return cv_fail(CV_EPARSE, "control byte 0x%02X at offset %zu", c, t->i);
    if (t->state == 1) {
        if (c < 0x21 || c > 0x7E)
            return cv_fail(CV_ECHARSET,
                           "not ISO-2022-JP: byte 0x%02X inside a double-byte run "
                           "at offset %zu",
                           c, t->i);
        t->dbl_bytes++;
    } else if (t->state == 2) {
        if (c < 0x21 || c > 0x5F)
            return cv_fail(CV_ECHARSET,
                           "not ISO-2022-JP: byte 0x%02X inside a half-width kana "
                           "run at offset %zu",
                           c, t->i);
    } else if (c == (unsigned char)m->delims[D_FIELD]) {
        t->i++;
        return add_field(m, t->i);
    }
    t->i++;
    return CV_OK;
}

/* Skip the bytes that need no decision: printable ASCII other than the field separator in
 * single-byte state, JIS X 0208 byte pairs in double-byte state. Most of a message. */
static void skip_plain(struct tok *t, const bool *plain)
{
    const unsigned char *p = (const unsigned char *)t->m->data + t->i;
    const unsigned char *e = (const unsigned char *)t->m->data + t->end;

    if (t->state == 0) {
        while (p < e && plain[*p])
            p++;
    } else if (t->state == 1) {
        const unsigned char *start = p;

        while (p < e && *p >= 0x21 && *p <= 0x7E)
            p++;
        t->dbl_bytes += (size_t)(p - start);
    }
    t->i = (size_t)(p - (const unsigned char *)t->m->data);
}

/* Walk [start, end): segments, fields, shift states. With `first_only`, stop after MSH. */
static enum cv_err tokenize(struct cv_hl7_msg *m, size_t start, size_t end, bool first_only)
{
    struct tok t = {.m = m, .i = start, .end = end};
    enum cv_err err = CV_OK;
    bool plain[256] = {false};

    for (int c = 0x20; c < 0x7F; c++)
        plain[c] = true;
    plain['\t'] = true;
    plain[(unsigned char)m->delims[D_FIELD]] = false;
    m->nseg = 0;
    m->nf = 0;
    m->has_esc = false;
    while (t.i < t.end && !err) {
        unsigned char c;

        if (t.in_seg) {
            skip_plain(&t, plain);
            if (t.i >= t.end)
                break;
        }
        c = (unsigned char)m->data[t.i];

        if (c == '\r' || c == '\n') {
            if (t.in_seg) {
                end_segment(&t);
                if (first_only)
                    return CV_OK;
            }
            t.i++;
        } else if (!t.in_seg) {
            err = begin_segment(&t);
        } else if (c == HL7_ESC) {
            err = step_escape(&t);
        } else {
            err = step_byte(&t, c);
        }
    }
    if (!err && t.in_seg)
        end_segment(&t);
    return err;
}

/* MSH-1 and MSH-2: the delimiters. */
static enum cv_err read_delimiters(struct cv_hl7_msg *m, size_t start, size_t end)
{
    const char *p = m->data + start;
    size_t n = end - start, k;

    if (n < 8 || memcmp(p, "MSH", 3) != 0)
        return cv_fail(CV_EPARSE, "no MSH segment at the start");
    m->delims[D_FIELD] = p[3];
    for (k = 0; k < 4 && 4 + k < n && p[4 + k] != p[3]; k++)
        m->delims[1 + k] = p[4 + k];
    m->delims[5] = '\0';
    if (k < 4)
        return cv_fail(CV_EPARSE, "MSH-2 holds %zu of the 4 encoding characters", k);
    for (size_t i = 0; i < 5; i++) {
        unsigned char c = (unsigned char)m->delims[i];

        if (c < 0x21 || c > 0x7E || is_id_char(c) || (c >= 'a' && c <= 'z'))
            return cv_fail(CV_EPARSE, "MSH delimiter %zu is not a punctuation character", i + 1);
        for (size_t j = 0; j < i; j++)
            if (m->delims[j] == m->delims[i])
                return cv_fail(CV_EPARSE, "MSH delimiters repeat a character");
    }
    return CV_OK;
}

/* MSH-18 decides between ISO-2022-JP (or plain ASCII) and UTF-8. */
static void pick_charset(struct cv_hl7_msg *m)
{
    struct cv_hl7_span f;
    char norm[64];
    size_t k = 0;

    m->charset = CV_HL7_CHARSET_ISO2022JP;
    if (!cv_hl7_raw(m, 0, 18, 0, 0, 0, &f))
        return;
    for (size_t i = 0; i < f.n && k + 1 < sizeof(norm); i++) {
        char c = f.p[i];

        if (c == ' ' || c == '_')
            continue;
        norm[k++] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    norm[k] = '\0';
    if (strstr(norm, "UTF-8") || strstr(norm, "UTF8"))
        m->charset = CV_HL7_CHARSET_UTF8;
    else if (!strstr(norm, "IR87") && !strstr(norm, "2022") && !strstr(norm, "IR6") &&
             !strstr(norm, "ASCII") && !strstr(norm, "IR159"))
        m->charset_unknown = true;
}

/* Trim MLLP framing and line ends around the message. */
static enum cv_err trim(struct cv_hl7_msg *m, size_t *start, size_t *end)
{
    const unsigned char *p = (const unsigned char *)m->data;
    size_t s = 0, e = m->len;
    bool framed = false;

    if (e >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        s = 3;
    while (s < e && (p[s] == MLLP_START || p[s] == '\r' || p[s] == '\n'))
        s++;
    while (e > s && (p[e - 1] == '\r' || p[e - 1] == '\n' || (!framed && p[e - 1] == MLLP_END))) {
        framed |= p[e - 1] == MLLP_END;
        e--;
    }
    if (s == e)
        return cv_fail(CV_EPARSE, m->len ? "holds no HL7 segment" : "empty file");
    if (e - s < 3 || memcmp(p + s, "MSH", 3) != 0) {
        for (size_t i = s; i < e && i < s + 4096; i++)
            if (p[i] >= 0x80 || p[i] == 0)
                return cv_fail(CV_ECHARSET, "not ISO-2022-JP: byte 0x%02X at offset %zu", p[i], i);
        return cv_fail(CV_EPARSE, "no MSH segment at the start");
    }
    *start = s;
    *end = e;
    return CV_OK;
}

enum cv_err cv_hl7_msg_parse(struct cv_hl7_msg *m, const void *data, size_t len)
{
    size_t start = 0, end = 0;
    enum cv_err err;

    m->data = data;
    m->len = len;
    m->nseg = m->nf = m->nwarn = 0;
    m->oom = false;
    m->charset_unknown = false;
    m->charset = CV_HL7_CHARSET_ISO2022JP;
    hl7_arena_reset(m);
    if (len > m->lim.max_bytes) {
        err = cv_fail(CV_ETOOBIG, "over the size cap: %zu bytes, cap %zu", len, m->lim.max_bytes);
        goto out_fail;
    }
    err = trim(m, &start, &end);
    if (!err)
        err = read_delimiters(m, start, end);
    if (err)
        goto out_fail;
    /* MSH alone first, leniently, to learn the character set; then everything. */
    m->charset = CV_HL7_CHARSET_UTF8;
    err = tokenize(m, start, end, true);
    if (err) {
        m->charset = CV_HL7_CHARSET_ISO2022JP;
        err = tokenize(m, start, end, true);
    }
    if (err)
        goto out_fail;
    pick_charset(m);
    err = tokenize(m, start, end, false);
    if (err)
        goto out_fail;
    if (m->has_esc && m->charset == CV_HL7_CHARSET_ISO2022JP) {
        struct cv_hl7_span f;

        if (!cv_hl7_raw(m, 0, 18, 0, 0, 0, &f))
            hl7_warn(m, "MSH-18 is empty but the text uses ISO-2022-JP");
        else if (m->charset_unknown)
            hl7_warn(m, "MSH-18 names a character set chartvault does not know; read as "
                        "ISO-2022-JP");
    }
    return CV_OK;

out_fail:
    m->nseg = m->nf = 0;
    m->data = "";
    m->len = 0;
    return err;
}
