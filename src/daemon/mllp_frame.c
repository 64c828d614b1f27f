/*
 * mllp_frame.c: the MLLP framing decoder. Bytes arrive in any chunking; a message is what lies
 * between 0x0B and 0x1C (followed by 0x0D). The decoder keeps at most the configured bound of
 * one message in memory: a longer one is still read to its end (so the stream stays in step)
 * and then reported as too big with its head, which is enough to answer it. Blank bytes
 * between frames are ignored; other stray bytes are counted for the log.
 */
#include "mllp.h"

#include <string.h>

enum { WAIT_START, IN_MESSAGE, AFTER_END };

void cv_mllp_frame_init(struct cv_mllp_frame *f, size_t max_message)
{
    memset(f, 0, sizeof(*f));
    cv_buf_init(&f->msg, max_message);
    f->state = WAIT_START;
}

void cv_mllp_frame_free(struct cv_mllp_frame *f)
{
    cv_buf_free(&f->msg);
}

static enum cv_err deliver(struct cv_mllp_frame *f, enum cv_mllp_frame_status st,
                           cv_mllp_frame_fn fn, void *arg)
{
    enum cv_err err;

    if (st == CV_MLLP_FRAME_OK && f->full_len > f->msg.len)
        st = CV_MLLP_FRAME_TOO_BIG;
    err = fn(st, f->msg.data ? f->msg.data : "", f->msg.len, f->full_len, arg);
    cv_buf_reset(&f->msg);
    f->full_len = 0;
    return err;
}

/* Append what fits under the bound; count the rest. */
static enum cv_err keep(struct cv_mllp_frame *f, const char *p, size_t n)
{
    size_t room = f->msg.max - f->msg.len;

    f->full_len += n;
    if (n > room)
        n = room;
    return n ? cv_buf_append(&f->msg, p, n) : CV_OK;
}

static bool blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\0';
}

enum cv_err cv_mllp_frame_feed(struct cv_mllp_frame *f, const void *data, size_t n,
                               cv_mllp_frame_fn fn, void *arg)
{
    const char *p = data, *end = p + n;
    enum cv_err err = CV_OK;

    while (p < end && !err) {
        switch (f->state) {
        case WAIT_START:
            if (*p == CV_MLLP_SB)
                f->state = IN_MESSAGE;
            else if (!blank((unsigned char)*p))
                f->junk++;
            p++;
            break;
        case IN_MESSAGE: {
            const char *q = p;

            while (q < end && *q != CV_MLLP_EB && *q != CV_MLLP_SB)
                q++;
            err = keep(f, p, (size_t)(q - p));
            p = q;
            if (err || p == end)
                break;
            if (*p == CV_MLLP_SB) {
                /* A new frame began before this one ended: report it, start over. */
                err = deliver(f, CV_MLLP_FRAME_UNTERMINATED, fn, arg);
                p++;
                break;
            }
            p++;
            f->state = AFTER_END;
            err = deliver(f, CV_MLLP_FRAME_OK, fn, arg);
            break;
        }
        case AFTER_END:
            /* 0x1C should be followed by 0x0D; accept its absence rather than lose a frame. */
            if (*p == CV_MLLP_CR)
                p++;
            f->state = WAIT_START;
            break;
        }
    }
    return err;
}

enum cv_err cv_mllp_frame_finish(struct cv_mllp_frame *f, cv_mllp_frame_fn fn, void *arg)
{
    enum cv_err err = CV_OK;

    if (f->state == IN_MESSAGE)
        err = deliver(f, CV_MLLP_FRAME_UNTERMINATED, fn, arg);
    f->state = WAIT_START;
    return err;
}
