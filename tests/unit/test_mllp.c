/*
 * test_mllp.c: MLLP framing in every chunking, the size bound, broken frames, acknowledgement
 * text and escaping, and the listener itself over real sockets: pipelined messages answered in
 * order, many clients at once, and a client outside the allow-list refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/mllp.h"

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct seen {
    int n;
    enum cv_mllp_frame_status st[8];
    char msg[8][64];
    size_t full[8];
};

static enum cv_err collect(enum cv_mllp_frame_status st, const char *msg, size_t len,
                           size_t full_len, void *arg)
{
    struct seen *s = arg;

    if (s->n < 8) {
        s->st[s->n] = st;
        snprintf(s->msg[s->n], sizeof(s->msg[0]), "%.*s", (int)len, msg);
        s->full[s->n] = full_len;
    }
    s->n++;
    return CV_OK;
}

static const char stream[] = "\r\n\x0bMSH|a\rPID|1\x1c\r\x0bMSH|b\x1c\r junk\x0bMSH|c\x0bMSH|d\x1c";

static void test_framing_every_split(void **state)
{
    size_t n = sizeof(stream) - 1;

    (void)state;
    for (size_t cut1 = 0; cut1 <= n; cut1++) {
        for (size_t cut2 = cut1; cut2 <= n; cut2++) {
            struct cv_mllp_frame f;
            struct seen s = {0};

            cv_mllp_frame_init(&f, 1024);
            assert_int_equal(cv_mllp_frame_feed(&f, stream, cut1, collect, &s), CV_OK);
            assert_int_equal(cv_mllp_frame_feed(&f, stream + cut1, cut2 - cut1, collect, &s),
                             CV_OK);
            assert_int_equal(cv_mllp_frame_feed(&f, stream + cut2, n - cut2, collect, &s), CV_OK);
            assert_int_equal(s.n, 4);
            assert_string_equal(s.msg[0], "MSH|a\rPID|1");
            assert_int_equal(s.st[0], CV_MLLP_FRAME_OK);
            assert_string_equal(s.msg[1], "MSH|b");
            assert_string_equal(s.msg[2], "MSH|c");
            assert_int_equal(s.st[2], CV_MLLP_FRAME_UNTERMINATED);
            assert_string_equal(s.msg[3], "MSH|d");
            assert_int_equal(s.st[3], CV_MLLP_FRAME_OK);
            assert_int_equal(f.junk, 4); /* "junk"; the blanks are not counted */
            cv_mllp_frame_free(&f);
        }
    }
}

static void test_framing_bound(void **state)
{
    struct cv_mllp_frame f;
    struct seen s = {0};
    char big[3000];

    (void)state;
    memset(big, 'x', sizeof(big));
    big[0] = CV_MLLP_SB;
    big[sizeof(big) - 2] = CV_MLLP_EB;
    big[sizeof(big) - 1] = CV_MLLP_CR;
    cv_mllp_frame_init(&f, 1024);
    for (size_t i = 0; i < sizeof(big); i += 100)
        cv_mllp_frame_feed(&f, big + i, sizeof(big) - i < 100 ? sizeof(big) - i : 100, collect, &s);
    assert_int_equal(cv_mllp_frame_feed(&f, "\x0bMSH|ok\x1c\r", 10, collect, &s), CV_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.st[0], CV_MLLP_FRAME_TOO_BIG);
    assert_int_equal(s.full[0], sizeof(big) - 3);
    assert_true(f.msg.max == 1024);
    assert_int_equal(s.st[1], CV_MLLP_FRAME_OK); /* the stream stayed in step */
    assert_string_equal(s.msg[1], "MSH|ok");
    /* exactly at the bound is fine */
    memset(&s, 0, sizeof(s));
    big[1024 + 1] = CV_MLLP_EB;
    cv_mllp_frame_feed(&f, big, 1024 + 2, collect, &s);
    assert_int_equal(s.st[0], CV_MLLP_FRAME_OK);
    assert_int_equal(s.full[0], 1024);
    /* the stream ends inside a message */
    memset(&s, 0, sizeof(s));
    cv_mllp_frame_feed(&f, "\r\x0bMSH|half", 11, collect, &s);
    assert_int_equal(s.n, 0);
    cv_mllp_frame_finish(&f, collect, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.st[0], CV_MLLP_FRAME_UNTERMINATED);
    cv_mllp_frame_free(&f);
}

