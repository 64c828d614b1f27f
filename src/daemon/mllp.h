/*
 * mllp.h: HL7 v2 over TCP with the Minimal Lower Layer Protocol: the framing decoder
 * (0x0B message 0x1C 0x0D), acknowledgement building (MSA AA/AE/AR with ERR), and the
 * listener that accepts many clients, enforces the allow-list and hands each whole message
 * to a handler that decides the acknowledgement. Everything arriving here is hostile: every
 * size is bounded and every refusal says why.
 */
#ifndef CHARTVAULT_DAEMON_MLLP_H
#define CHARTVAULT_DAEMON_MLLP_H

#include <chartvault/config.h>

#include <stdint.h>

#define CV_MLLP_SB 0x0b /* start block */
#define CV_MLLP_EB 0x1c /* end block */
#define CV_MLLP_CR 0x0d

/* ---- framing -------------------------------------------------------------------------- */
enum cv_mllp_frame_status {
    CV_MLLP_FRAME_OK,           /* a whole message */
    CV_MLLP_FRAME_TOO_BIG,      /* longer than the bound; `msg` holds its first bytes */
    CV_MLLP_FRAME_UNTERMINATED, /* a new 0x0B or the end of the stream came before 0x1C */
};

/* Called for every message the decoder finds, in order. `msg`/`len` is the message (or its
 * kept head) without framing bytes, valid only during the call; `full_len` counts every byte
 * of it. Return CV_OK to go on, anything else stops cv_mllp_frame_feed with that error. */
typedef enum cv_err (*cv_mllp_frame_fn)(enum cv_mllp_frame_status st, const char *msg, size_t len,
                                        size_t full_len, void *arg);

struct cv_mllp_frame {
    struct cv_buf msg; /* capped at the message bound */
    size_t full_len;
    int state;
    uint64_t junk; /* non-blank bytes seen outside frames */
};

void cv_mllp_frame_init(struct cv_mllp_frame *f, size_t max_message);
enum cv_err cv_mllp_frame_feed(struct cv_mllp_frame *f, const void *p, size_t n,
                               cv_mllp_frame_fn fn, void *arg);
/* The stream ended: report a message still open as UNTERMINATED. */
enum cv_err cv_mllp_frame_finish(struct cv_mllp_frame *f, cv_mllp_frame_fn fn, void *arg);
void cv_mllp_frame_free(struct cv_mllp_frame *f);

/* ---- acknowledgements ----------------------------------------------------------------- */
enum cv_ack_code { CV_ACK_AA, CV_ACK_AE, CV_ACK_AR };

/* What an acknowledgement echoes from the message it answers. Any field may stay "" (a
 * message too broken to read still gets an AR). Fill the text fields with
 * cv_ack_request_set(), which keeps a value only when it is short printable ASCII free of
 * the message's delimiters; anything else is left out of the reply rather than echoed. */
#define CV_ACK_FIELD_MAX 128
struct cv_ack_request {
    char field_sep;   /* MSH-1, '|' when unknown */
    char encoding[5]; /* MSH-2, "^~\\&" when unknown */
    char sending_app[CV_ACK_FIELD_MAX], sending_facility[CV_ACK_FIELD_MAX];     /* MSH-3/4 */
    char receiving_app[CV_ACK_FIELD_MAX], receiving_facility[CV_ACK_FIELD_MAX]; /* MSH-5/6 */
    char trigger[CV_ACK_FIELD_MAX];       /* MSH-9.2, e.g. "A08" */
    char control_id[CV_ACK_FIELD_MAX];    /* MSH-10 */
    char processing_id[CV_ACK_FIELD_MAX]; /* MSH-11, "P" when unknown */
    char version[CV_ACK_FIELD_MAX];       /* MSH-12, "2.5" when unknown */
};

/* Default delimiters and empty fields. */
void cv_ack_request_init(struct cv_ack_request *req);
/* Copy `n` bytes of `value` into `field` (one of req's arrays) when safe; else leave "". */
void cv_ack_request_set(const struct cv_ack_request *req, char *field, const char *value, size_t n);

struct cv_ack_reply {
    enum cv_ack_code code;
    const char *hl7_error; /* HL7 table 0357 code for ERR-3: "100".."207", NULL for AA */
    char text[200];        /* reason for MSA-3 and ERR-8; ASCII, no patient data */
};

/* Append one framed acknowledgement (0x0B ... 0x1C 0x0D) to `out`. `our_app`/`our_facility`
 * become MSH-3/MSH-4; `ack_id` is MSH-10 of the acknowledgement itself. */
enum cv_err cv_mllp_ack_build(struct cv_buf *out, const struct cv_ack_request *req,
                              const struct cv_ack_reply *reply, const char *our_app,
                              const char *our_facility, time_t now, const char *ack_id);

/* ---- listener ----------------------------------------------------------------------- */
/* Decide about one whole message: fill `reply` (code, error, text). Called on the listener
 * thread, one message at a time, in arrival order per client; it must make the message durable
 * before answering AA. `peer` is the client's address as text, for logs. For a message that
 * was too big or broken, `status` says so and the handler keeps it aside and answers AR. */
typedef void (*cv_mllp_handler)(enum cv_mllp_frame_status status, const char *msg, size_t len,
                                size_t full_len, const char *peer, struct cv_ack_request *req,
                                struct cv_ack_reply *reply, void *arg);

struct cv_mllp_counters {
    uint64_t connections, refused, messages, accepted, errors, rejected, bytes;
};

struct cv_mllp_server;

/* Bind and listen on cfg->mllp_host:mllp_port (fails at once if the port is taken). */
enum cv_err cv_mllp_server_open(struct cv_mllp_server **out, const struct cv_config *cfg,
                                cv_mllp_handler handler, void *arg);
/* Serve on a thread of its own until cv_mllp_server_stop(). */
enum cv_err cv_mllp_server_start(struct cv_mllp_server *s);
/* The port actually bound (useful when several listeners are compared in tests). */
unsigned cv_mllp_server_port(const struct cv_mllp_server *s);
/* A consistent copy of the counters, and whether the serving thread is still alive. */
void cv_mllp_server_counters(struct cv_mllp_server *s, struct cv_mllp_counters *out);
bool cv_mllp_server_alive(struct cv_mllp_server *s);
/* Stop serving, close every connection, join the thread, free. NULL is a no-op. */
void cv_mllp_server_free(struct cv_mllp_server *s);

#endif
