/*
 * fuzz_mllp.c: the MLLP framing decoder and acknowledgement builder on hostile bytes. The first
 * byte picks how the rest is chunked (as TCP may split it); every message found is answered
 * with an AR built from its bytes, so the ACK escaping and field copying are exercised too.
 */
#include "fuzz.h"

#include "daemon/mllp.h"

#include <string.h>

static enum cv_err answer(enum cv_mllp_frame_status st, const char *msg, size_t len,
                          size_t full_len, void *arg)
{
    struct cv_buf *out = arg;
    struct cv_ack_request req;
    struct cv_ack_reply reply = {.code = st == CV_MLLP_FRAME_OK ? CV_ACK_AE : CV_ACK_AR,
                                 .hl7_error = "207"};
    size_t half = len / 2;

    if (len > full_len)
        __builtin_trap();
    cv_ack_request_init(&req);
    if (len >= 8) {
        req.field_sep = msg[3];
        memcpy(req.encoding, msg + 4, 4);
    }
    cv_ack_request_set(&req, req.control_id, msg, half);
    cv_ack_request_set(&req, req.sending_app, msg + half, len - half);
    cv_strlcpy(reply.text, msg, len < sizeof(reply.text) ? len + 1 : sizeof(reply.text));
    cv_buf_reset(out);
    cv_mllp_ack_build(out, &req, &reply, "CHARTVAULT", "1234567890", 0, "ID");
    /* The reply must be exactly one frame: no start/end bytes inside it. */
    for (size_t i = 1; i + 2 < out->len; i++)
        if (out->data[i] == CV_MLLP_SB || out->data[i] == CV_MLLP_EB)
            __builtin_trap();
    return CV_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cv_buf out = CV_BUF_INIT(1 << 16);
    struct cv_mllp_frame f;
    size_t chunk;

    if (size == 0)
        return 0;
    chunk = (size_t)data[0] + 1;
    data++;
    size--;
    cv_mllp_frame_init(&f, 256);
    for (size_t i = 0; i < size; i += chunk)
        cv_mllp_frame_feed(&f, data + i, size - i < chunk ? size - i : chunk, answer, &out);
    cv_mllp_frame_finish(&f, answer, &out);
    cv_mllp_frame_free(&f);
    cv_buf_free(&out);
    return 0;
}