static void test_ack_text(void **state)
{
    struct cv_buf out = CV_BUF_INIT(4096);
    struct cv_ack_request req;
    struct cv_ack_reply aa = {.code = CV_ACK_AA};
    struct cv_ack_reply ae = {.code = CV_ACK_AE, .hl7_error = "101"};

    (void)state;
    cv_ack_request_init(&req);
    cv_ack_request_set(&req, req.sending_app, "HIS", 3);
    cv_ack_request_set(&req, req.sending_facility, "FAC|X", 5); /* delimiter: dropped */
    cv_ack_request_set(&req, req.control_id, "MSG001", 6);
    cv_ack_request_set(&req, req.trigger, "A08", 3);
    cv_ack_request_set(&req, req.version, "2.5", 3);
    assert_string_equal(req.sending_facility, "");
    assert_int_equal(cv_mllp_ack_build(&out, &req, &aa, "CHARTVAULT", "1234567890", 0, "CV1"),
                     CV_OK);
    assert_int_equal((unsigned char)out.data[0], CV_MLLP_SB);
    assert_memory_equal(out.data + out.len - 2, "\x1c\r", 2);
    assert_non_null(strstr(out.data, "MSH|^~\\&|CHARTVAULT|1234567890|HIS||"));
    assert_non_null(strstr(out.data, "||ACK^A08^ACK|CV1|P|2.5\rMSA|AA|MSG001\r\x1c"));
    cv_buf_reset(&out);
    snprintf(ae.text, sizeof(ae.text), "PID-3 is empty | a^b");
    assert_int_equal(cv_mllp_ack_build(&out, &req, &ae, "CHARTVAULT", "1", 0, "CV2"), CV_OK);
    assert_non_null(strstr(out.data, "MSA|AE|MSG001|PID-3 is empty \\F\\ a\\S\\b\r"));
    assert_non_null(strstr(out.data, "ERR|||101^Required field missing^HL70357|E||||PID-3"));
    /* odd delimiters from the sender are used for the reply */
    cv_buf_reset(&out);
    req.field_sep = '#';
    assert_int_equal(cv_mllp_ack_build(&out, &req, &aa, "CHARTVAULT", "1", 0, "CV3"), CV_OK);
    assert_non_null(strstr(out.data, "MSH#^~\\&#CHARTVAULT#1#HIS#"));
    /* unusable ones fall back to the standard set */
    cv_buf_reset(&out);
    req.field_sep = '^';
    assert_int_equal(cv_mllp_ack_build(&out, &req, &aa, "CHARTVAULT", "1", 0, "CV4"), CV_OK);
    assert_non_null(strstr(out.data, "MSH|^~\\&|CHARTVAULT|1||"));
    assert_non_null(strstr(out.data, "MSA|AA|MSG001"));
    cv_buf_free(&out);
}

/* ---- the listener over real sockets ---------------------------------------------------- */

static void answer(enum cv_mllp_frame_status st, const char *msg, size_t len, size_t full_len,
                   const char *peer, struct cv_ack_request *req, struct cv_ack_reply *reply,
                   void *arg)
{
    (void)full_len;
    (void)peer;
    (void)arg;
    /* the test messages are "MSH|<id>": echo <id> as the control ID */
    if (len > 4)
        cv_ack_request_set(req, req->control_id, msg + 4, len - 4);
    reply->code = st == CV_MLLP_FRAME_OK ? CV_ACK_AA : CV_ACK_AR;
    snprintf(reply->text, sizeof(reply->text), "%s",
             st == CV_MLLP_FRAME_TOO_BIG ? "too big" : "ok");
}

static struct cv_mllp_server *start_server_idle(const char *allow, const char *idle)
{
    char text[512];
    struct cv_config c;
    struct cv_mllp_server *s;

    snprintf(
        text, sizeof(text),
        "[index]\ndb=/i\n[source]\nfacility=1234567890\n[mllp]\nstorage=/m\n"
        "listen=127.0.0.1:1\nallow=%s\nmax_message=2K\nmax_clients=20\nmax_clients_per_address=20\n"
        "idle_timeout=%s\n",
        allow, idle);
    assert_int_equal(cv_config_parse_text("t", text, strlen(text), &c), CV_OK);
    free(c.mllp_host);
    c.mllp_port = 0; /* any free port */
    c.mllp_host = strdup("127.0.0.1");
    assert_int_equal(cv_mllp_server_open(&s, &c, answer, NULL), CV_OK);
    assert_int_equal(cv_mllp_server_start(s), CV_OK);
    cv_config_free(&c);
    return s;
}

static struct cv_mllp_server *start_server(const char *allow)
{
    return start_server_idle(allow, "5m");
}

