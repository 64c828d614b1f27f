/*
 * json.c: a streaming JSON writer for --json output and manifests. The caller drives the
 * structure; this file handles commas, indentation and string escaping, and turns invalid
 * UTF-8 into U+FFFD so that output is always valid JSON whatever the input bytes were.
 */
#include <chartvault/common.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cv_json_init(struct cv_json *j, struct cv_buf *out, bool pretty)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
    j->pretty = pretty;
}

static void put(struct cv_json *j, const char *s, size_t n)
{
    if (!j->err)
        j->err = cv_buf_append(j->out, s, n);
}

static void newline(struct cv_json *j)
{
    static const char spaces[] = "                                                                ";

    if (!j->pretty)
        return;
    put(j, "\n", 1);
    put(j, spaces, (size_t)(j->depth * 2 < 64 ? j->depth * 2 : 64));
}

/* Before any value or key: the comma and the line break it needs. */
static void before_value(struct cv_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth > 0) {
        if (j->need_comma[j->depth])
            put(j, ",", 1);
        newline(j);
        j->need_comma[j->depth] = true;
    }
}

static void open_scope(struct cv_json *j, char c)
{
    before_value(j);
    put(j, &c, 1);
    if (j->depth + 1 >= (int)CV_ARRAY_LEN(j->need_comma)) {
        if (!j->err)
            j->err = cv_fail(CV_EINVAL, "JSON nested too deep");
        return;
    }
    j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_scope(struct cv_json *j, char c)
{
    bool had_items = j->need_comma[j->depth];

    if (j->depth > 0)
        j->depth--;
    if (had_items)
        newline(j);
    put(j, &c, 1);
}

void cv_json_object_begin(struct cv_json *j)
{
    open_scope(j, '{');
}

void cv_json_object_end(struct cv_json *j)
{
    close_scope(j, '}');
}

void cv_json_array_begin(struct cv_json *j)
{
    open_scope(j, '[');
}

void cv_json_array_end(struct cv_json *j)
{
    close_scope(j, ']');
}

static void put_string(struct cv_json *j, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;

    put(j, "\"", 1);
    while (i < n) {
        size_t len = cv_utf8_len(p + i, n - i);
        char esc[8];

        if (len == 1 && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\') {
            i++;
            run++;
            continue;
        }
        if (len > 1) {
            i += len;
            run += len;
            continue;
        }
        put(j, (const char *)p + i - run, run);
        run = 0;
        if (len == 0)
            put(j, "\xEF\xBF\xBD", 3);
        else if (p[i] == '"')
            put(j, "\\\"", 2);
        else if (p[i] == '\\')
            put(j, "\\\\", 2);
        else if (p[i] == '\n')
            put(j, "\\n", 2);
        else if (p[i] == '\r')
            put(j, "\\r", 2);
        else if (p[i] == '\t')
            put(j, "\\t", 2);
        else {
            snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
            put(j, esc, 6);
        }
        i++;
    }
    put(j, (const char *)p + i - run, run);
    put(j, "\"", 1);
}

void cv_json_key(struct cv_json *j, const char *key)
{
    before_value(j);
    put_string(j, key, strlen(key));
    put(j, j->pretty ? ": " : ":", j->pretty ? 2 : 1);
    j->after_key = true;
}

void cv_json_string_n(struct cv_json *j, const char *s, size_t n)
{
    before_value(j);
    put_string(j, s, n);
}

void cv_json_string(struct cv_json *j, const char *s)
{
    if (!s) {
        cv_json_null(j);
        return;
    }
    cv_json_string_n(j, s, strlen(s));
}

static void put_raw_value(struct cv_json *j, const char *s)
{
    before_value(j);
    put(j, s, strlen(s));
}

void cv_json_int(struct cv_json *j, long long v)
{
    char num[32];

    snprintf(num, sizeof(num), "%lld", v);
    put_raw_value(j, num);
}

void cv_json_double(struct cv_json *j, double v)
{
    char num[64];

    if (!isfinite(v)) {
        put_raw_value(j, "null");
        return;
    }
    snprintf(num, sizeof(num), "%.17g", v);
    /* shortest form that reads back the same */
    for (int prec = 1; prec < 17; prec++) {
        char shorter[64];

        snprintf(shorter, sizeof(shorter), "%.*g", prec, v);
        if (strtod(shorter, NULL) == v) {
            memcpy(num, shorter, sizeof(num));
            break;
        }
    }
    put_raw_value(j, num);
}

void cv_json_bool(struct cv_json *j, bool v)
{
    put_raw_value(j, v ? "true" : "false");
}

void cv_json_null(struct cv_json *j)
{
    put_raw_value(j, "null");
}

void cv_json_kv_string(struct cv_json *j, const char *key, const char *s)
{
    cv_json_key(j, key);
    cv_json_string(j, s);
}

void cv_json_kv_int(struct cv_json *j, const char *key, long long v)
{
    cv_json_key(j, key);
    cv_json_int(j, v);
}

void cv_json_kv_double(struct cv_json *j, const char *key, double v)
{
    cv_json_key(j, key);
    cv_json_double(j, v);
}

void cv_json_kv_bool(struct cv_json *j, const char *key, bool v)
{
    cv_json_key(j, key);
    cv_json_bool(j, v);
}

enum cv_err cv_json_finish(struct cv_json *j)
{
    return j->err;
}
