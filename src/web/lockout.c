/*
 * lockout.c: failed logins, kept per account name and source (the client's address, or its
 * /64 for IPv6) in STATE/lockout, so that guessing from one place locks that place only: a
 * nurse at another station (or anyone with the right password and one-time code) still gets
 * in. Names that are no account are kept exactly like accounts, so a locked name tells
 * nobody whether it exists. The table is bounded; when full, the entry whose last failure is
 * oldest is forgotten. The file is read and written under STATE/accounts.lock (accounts.c).
 *
 * Line format (tab-separated), after a "# chartvault lockout 1" header:
 *   name source locked-until failures
 * failures is a comma list of Unix times within the window, or "-".
 */
#include "web_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCKOUT_HEADER   "# chartvault lockout 1\n"
#define LOCKOUT_FILE_MAX (1u << 20)

void web_lockout_free(struct lockout *l)
{
    cv_free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static bool source_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= WEB_SOURCE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F') || s[i] == '.' || s[i] == ':' || s[i] == '/' ||
              s[i] == '?'))
            return false;
    return true;
}

static bool number(const char *s, int64_t *v)
{
    char *end;
    long long x;

    if (*s < '0' || *s > '9')
        return false;
    x = strtoll(s, &end, 10);
    if (*end || x < 0)
        return false;
    *v = x;
    return true;
}

static enum cv_err parse_line(char *line, struct lockout_entry *e)
{
    char *f[4], *save = NULL;
    size_t nf = 0;

    memset(e, 0, sizeof(*e));
    for (char *t = strtok_r(line, "\t", &save); t && nf < 4; t = strtok_r(NULL, "\t", &save))
        f[nf++] = t;
    if (nf != 4 || strtok_r(NULL, "\t", &save) || cv_account_name_check(f[0]) != CV_OK ||
        !source_ok(f[1]) || !number(f[2], &e->locked_until))
        return CV_EPARSE;
    strcpy(e->name, f[0]); /* both checked for length above */
    strcpy(e->source, f[1]);
    if (strcmp(f[3], "-") == 0)
        return CV_OK;
    save = NULL;
    for (char *t = strtok_r(f[3], ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (e->nfail >= CV_LOCKOUT_FAILURES || !number(t, &e->fail[e->nfail]))
            return CV_EPARSE;
        e->nfail++;
    }
    return CV_OK;
}

static struct lockout_entry *add_slot(struct lockout *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct lockout_entry *v;

        if (cap > WEB_LOCKOUT_ENTRIES)
            cap = WEB_LOCKOUT_ENTRIES;
        if (cap <= l->n)
            return NULL;
        v = cv_reallocarray(l->v, cap, sizeof(*v));
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    return &l->v[l->n++];
}

enum cv_err web_lockout_parse(char *text, struct lockout *l)
{
    size_t lineno = 0;
    char *save = NULL;

    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct lockout_entry *e;

        lineno++;
        if (line[0] == '#')
            continue;
        if (l->n >= WEB_LOCKOUT_ENTRIES)
            return cv_fail(CV_ETOOBIG, "the lockout file holds more than %d entries",
                           WEB_LOCKOUT_ENTRIES);
        e = add_slot(l);
        if (!e)
            return cv_fail(CV_ENOMEM, "out of memory");
        if (parse_line(line, e) != CV_OK)
            return cv_fail(CV_ECORRUPT, "the lockout file's line %zu is not a valid entry", lineno);
    }
    return CV_OK;
}

enum cv_err web_lockout_load(const char *state, struct lockout *l)
{
    struct cv_buf text = CV_BUF_INIT(LOCKOUT_FILE_MAX);
    enum cv_err err;

    memset(l, 0, sizeof(*l));
    err = cv_path_join(l->path, sizeof(l->path), state, "lockout");
    if (!err)
        err = cv_buf_read_file(&text, l->path);
    if (err == CV_ENOENT) {
        cv_buf_free(&text);
        return CV_OK;
    }
    if (!err)
        err = cv_file_check_private(l->path);
    if (!err && text.data)
        err = web_lockout_parse(text.data, l);
    cv_buf_free(&text);
    if (err)
        web_lockout_free(l);
    return err;
}