static int connect_to(unsigned port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

/* Read until `want` acknowledgements (0x1C 0x0D) arrived or the peer closed. */
static size_t read_acks(int fd, char *buf, size_t cap, int want)
{
    size_t len = 0;
    int got = 0;

    while (got < want && len + 1 < cap) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (poll(&p, 1, 5000) != 1)
            break;
        n = read(fd, buf + len, cap - 1 - len);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            got += buf[len + (size_t)i] == CV_MLLP_EB;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return len;
}

static void test_server_pipelined_and_bounded(void **state)
{
    struct cv_mllp_server *s = start_server("127.0.0.1/32");
    struct cv_mllp_counters k;
    char big[3000], buf[8192];
    int fd = connect_to(cv_mllp_server_port(s));
    const char *p;

    (void)state;
    memset(big, 'x', sizeof(big));
    memcpy(big, "\x0bMSH|big", 8);
    big[sizeof(big) - 2] = CV_MLLP_EB;
    big[sizeof(big) - 1] = CV_MLLP_CR;
    assert_int_equal(write(fd, "\x0bMSH|one\x1c\r\x0bMSH|two\x1c\r", 20), 20);
    assert_int_equal(write(fd, big, sizeof(big)), sizeof(big));
    assert_int_equal(write(fd, "\x0bMSH|three\x1c\r", 12), 12);
    read_acks(fd, buf, sizeof(buf), 4);
    p = strstr(buf, "MSA|AA|one");
    assert_non_null(p);
    p = strstr(p, "MSA|AA|two");
    assert_non_null(p);
    p = strstr(p, "MSA|AR|");
    assert_non_null(p);
    assert_non_null(strstr(p, "too big"));
    assert_non_null(strstr(p, "MSA|AA|three"));
    close(fd);
    cv_mllp_server_counters(s, &k);
    assert_int_equal(k.messages, 4);
    assert_int_equal(k.accepted, 3);
    assert_int_equal(k.rejected, 1);
    assert_true(cv_mllp_server_alive(s));
    cv_mllp_server_free(s);
}

static void test_server_many_clients(void **state)
{
    struct cv_mllp_server *s = start_server("127.0.0.0/8");
    int fds[15];
    char buf[1024], msg[32];

    (void)state;
    for (int i = 0; i < 15; i++)
        fds[i] = connect_to(cv_mllp_server_port(s));
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 15; i++) {
            int n = snprintf(msg, sizeof(msg), "\x0bMSH|c%dr%d\x1c\r", i, round);

            assert_int_equal(write(fds[i], msg, (size_t)n), n);
        }
        for (int i = 0; i < 15; i++) {
            char want[32];

            read_acks(fds[i], buf, sizeof(buf), 1);
            snprintf(want, sizeof(want), "MSA|AA|c%dr%d\r", i, round);
            assert_non_null(strstr(buf, want));
        }
    }
    for (int i = 0; i < 15; i++)
        close(fds[i]);
    cv_mllp_server_free(s);
}

static void test_server_allow_list(void **state)
{
    struct cv_mllp_server *s = start_server("10.0.0.0/8");
    struct cv_mllp_counters k;
    char buf[256];
    int fd = connect_to(cv_mllp_server_port(s));

    (void)state;
    (void)!write(fd, "\x0bMSH|x\x1c\r", 9);
    assert_int_equal(read_acks(fd, buf, sizeof(buf), 1), 0); /* closed, nothing said */
    close(fd);
    cv_mllp_server_counters(s, &k);
    assert_int_equal(k.refused, 1);
    assert_int_equal(k.messages, 0);
    cv_mllp_server_free(s);
}

/* A silent client is closed after the idle timeout; an active one is not. */
static void test_server_idle_timeout(void **state)
{
    struct cv_mllp_server *s = start_server_idle("127.0.0.1", "1s");
    int quiet = connect_to(cv_mllp_server_port(s));
    int busy = connect_to(cv_mllp_server_port(s));
    char buf[512];

    (void)state;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(write(busy, "\x0bMSH|x\x1c\r", 9), 9);
        assert_true(read_acks(busy, buf, sizeof(buf), 1) > 0);
        usleep(500 * 1000);
    }
    assert_int_equal(read_acks(quiet, buf, sizeof(buf), 1), 0); /* closed */
    assert_int_equal(write(busy, "\x0bMSH|y\x1c\r", 9), 9);
    assert_true(read_acks(busy, buf, sizeof(buf), 1) > 0);
    close(quiet);
    close(busy);
    cv_mllp_server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing_every_split),
        cmocka_unit_test(test_framing_bound),
        cmocka_unit_test(test_ack_text),
        cmocka_unit_test(test_server_pipelined_and_bounded),
        cmocka_unit_test(test_server_many_clients),
        cmocka_unit_test(test_server_allow_list),
        cmocka_unit_test(test_server_idle_timeout),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
