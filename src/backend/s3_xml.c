/*
 * s3_xml.c: reading what an S3 server answers, which is hostile input like any other: a
 * strict, bounded XML reader (no DTD, no entity definitions, no CDATA, depth and sizes capped)
 * and, on top of it, the three shapes chartvault needs: version listings, error documents
 * and single values (versioning status, lock settings, retention). Also the location parser
 * and the query canonicalisation of Signature V4. libxml2 would have done the XML, but it
 * brings DTDs, external entities and a large parser to a process that holds the repository
 * key, for three documents of a few known elements; this file is small enough to fuzz whole.
 */
#include "s3_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 64
#define TEXT_MAX     (CV_S3_KEY_MAX * 4)

struct xml_rd {
    const char *p, *end;
    char names[CV_S3_XML_DEPTH][NAME_MAX_LEN + 1];
    const char *stack[CV_S3_XML_DEPTH];
    int depth;
    char text[TEXT_MAX + 1];
    size_t tlen;
    bool text_overflow;
    bool had_child[CV_S3_XML_DEPTH];
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':';
}

static bool starts(const struct xml_rd *r, const char *s)
{
    size_t n = strlen(s);

    return (size_t)(r->end - r->p) >= n && memcmp(r->p, s, n) == 0;
}

/* Skip past `until`; false when it never comes. */
static bool skip_past(struct xml_rd *r, const char *until)
{
    size_t n = strlen(until);

    for (; r->end - r->p >= (ptrdiff_t)n; r->p++)
        if (memcmp(r->p, until, n) == 0) {
            r->p += n;
            return true;
        }
    return false;
}

static void skip_space(struct xml_rd *r)
{
    while (r->p < r->end && is_space(*r->p))
        r->p++;
}

static enum cv_err read_name(struct xml_rd *r, char *out)
{
    size_t n = 0;

    while (r->p < r->end && is_name_char(*r->p)) {
        if (n == NAME_MAX_LEN)
            return cv_fail(CV_EPARSE, "an element name is longer than %d bytes", NAME_MAX_LEN);
        out[n++] = *r->p++;
    }
    out[n] = '\0';
    return n ? CV_OK : cv_fail(CV_EPARSE, "an element has no name");
}

static void text_put(struct xml_rd *r, const char *s, size_t n)
{
    if (r->tlen + n > TEXT_MAX) {
        r->text_overflow = true;
        return;
    }
    memcpy(r->text + r->tlen, s, n);
    r->tlen += n;
}

