/*
 * mllp_ack.c: builds the HL7 v2.5 acknowledgement that answers each MLLP message: an MSH that
 * swaps sender and receiver, MSA with AA/AE/AR and the original control ID, and for a refusal
 * an ERR segment with the table 0357 code and a reason a person can act on. Nothing from the
 * incoming message is echoed unless it is short, printable ASCII and free of delimiters, so a
 * hostile message cannot smuggle segments into our reply.
 */
#include "mllp.h"

#include <string.h>

static const struct {
    const char *code, *name;
} hl7_errors[] = {
    {"100", "Segment sequence error"},    {"101", "Required field missing"},
    {"102", "Data type error"},           {"103", "Table value not found"},
    {"200", "Unsupported message type"},  {"201", "Unsupported event code"},
    {"202", "Unsupported processing id"}, {"203", "Unsupported version id"},
    {"204", "Unknown key identifier"},    {"205", "Duplicate key identifier"},
    {"206", "Application record locked"}, {"207", "Application internal error"},
};

void cv_ack_request_init(struct cv_ack_request *req)
{
    memset(req, 0, sizeof(*req));
    req->field_sep = '|';
    memcpy(req->encoding, "^~\\&", 5);
}

static bool is_delimiter(const struct cv_ack_request *req, char c)
{
    return c == req->field_sep || c == '|' || strchr(req->encoding, c) != NULL;
}

void cv_ack_request_set(const struct cv_ack_request *req, char *field, const char *value, size_t n)
{
    field[0] = '\0';
    if (n >= CV_ACK_FIELD_MAX)
        return;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] > 0x7e ||
            is_delimiter(req, value[i]))
            return;
    memcpy(field, value, n);
    field[n] = '\0';
}

/* Free text into a field: delimiters become HL7 escape sequences, control bytes a space. */
static enum cv_err put_escaped(struct cv_buf *out, const struct cv_ack_request *req, const char *s)
{
    const char esc = req->encoding[2];
    enum cv_err err = CV_OK;

    for (; *s && !err; s++) {
        const char *seq = NULL;

        if (*s == req->field_sep)
            seq = "F";
        else if (*s == req->encoding[0])
            seq = "S";
        else if (*s == req->encoding[1])
            seq = "R";
        else if (*s == esc)
            seq = "E";
        else if (*s == req->encoding[3])
            seq = "T";
        if (seq)
            err = cv_buf_printf(out, "%c%s%c", esc, seq, esc);
        else
            err = cv_buf_putc(out, (unsigned char)*s < 0x20 ? ' ' : *s);
    }
    return err;
}

static const char *hl7_error_name(const char *code)
{
    for (size_t i = 0; i < CV_ARRAY_LEN(hl7_errors); i++)
        if (strcmp(hl7_errors[i].code, code) == 0)
            return hl7_errors[i].name;
    return "Application internal error";
}

/* MSA-3 and the ERR segment of a refusal. */
static enum cv_err put_error(struct cv_buf *out, const struct cv_ack_request *req,
                             const struct cv_ack_reply *reply)
{
    const char *code = reply->hl7_error ? reply->hl7_error : "207";
    char f = req->field_sep, c = req->encoding[0];
    enum cv_err err;

    err = cv_buf_putc(out, f);
    if (!err)
        err = put_escaped(out, req, reply->text);
    if (!err)
        err = cv_buf_printf(out, "\rERR%c%c%c%s%c%s%cHL70357%cE%c%c%c%c", f, f, f, code, c,
                            hl7_error_name(code), c, f, f, f, f, f);
    if (!err)
        err = put_escaped(out, req, reply->text);
    return err;
}

static bool delimiters_usable(const struct cv_ack_request *req)
{
    const char *all = req->encoding;

    if ((unsigned char)req->field_sep < 0x21 || (unsigned char)req->field_sep > 0x7e ||
        strlen(all) != 4)
        return false;
    for (int i = 0; i < 4; i++)
        if ((unsigned char)all[i] < 0x21 || (unsigned char)all[i] > 0x7e ||
            all[i] == req->field_sep || strchr(all + i + 1, all[i]))
            return false;
    return true;
}

enum cv_err cv_mllp_ack_build(struct cv_buf *out, const struct cv_ack_request *req_in,
                              const struct cv_ack_reply *reply, const char *our_app,
                              const char *our_facility, time_t now, const char *ack_id)
{
    static const char *const codes[] = {"AA", "AE", "AR"};
    struct cv_ack_request req = *req_in;
    char ts[32];
    enum cv_err err;
    struct tm tm;
    char f;

    if (!delimiters_usable(&req)) {
        cv_ack_request_init(&req);
        cv_ack_request_set(&req, req.control_id, req_in->control_id,
                           strnlen(req_in->control_id, sizeof(req.control_id)));
    }
    f = req.field_sep;
    localtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y%m%d%H%M%S%z", &tm);
    err = cv_buf_printf(out, "%cMSH%c%s%c%s%c%s%c%s%c%s%c%s%c%cACK", CV_MLLP_SB, f, req.encoding, f,
                        our_app, f, our_facility, f, req.sending_app, f, req.sending_facility, f,
                        ts, f, f);
    if (!err && req.trigger[0])
        err = cv_buf_printf(out, "%c%s%cACK", req.encoding[0], req.trigger, req.encoding[0]);
    if (!err)
        err = cv_buf_printf(out, "%c%s%c%s%c%s\rMSA%c%s%c%s", f, ack_id, f,
                            req.processing_id[0] ? req.processing_id : "P", f,
                            req.version[0] ? req.version : "2.5", f, codes[reply->code], f,
                            req.control_id);
    if (!err && reply->code != CV_ACK_AA)
        err = put_error(out, &req, reply);
    if (!err)
        err = cv_buf_printf(out, "\r%c%c", CV_MLLP_EB, CV_MLLP_CR);
    return err;
}
