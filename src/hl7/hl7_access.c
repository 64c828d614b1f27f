/*
 * hl7_access.c: finding segments, fields, repetitions, components and subcomponents in a
 * parsed message. Fields are located by the offsets the parse recorded; the finer levels are
 * split on demand, skipping ISO-2022-JP multibyte runs, so nothing is copied or allocated.
 */
#include "hl7_internal.h"

#include <string.h>

size_t cv_hl7_segment_count(const struct cv_hl7_msg *m)
{
    return m->nseg;
}

const char *cv_hl7_segment_id(const struct cv_hl7_msg *m, size_t seg)
{
    return seg < m->nseg ? m->segs[seg].id : "";
}

long cv_hl7_find(const struct cv_hl7_msg *m, const char *id, size_t from)
{
    for (size_t i = from; i < m->nseg; i++)
        if (memcmp(m->segs[i].id, id, 4) == 0)
            return (long)i;
    return -1;
}

int cv_hl7_field_count(const struct cv_hl7_msg *m, size_t seg)
{
    return seg < m->nseg ? (int)m->segs[seg].nfields : 0;
}

size_t hl7_find_delim(const struct cv_hl7_msg *m, const char *p, size_t n, char delim)
{
    int state = 0;
    size_t i = 0;

    while (i < n) {
        const char *esc = m->has_esc ? memchr(p + i, HL7_ESC, n - i) : NULL;
        size_t stop = esc ? (size_t)(esc - p) : n, len;
        const char *hit = state == 0 ? memchr(p + i, delim, stop - i) : NULL;

        if (hit)
            return (size_t)(hit - p);
        if (!esc)
            return n;
        len = hl7_escape_len(esc, n - stop, &state);
        i = stop + (len ? len : 1);
    }
    return n;
}

bool cv_hl7_span_next(const struct cv_hl7_msg *m, struct cv_hl7_span *rest, char delim,
                      struct cv_hl7_span *piece)
{
    size_t at;

    if (!rest->p) {
        piece->p = NULL;
        piece->n = 0;
        return false;
    }
    at = hl7_find_delim(m, rest->p, rest->n, delim);
    piece->p = rest->p;
    piece->n = at;
    if (at < rest->n) {
        rest->p += at + 1;
        rest->n -= at + 1;
    } else {
        rest->p = NULL;
        rest->n = 0;
    }
    return true;
}

/* The `index`-th (from 1) piece of `span` split at `delim`; empty when there are fewer. */
static struct cv_hl7_span nth_piece(const struct cv_hl7_msg *m, struct cv_hl7_span span, char delim,
                                    int index)
{
    struct cv_hl7_span piece = {NULL, 0};

    for (int i = 0; i < index; i++)
        if (!cv_hl7_span_next(m, &span, delim, &piece))
            return (struct cv_hl7_span){NULL, 0};
    return piece;
}

static bool field_span(const struct cv_hl7_msg *m, long seg, int field, struct cv_hl7_span *out)
{
    const struct hl7_seg *s;
    size_t start, end;

    if (seg < 0 || (size_t)seg >= m->nseg || field < 1)
        return false;
    s = &m->segs[seg];
    if ((uint32_t)field > s->nfields)
        return false;
    if (seg == 0 && field == 1) {
        out->p = m->data + s->start + 3;
        out->n = 1;
        return true;
    }
    start = m->fstart[s->first_field + field - 1];
    end = (uint32_t)field < s->nfields ? m->fstart[s->first_field + field] - 1 : s->end;
    out->p = m->data + start;
    out->n = end > start ? end - start : 0;
    return out->n > 0;
}

bool cv_hl7_raw(const struct cv_hl7_msg *m, long seg, int field, int rep, int comp, int sub,
                struct cv_hl7_span *out)
{
    struct cv_hl7_span s = {NULL, 0};

    out->p = NULL;
    out->n = 0;
    if (rep < 0 || comp < 0 || sub < 0 || !field_span(m, seg, field, &s))
        return false;
    if (seg == 0 && field <= 2) {
        /* the delimiters themselves are never split */
        if (rep > 1 || comp > 1 || sub > 1)
            return false;
        *out = s;
        return true;
    }
    if (rep > 0)
        s = nth_piece(m, s, m->delims[D_REP], rep);
    if (comp > 0 && s.n)
        s = nth_piece(m, s, m->delims[D_COMP], comp);
    if (sub > 0 && s.n)
        s = nth_piece(m, s, m->delims[D_SUB], sub);
    if (!s.n)
        return false;
    *out = s;
    return true;
}

int cv_hl7_rep_count(const struct cv_hl7_msg *m, long seg, int field)
{
    struct cv_hl7_span s, piece;
    int n = 0;

    if (!field_span(m, seg, field, &s))
        return 0;
    if (seg == 0 && field <= 2)
        return 1;
    while (n < INT32_MAX && cv_hl7_span_next(m, &s, m->delims[D_REP], &piece))
        n++;
    return n;
}