/* One character or entity reference of text. */
static enum cv_err text_char(struct xml_rd *r)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    unsigned long cp = 0;
    char utf8[4];
    size_t n = 0;

    if (*r->p != '&') {
        text_put(r, r->p++, 1);
        return CV_OK;
    }
    r->p++;
    for (size_t i = 0; i < CV_ARRAY_LEN(named); i++)
        if (starts(r, named[i].name)) {
            r->p += strlen(named[i].name);
            text_put(r, &named[i].c, 1);
            return CV_OK;
        }
    if (r->p >= r->end || *r->p != '#')
        return cv_fail(CV_EPARSE, "an entity reference that is not one of the five of XML");
    r->p++;
    {
        bool hex = r->p < r->end && *r->p == 'x';
        int digits = 0;

        r->p += hex;
        for (; r->p < r->end && *r->p != ';'; r->p++, digits++) {
            char c = *r->p;
            int v = c >= '0' && c <= '9'          ? c - '0'
                    : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                  : -1;

            if (v < 0 || digits > 8)
                return cv_fail(CV_EPARSE, "a malformed character reference");
            cp = cp * (hex ? 16 : 10) + (unsigned long)v;
        }
        if (r->p >= r->end || !digits || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
            return cv_fail(CV_EPARSE, "a malformed character reference");
        r->p++;
    }
    if (cp < 0x80) {
        utf8[n++] = (char)cp;
    } else if (cp < 0x800) {
        utf8[n++] = (char)(0xC0 | (cp >> 6));
        utf8[n++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        utf8[n++] = (char)(0xE0 | (cp >> 12));
        utf8[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        utf8[n++] = (char)(0x80 | (cp & 0x3F));
    } else {
        utf8[n++] = (char)(0xF0 | (cp >> 18));
        utf8[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        utf8[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        utf8[n++] = (char)(0x80 | (cp & 0x3F));
    }
    text_put(r, utf8, n);
    return CV_OK;
}

/* Skip attributes up to '>' or '/>'; *empty for the latter. */
static enum cv_err skip_attributes(struct xml_rd *r, bool *empty)
{
    char name[NAME_MAX_LEN + 1];
    enum cv_err err;

    for (;;) {
        skip_space(r);
        if (starts(r, "/>")) {
            r->p += 2;
            *empty = true;
            return CV_OK;
        }
        if (starts(r, ">")) {
            r->p++;
            *empty = false;
            return CV_OK;
        }
        if ((err = read_name(r, name)) != CV_OK)
            return err;
        skip_space(r);
        if (r->p >= r->end || *r->p != '=')
            return cv_fail(CV_EPARSE, "an attribute without a value");
        r->p++;
        skip_space(r);
        if (r->p >= r->end || (*r->p != '"' && *r->p != '\''))
            return cv_fail(CV_EPARSE, "an attribute value without quotes");
        {
            char q = *r->p++;
            const char *e = memchr(r->p, q, (size_t)(r->end - r->p));

            if (!e || memchr(r->p, '<', (size_t)(e - r->p)))
                return cv_fail(CV_EPARSE, "an unterminated attribute value");
            r->p = e + 1;
        }
    }
}

static enum cv_err end_element(struct xml_rd *r, cv_xml_fn fn, void *arg)
{
    enum cv_err err;
    const char *text = r->had_child[r->depth - 1] ? "" : r->text;
    size_t len = r->had_child[r->depth - 1] ? 0 : r->tlen;

    if (r->text_overflow && !r->had_child[r->depth - 1])
        return cv_fail(CV_ETOOBIG, "element <%s> holds more than %d bytes of text",
                       r->names[r->depth - 1], TEXT_MAX);
    r->text[len] = '\0';
    err = fn(arg, r->stack, r->depth, text, len);
    r->depth--;
    r->tlen = 0;
    r->text_overflow = false;
    return err;
}

static enum cv_err start_element(struct xml_rd *r, cv_xml_fn fn, void *arg, bool *root_done)
{
    bool empty = false;
    enum cv_err err;

    if (*root_done)
        return cv_fail(CV_EPARSE, "a second root element");
    if (r->depth == CV_S3_XML_DEPTH)
        return cv_fail(CV_EPARSE, "elements nested deeper than %d", CV_S3_XML_DEPTH);
    if (r->depth > 0)
        r->had_child[r->depth - 1] = true;
    err = read_name(r, r->names[r->depth]);
    if (!err)
        err = skip_attributes(r, &empty);
    if (err)
        return err;
    r->stack[r->depth] = r->names[r->depth];
    r->had_child[r->depth] = false;
    r->depth++;
    r->tlen = 0;
    r->text_overflow = false;
    if (empty) {
        err = end_element(r, fn, arg);
        *root_done = r->depth == 0;
    }
    return err;
}

static enum cv_err close_element(struct xml_rd *r, cv_xml_fn fn, void *arg, bool *root_done)
{
    char name[NAME_MAX_LEN + 1];
    enum cv_err err = read_name(r, name);

    if (err)
        return err;
    skip_space(r);
    if (r->p >= r->end || *r->p != '>')
        return cv_fail(CV_EPARSE, "a malformed end tag </%s", name);
    r->p++;
    if (r->depth == 0 || strcmp(name, r->names[r->depth - 1]) != 0)
        return cv_fail(CV_EPARSE, "end tag </%s> does not match the open element", name);
    err = end_element(r, fn, arg);
    *root_done = r->depth == 0;
    return err;
}

enum cv_err cv_xml_parse(const char *p, size_t n, cv_xml_fn fn, void *arg)
{
    struct xml_rd *r;
    bool root_done = false, root_seen = false;
    enum cv_err err = CV_OK;

    if (n > CV_S3_XML_MAX)
        return cv_fail(CV_ETOOBIG, "an answer of %zu bytes, more than the %u read", n,
                       CV_S3_XML_MAX);
    if (memchr(p, '\0', n))
        return cv_fail(CV_EPARSE, "a NUL byte in the answer");
    r = cv_calloc(1, sizeof(*r));
    if (!r)
        return cv_fail(CV_ENOMEM, "out of memory");
    r->p = p;
    r->end = p + n;
    if (starts(r, "\xEF\xBB\xBF"))
        r->p += 3;
    if (starts(r, "<?xml") && !skip_past(r, "?>"))
        err = cv_fail(CV_EPARSE, "an unterminated XML declaration");
    while (!err && r->p < r->end) {
        if (starts(r, "<!--")) {
            if (!skip_past(r, "-->"))
                err = cv_fail(CV_EPARSE, "an unterminated comment");
        } else if (starts(r, "<!") || starts(r, "<?")) {
            err = cv_fail(CV_EPARSE, "a DTD, CDATA section or processing instruction (refused)");
        } else if (starts(r, "</")) {
            r->p += 2;
            err = close_element(r, fn, arg, &root_done);
        } else if (*r->p == '<') {
            r->p++;
            root_seen = true;
            err = start_element(r, fn, arg, &root_done);
        } else if (r->depth == 0) {
            if (!is_space(*r->p))
                err = cv_fail(CV_EPARSE, "text outside the root element");
            r->p++;
        } else {
            err = text_char(r);
        }
    }
    if (!err && (!root_seen || r->depth))
        err = cv_fail(CV_EPARSE, root_seen ? "the answer ends inside <%s>" : "an empty answer",
                      r->depth ? r->names[r->depth - 1] : "");
    cv_free(r);
    return err;
}

/* ---- the shapes we read ---------------------------------------------------------------- */

static bool is(const char *const *stack, int depth, int at, const char *name)
{
    return depth > at && strcmp(stack[at], name) == 0;
}

static enum cv_err copy_text(const char *what, const char *text, size_t len, char *out, size_t n)
{
    if (len >= n)
        return cv_fail(CV_ETOOBIG, "<%s> is longer than %zu bytes", what, n - 1);
    memcpy(out, text, len);
    out[len] = '\0';
    return CV_OK;
}

static enum cv_err parse_u64(const char *text, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 19)
        return cv_fail(CV_EPARSE, "'%.*s' is not a size", (int)(len > 32 ? 32 : len), text);
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return cv_fail(CV_EPARSE, "'%.*s' is not a size", (int)(len > 32 ? 32 : len), text);
        v = v * 10 + (uint64_t)(text[i] - '0');
    }
    *out = v;
    return CV_OK;
}

struct versions_ctx {
    cv_s3_version_fn fn;
    void *arg;
    struct cv_s3_page *page;
    struct cv_s3_version v;
    bool have_key, have_vid;
};

static enum cv_err on_versions(void *arg, const char *const *stack, int depth, const char *text,
                               size_t len)
{
    struct versions_ctx *c = arg;
    const char *leaf = stack[depth - 1];

    if (!is(stack, depth, 0, "ListVersionsResult"))
        return cv_fail(CV_EPARSE, "the answer is <%s>, not a version listing", stack[0]);
    if (depth == 2) {
        if (strcmp(leaf, "IsTruncated") == 0)
            c->page->truncated = len == 4 && memcmp(text, "true", 4) == 0;
        else if (strcmp(leaf, "NextKeyMarker") == 0)
            return copy_text(leaf, text, len, c->page->next_key, sizeof(c->page->next_key));
        else if (strcmp(leaf, "NextVersionIdMarker") == 0)
            return copy_text(leaf, text, len, c->page->next_version, sizeof(c->page->next_version));
        else if (strcmp(leaf, "Version") == 0 || strcmp(leaf, "DeleteMarker") == 0) {
            enum cv_err err;

            if (!c->have_key || !c->have_vid)
                return cv_fail(CV_EPARSE, "a <%s> without Key or VersionId", leaf);
            c->v.delete_marker = strcmp(leaf, "DeleteMarker") == 0;
            c->page->entries++;
            err = c->fn(c->arg, &c->v);
            memset(&c->v, 0, sizeof(c->v));
            c->have_key = c->have_vid = false;
            return err;
        }
        return CV_OK;
    }
    if (depth == 3 && (is(stack, depth, 1, "Version") || is(stack, depth, 1, "DeleteMarker"))) {
        if (strcmp(leaf, "Key") == 0) {
            c->have_key = true;
            return copy_text(leaf, text, len, c->v.key, sizeof(c->v.key));
        }
        if (strcmp(leaf, "VersionId") == 0) {
            c->have_vid = true;
            return copy_text(leaf, text, len, c->v.version_id, sizeof(c->v.version_id));
        }
        if (strcmp(leaf, "Size") == 0)
            return parse_u64(text, len, &c->v.size);
        if (strcmp(leaf, "IsLatest") == 0)
            c->v.is_latest = len == 4 && memcmp(text, "true", 4) == 0;
        if (strcmp(leaf, "LastModified") == 0) { /* unreadable: 0, which prune takes as new */
            char when[40];

            if (copy_text(leaf, text, len, when, sizeof(when)) != CV_OK ||
                cv_s3_parse_time(when, &c->v.modified) != CV_OK)
                c->v.modified = 0;
        }
    }
    return CV_OK;
}

enum cv_err cv_s3_parse_versions(const char *p, size_t n, cv_s3_version_fn fn, void *arg,
                                 struct cv_s3_page *page)
{
    struct versions_ctx *c = cv_calloc(1, sizeof(*c));
    enum cv_err err;

    memset(page, 0, sizeof(*page));
    if (!c)
        return cv_fail(CV_ENOMEM, "out of memory");
    c->fn = fn;
    c->arg = arg;
    c->page = page;
    err = cv_xml_parse(p, n, on_versions, c);
    if (!err && page->truncated && !page->next_key[0])
        err = cv_fail(CV_EPARSE, "a truncated listing without NextKeyMarker");
    cv_free(c);
    return err;
}

struct error_ctx {
    char *code, *msg;
    size_t code_n, msg_n;
    bool is_error;
};

static enum cv_err on_error(void *arg, const char *const *stack, int depth, const char *text,
                            size_t len)
{
    struct error_ctx *c = arg;

    c->is_error = strcmp(stack[0], "Error") == 0;
    if (!c->is_error || depth != 2)
        return CV_OK;
    if (strcmp(stack[1], "Code") == 0)
        cv_strlcpy(c->code, text, len < c->code_n ? len + 1 : c->code_n);
    else if (strcmp(stack[1], "Message") == 0)
        cv_strlcpy(c->msg, text, len < c->msg_n ? len + 1 : c->msg_n);
    return CV_OK;
}

enum cv_err cv_s3_parse_error(const char *p, size_t n, char *code, size_t code_n, char *msg,
                              size_t msg_n)
{
    struct error_ctx c = {code, msg, code_n, msg_n, false};
    enum cv_err err;

    code[0] = msg[0] = '\0';
    err = cv_xml_parse(p, n, on_error, &c);
    if (!err && !c.is_error)
        err = cv_fail(CV_EPARSE, "not an S3 error document");
    if (err)
        code[0] = msg[0] = '\0';
    /* what the server says goes into messages: keep it printable */
    for (char *s = msg; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
    for (char *s = code; *s; s++)
        if (!is_name_char(*s))
            *s = '?';
    return err;
}

struct value_ctx {
    const char *name;
    char *out;
    size_t n;
    bool found;
    enum cv_err err;
};

static enum cv_err on_value(void *arg, const char *const *stack, int depth, const char *text,
                            size_t len)
{
    struct value_ctx *c = arg;

    if (c->found || strcmp(stack[depth - 1], c->name) != 0)
        return CV_OK;
    c->found = true;
    return copy_text(c->name, text, len, c->out, c->n);
}

enum cv_err cv_s3_parse_value(const char *p, size_t n, const char *name, char *out, size_t out_n)
{
    struct value_ctx c = {name, out, out_n, false, CV_OK};
    enum cv_err err;

    out[0] = '\0';
    err = cv_xml_parse(p, n, on_value, &c);
    if (err) {
        out[0] = '\0';
        return err;
    }
    return c.found ? CV_OK : CV_ENOENT;
}

/* ---- time ------------------------------------------------------------------------------------ */

enum cv_err cv_s3_parse_time(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, used = 0;
    const char *rest;

    *out = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        used != 19)
        return cv_fail(CV_EPARSE, "'%.40s' is not an ISO 8601 time", s);
    rest = s + used;
    if (*rest == '.')
        for (rest++; *rest >= '0' && *rest <= '9'; rest++)
            ;
    if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0)
        return cv_fail(CV_EPARSE, "'%.40s' is not a UTC time", s);
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return cv_fail(CV_EPARSE, "'%.40s' is not a valid time", s);
    *out = (int64_t)cv_ymd_to_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return CV_OK;
}

void cv_s3_format_time(int64_t t, char *buf, size_t n)
{
    int y, mo, d;
    long days = (long)(t / 86400);
    int64_t rem = t % 86400;

    cv_days_to_ymd(days, &y, &mo, &d);
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, (int)(rem / 3600),
             (int)(rem % 3600 / 60), (int)(rem % 60));
}