enum cv_err web_lockout_save(const struct lockout *l)
{
    struct cv_buf b = CV_BUF_INIT(LOCKOUT_FILE_MAX);
    enum cv_err err;

    cv_buf_puts(&b, LOCKOUT_HEADER);
    for (size_t i = 0; i < l->n; i++) {
        const struct lockout_entry *e = &l->v[i];

        cv_buf_printf(&b, "%s\t%s\t%lld\t", e->name, e->source, (long long)e->locked_until);
        for (int k = 0; k < e->nfail; k++)
            cv_buf_printf(&b, "%s%lld", k ? "," : "", (long long)e->fail[k]);
        cv_buf_puts(&b, e->nfail ? "\n" : "-\n");
    }
    err = cv_buf_error(&b);
    if (!err)
        err = cv_file_write_atomic(l->path, b.data, b.len, 0600);
    cv_buf_free(&b);
    return err;
}

/* Failures older than the window no longer count; an entry with neither failures nor a lock
 * is forgotten. */
void web_lockout_prune(struct lockout *l, time_t now)
{
    size_t k = 0;

    for (size_t i = 0; i < l->n; i++) {
        struct lockout_entry *e = &l->v[i];
        int m = 0;

        for (int j = 0; j < e->nfail; j++)
            if (e->fail[j] > now - CV_LOCKOUT_WINDOW_SECS && e->fail[j] <= now)
                e->fail[m++] = e->fail[j];
        e->nfail = m;
        if (e->locked_until <= now)
            e->locked_until = 0;
        if (e->nfail || e->locked_until)
            l->v[k++] = *e;
    }
    l->n = k;
}

static int64_t last_activity(const struct lockout_entry *e)
{
    int64_t t = e->locked_until - CV_LOCKOUT_DURATION_SECS;

    for (int j = 0; j < e->nfail; j++)
        if (e->fail[j] > t)
            t = e->fail[j];
    return t;
}

struct lockout_entry *web_lockout_get(struct lockout *l, const char *name, const char *source)
{
    struct lockout_entry *e;

    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0 && strcmp(l->v[i].source, source) == 0)
            return &l->v[i];
    if (cv_account_name_check(name) != CV_OK || !source_ok(source))
        return NULL;
    e = add_slot(l);
    if (!e) { /* full (or out of memory): the entry with the oldest activity makes room */
        if (l->n == 0)
            return NULL;
        e = &l->v[0];
        for (size_t i = 1; i < l->n; i++)
            if (last_activity(&l->v[i]) < last_activity(e))
                e = &l->v[i];
    }
    memset(e, 0, sizeof(*e));
    cv_strlcpy(e->name, name, sizeof(e->name));
    cv_strlcpy(e->source, source, sizeof(e->source));
    return e;
}

bool web_lockout_fail(struct lockout_entry *e, time_t now)
{
    if (e->nfail == CV_LOCKOUT_FAILURES) { /* cannot happen after a prune; keep the newest */
        memmove(e->fail, e->fail + 1, sizeof(e->fail[0]) * (CV_LOCKOUT_FAILURES - 1));
        e->nfail--;
    }
    e->fail[e->nfail++] = now;
    if (e->nfail < CV_LOCKOUT_FAILURES)
        return false;
    e->locked_until = now + CV_LOCKOUT_DURATION_SECS;
    e->nfail = 0;
    return true;
}

int web_lockout_count(const struct lockout *l, const char *name, time_t *locked_until)
{
    int n = 0;

    if (locked_until)
        *locked_until = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].name, name) != 0)
            continue;
        n += l->v[i].nfail + (l->v[i].locked_until ? CV_LOCKOUT_FAILURES : 0);
        if (locked_until && l->v[i].locked_until > *locked_until)
            *locked_until = (time_t)l->v[i].locked_until;
    }
    return n;
}

void web_lockout_forget(struct lockout *l, const char *name)
{
    size_t k = 0;

    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) != 0)
            l->v[k++] = l->v[i];
    l->n = k;
}