/* ---- query strings and paths ----------------------------------------------------------------- */

enum cv_err cv_s3_encode(struct cv_buf *out, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    enum cv_err err = CV_OK;

    for (; *s && !err; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            err = cv_buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};

            err = cv_buf_append(out, e, 3);
        }
    }
    return err;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct cv_s3_param *)a)->key, ((const struct cv_s3_param *)b)->key);
}

enum cv_err cv_s3_query(struct cv_s3_param *params, size_t n, struct cv_buf *out)
{
    enum cv_err err = CV_OK;

    qsort(params, n, sizeof(*params), by_key);
    for (size_t i = 0; i < n && !err; i++) {
        if (i)
            err = cv_buf_putc(out, '&');
        if (!err)
            err = cv_s3_encode(out, params[i].key, false);
        if (!err)
            err = cv_buf_putc(out, '=');
        if (!err && params[i].value)
            err = cv_s3_encode(out, params[i].value, false);
    }
    return err;
}

/* ---- locations ------------------------------------------------------------------------------ */

static enum cv_err loc_option(struct cv_s3_loc *l, const char *opt, size_t n)
{
    const char *eq = memchr(opt, '=', n);
    size_t kl = eq ? (size_t)(eq - opt) : n, vl = eq ? n - kl - 1 : 0;
    const char *v = eq ? eq + 1 : "";

    if (kl == 6 && memcmp(opt, "region", 6) == 0) {
        if (vl == 0 || vl >= sizeof(l->region))
            return cv_fail(CV_EINVAL, "region= wants a region name");
        for (size_t i = 0; i < vl; i++)
            if (!is_name_char(v[i]))
                return cv_fail(CV_EINVAL, "region '%.*s' holds odd characters", (int)vl, v);
        memcpy(l->region, v, vl);
        l->region[vl] = '\0';
        return CV_OK;
    }
    if (kl == 5 && memcmp(opt, "style", 5) == 0) {
        if (vl == 7 && memcmp(v, "virtual", 7) == 0)
            l->virtual_host = true;
        else if (vl == 4 && memcmp(v, "path", 4) == 0)
            l->virtual_host = false;
        else
            return cv_fail(CV_EINVAL, "style= must be path or virtual");
        return CV_OK;
    }
    return cv_fail(CV_EINVAL, "unknown option '%.*s' (region=, style=)", (int)(n > 40 ? 40 : n),
                   opt);
}

static bool bucket_ok(const char *b, size_t n)
{
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '-' ||
              b[i] == '.'))
            return false;
    return b[0] != '-' && b[0] != '.' && b[n - 1] != '-' && b[n - 1] != '.';
}

static enum cv_err loc_prefix(struct cv_s3_loc *l, const char *p, size_t n)
{
    size_t o = 0;

    while (n && p[n - 1] == '/')
        n--;
    while (n && *p == '/')
        p++, n--;
    if (n + 2 > sizeof(l->prefix))
        return cv_fail(CV_EINVAL, "the prefix is longer than %zu bytes", sizeof(l->prefix) - 2);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c < 0x21 || c == 0x7f || c == '\\' || c == '?' || c == '#' || c == '%')
            return cv_fail(CV_EINVAL, "the prefix may not hold spaces, control characters, "
                                      "\\ ? # or %%");
        if (c == '/' && (i == 0 || p[i - 1] == '/'))
            return cv_fail(CV_EINVAL, "the prefix holds an empty part (//)");
        if (c == '.' && (i == 0 || p[i - 1] == '/') &&
            (i + 1 == n || p[i + 1] == '/' || (p[i + 1] == '.' && (i + 2 == n || p[i + 2] == '/'))))
            return cv_fail(CV_EINVAL, "the prefix holds a . or .. part");
        l->prefix[o++] = (char)c;
    }
    if (o)
        l->prefix[o++] = '/';
    l->prefix[o] = '\0';
    return CV_OK;
}

enum cv_err cv_s3_loc_parse(const char *location, struct cv_s3_loc *l)
{
    const char *s = location, *host, *slash, *q, *end;
    size_t hl, bl;
    enum cv_err err;
    const char *env;

    memset(l, 0, sizeof(*l));
    if (strncmp(s, "s3:", 3) != 0)
        return cv_fail(CV_EINVAL, "'%s' is not an s3: location", location);
    s += 3;
    if (strncmp(s, "https://", 8) == 0)
        host = s + 8;
    else if (strncmp(s, "http://", 7) == 0)
        host = s + 7;
    else
        return cv_fail(CV_EINVAL, "'%s': an S3 location is s3:https://host[:port]/bucket[/prefix]",
                       location);
    end = s + strlen(s);
    q = strchr(host, '?');
    if (!q)
        q = end;
    slash = memchr(host, '/', (size_t)(q - host));
    if (!slash)
        return cv_fail(CV_EINVAL, "'%s' names no bucket (s3:https://host/bucket)", location);
    hl = (size_t)(slash - host);
    if (hl == 0 || hl >= sizeof(l->host) || memchr(host, '@', hl))
        return cv_fail(CV_EINVAL, "'%s' has no usable host (and never credentials)", location);
    for (size_t i = 0; i < hl; i++)
        if (!is_name_char(host[i]) && host[i] != '[' && host[i] != ']')
            return cv_fail(CV_EINVAL, "'%s': the host holds odd characters", location);
    memcpy(l->host, host, hl);
    snprintf(l->endpoint, sizeof(l->endpoint), "%.*s%s", (int)(host - s), s, l->host);
    bl = strcspn(slash + 1, "/?");
    if (!bucket_ok(slash + 1, bl))
        return cv_fail(CV_EINVAL, "'%.*s' is not a bucket name (3-63 of a-z 0-9 . -)", (int)bl,
                       slash + 1);
    memcpy(l->bucket, slash + 1, bl);
    err = loc_prefix(l, slash + 1 + bl, (size_t)(q - (slash + 1 + bl)));
    if (err)
        return cv_fail_prefix(err, "'%s': ", location);
    env = getenv("AWS_REGION");
    if (!env || !*env)
        env = getenv("AWS_DEFAULT_REGION");
    cv_strlcpy(l->region, env && *env && strlen(env) < sizeof(l->region) ? env : "us-east-1",
               sizeof(l->region));
    for (const char *o = q; *o;) {
        const char *amp = strchr(o + 1, '&');
        size_t n = (amp ? (size_t)(amp - o) : strlen(o)) - 1;

        if ((err = loc_option(l, o + 1, n)) != CV_OK)
            return cv_fail_prefix(err, "'%s': ", location);
        o = amp ? amp : o + 1 + n;
    }
    return CV_OK;
}
