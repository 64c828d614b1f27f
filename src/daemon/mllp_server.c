/*
 * mllp_server.c: the MLLP listener. One thread polls the listening socket and every client;
 * each whole message goes to the handler (which stores it durably) and its acknowledgement is
 * queued back in order. Clients outside the allow-list are closed at once, a client that sends
 * faster than it reads its acknowledgements is no longer read until it catches up, and a silent
 * client is closed after the idle timeout. The thread never exits on a client's behaviour; if
 * it does stop (poll itself failing), cv_mllp_server_alive() says so and the daemon alerts.
 */
#include "mllp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK   65536
#define OUT_HIGH     65536     /* stop reading a client with this much unread ACK data */
#define OUT_MAX      (1 << 20) /* hard cap on queued ACK bytes per client */
#define POLL_TICK_MS 1000

struct client {
    int fd;
    struct cv_mllp_frame frame;
    struct cv_buf out;
    size_t out_sent;
    uint64_t last_active_ms;
    bool eof;
    char peer[INET6_ADDRSTRLEN + 8];
    struct cv_mllp_server *server;
};

struct cv_mllp_server {
    int listen_fd;
    int wake[2];
    unsigned port;
    size_t max_message;
    unsigned max_clients;
    long max_per_address; /* one sender cannot take every slot */
    long idle_timeout;
    struct cv_cidr allow[CV_CONFIG_MAX_ALLOW];
    size_t nallow;
    char facility[32];
    cv_mllp_handler handler;
    void *arg;

    struct client **clients;
    size_t nclients;
    struct pollfd *pfds;
    char *readbuf;
    unsigned long ack_seq;

    pthread_t thread;
    bool started;
    atomic_bool alive;
    atomic_bool stopping;
    pthread_mutex_t lock; /* guards counters */
    struct cv_mllp_counters counters;
};

static void count(struct cv_mllp_server *s, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&s->lock);
    *field += n;
    pthread_mutex_unlock(&s->lock);
}

static void format_peer(const struct sockaddr_storage *ss, char *buf, size_t n)
{
    const void *a = ss->ss_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

    if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)n))
        cv_strlcpy(buf, "?", n);
}

static enum cv_err open_listener(struct cv_mllp_server *s, const char *host, unsigned port)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int one = 1, zero = 0, fd;

    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ss.ss_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
        sl = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ss.ss_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
        sl = sizeof(struct sockaddr_in6);
    } else {
        return cv_fail(CV_EINVAL, "'%s' is not an IP address", host);
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cv_fail_errno(CV_ENET, "cannot make a socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6) /* "::" takes IPv4 clients too */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) {
        enum cv_err err = cv_fail_errno(CV_ENET, "cannot listen on %s port %u", host, port);

        close(fd);
        return err;
    }
    sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    s->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                            : ((struct sockaddr_in6 *)&ss)->sin6_port);
    s->listen_fd = fd;
    return CV_OK;
}

enum cv_err cv_mllp_server_open(struct cv_mllp_server **out, const struct cv_config *cfg,
                                cv_mllp_handler handler, void *arg)
{
    struct cv_mllp_server *s;
    enum cv_err err;

    *out = NULL;
    s = cv_calloc(1, sizeof(*s));
    if (!s)
        return cv_fail(CV_ENOMEM, "out of memory");
    s->listen_fd = s->wake[0] = s->wake[1] = -1;
    s->max_message = cfg->mllp_max_message;
    s->max_clients = cfg->mllp_max_clients;
    s->max_per_address = cfg->mllp_max_per_address > 0 ? cfg->mllp_max_per_address : 8;
    s->idle_timeout = cfg->mllp_idle_timeout;
    memcpy(s->allow, cfg->allow, sizeof(s->allow));
    s->nallow = cfg->nallow;
    cv_strlcpy(s->facility, cfg->facility ? cfg->facility : "", sizeof(s->facility));
    s->handler = handler;
    s->arg = arg;
    pthread_mutex_init(&s->lock, NULL);
    s->clients = cv_calloc(s->max_clients, sizeof(*s->clients));
    s->pfds = cv_calloc(s->max_clients + 2, sizeof(*s->pfds));
    s->readbuf = cv_malloc(READ_CHUNK);
    if (!s->clients || !s->pfds || !s->readbuf) {
        err = cv_fail(CV_ENOMEM, "out of memory");
        goto out_free;
    }
    if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        err = cv_fail_errno(CV_EIO, "cannot make a pipe");
        goto out_free;
    }
    err = open_listener(s, cfg->mllp_host, cfg->mllp_port);
    if (err)
        goto out_free;
    *out = s;
    return CV_OK;
out_free:
    cv_mllp_server_free(s);
    return err;
}

unsigned cv_mllp_server_port(const struct cv_mllp_server *s)
{
    return s->port;
}

void cv_mllp_server_counters(struct cv_mllp_server *s, struct cv_mllp_counters *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->counters;
    pthread_mutex_unlock(&s->lock);
}

bool cv_mllp_server_alive(struct cv_mllp_server *s)
{
    return atomic_load(&s->alive);
}

static void client_free(struct client *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    cv_mllp_frame_free(&c->frame);
    cv_buf_free(&c->out);
    cv_free(c);
}

static long clients_from(const struct cv_mllp_server *s, const char *peer)
{
    long n = 0;

    for (size_t i = 0; i < s->nclients; i++)
        n += strcmp(s->clients[i]->peer, peer) == 0;
    return n;
}

static void accept_client(struct cv_mllp_server *s)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char peer[INET6_ADDRSTRLEN + 8];
    struct client *c;
    int fd = accept4(s->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            log_warn("mllp: accept failed: %s", strerror(errno));
        return;
    }
    format_peer(&ss, peer, sizeof(peer));
    count(s, &s->counters.connections, 1);
    if (!cv_cidr_match_any(s->allow, s->nallow, (struct sockaddr *)&ss)) {
        log_warn("mllp: refused a connection from %s: not in the [mllp] allow list", peer);
        count(s, &s->counters.refused, 1);
        close(fd);
        return;
    }
    if (clients_from(s, peer) >= s->max_per_address) {
        log_warn("mllp: refused a connection from %s: %ld connections from that address already "
                 "([mllp] max_clients_per_address)",
                 peer, s->max_per_address);
        count(s, &s->counters.refused, 1);
        close(fd);
        return;
    }
    if (s->nclients == s->max_clients || !(c = cv_calloc(1, sizeof(*c)))) {
        log_warn("mllp: refused a connection from %s: %u clients already connected", peer,
                 s->max_clients);
        count(s, &s->counters.refused, 1);
        close(fd);
        return;
    }
    c->fd = fd;
    c->server = s;
    cv_mllp_frame_init(&c->frame, s->max_message);
    cv_buf_init(&c->out, OUT_MAX);
    c->last_active_ms = cv_monotonic_ms();
    cv_strlcpy(c->peer, peer, sizeof(c->peer));
    s->clients[s->nclients++] = c;
    log_debug("mllp: connection from %s", peer);
}

/* One whole message from a client: let the handler decide, queue the acknowledgement. */
static enum cv_err on_message(enum cv_mllp_frame_status st, const char *msg, size_t len,
                              size_t full_len, void *arg)
{
    struct client *c = arg;
    struct cv_mllp_server *s = c->server;
    struct cv_ack_request req;
    struct cv_ack_reply reply = {.code = CV_ACK_AR, .hl7_error = "207"};
    char ack_id[32];
    enum cv_err err;

    cv_ack_request_init(&req);
    cv_strlcpy(reply.text, "not processed", sizeof(reply.text));
    s->handler(st, msg, len, full_len, c->peer, &req, &reply, s->arg);
    pthread_mutex_lock(&s->lock);
    s->counters.messages++;
    s->counters.bytes += full_len;
    if (reply.code == CV_ACK_AA)
        s->counters.accepted++;
    else if (reply.code == CV_ACK_AE)
        s->counters.errors++;
    else
        s->counters.rejected++;
    pthread_mutex_unlock(&s->lock);
    snprintf(ack_id, sizeof(ack_id), "CV%lld%06lu", (long long)cv_now(), ++s->ack_seq % 1000000);
    err = cv_mllp_ack_build(&c->out, &req, &reply, "CHARTVAULT", s->facility, cv_now(), ack_id);
    if (err)
        log_warn("mllp: cannot queue an acknowledgement for %s: %s", c->peer, cv_errmsg());
    return err;
}

/* Returns false when the client is finished and must be dropped. */
static bool client_read(struct client *c)
{
    struct cv_mllp_server *s = c->server;
    ssize_t n = recv(c->fd, s->readbuf, READ_CHUNK, 0);

    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    c->last_active_ms = cv_monotonic_ms();
    if (n == 0) {
        cv_mllp_frame_finish(&c->frame, on_message, c);
        c->eof = true;
        return c->out.len > c->out_sent;
    }
    if (cv_mllp_frame_feed(&c->frame, s->readbuf, (size_t)n, on_message, c) != CV_OK)
        return false;
    if (c->frame.junk) {
        log_warn("mllp: %s sent %llu bytes outside MLLP frames (ignored)", c->peer,
                 (unsigned long long)c->frame.junk);
        c->frame.junk = 0;
    }
    return true;
}

static bool client_write(struct client *c)
{
    ssize_t n = send(c->fd, c->out.data + c->out_sent, c->out.len - c->out_sent, MSG_NOSIGNAL);

    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    c->out_sent += (size_t)n;
    if (c->out_sent == c->out.len) {
        cv_buf_reset(&c->out);
        c->out_sent = 0;
        return !c->eof;
    }
    return true;
}

static void drop_client(struct cv_mllp_server *s, size_t i)
{
    client_free(s->clients[i]);
    s->clients[i] = s->clients[--s->nclients];
}

static void service_clients(struct cv_mllp_server *s, size_t first_pfd)
{
    uint64_t now = cv_monotonic_ms();

    for (size_t i = s->nclients; i-- > 0;) {
        struct client *c = s->clients[i];
        short re = s->pfds[first_pfd + i].revents;
        bool keep = true;

        if (re & (POLLERR | POLLNVAL))
            keep = false;
        if (keep && (re & (POLLIN | POLLHUP)) && !c->eof)
            keep = client_read(c);
        if (keep && (re & POLLOUT))
            keep = client_write(c);
        /* last_active_ms may be newer than `now` after this round's read: add, not subtract */
        if (keep && c->last_active_ms + (uint64_t)s->idle_timeout * 1000 < now) {
            log_info("mllp: closing %s after %ld s without traffic", c->peer, s->idle_timeout);
            keep = false;
        }
        if (!keep)
            drop_client(s, i);
    }
}

static void *serve(void *arg)
{
    struct cv_mllp_server *s = arg;

    while (!atomic_load(&s->stopping)) {
        size_t np = 2;
        int r;

        s->pfds[0] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        s->pfds[1] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        for (size_t i = 0; i < s->nclients; i++) {
            struct client *c = s->clients[i];
            short ev = 0;

            if (!c->eof && c->out.len - c->out_sent < OUT_HIGH)
                ev |= POLLIN;
            if (c->out.len > c->out_sent)
                ev |= POLLOUT;
            s->pfds[np++] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        r = poll(s->pfds, np, POLL_TICK_MS);
        if (r < 0 && errno != EINTR) {
            log_error("mllp: poll failed, the listener stops: %s", strerror(errno));
            break;
        }
        if (r <= 0) {
            if (r == 0)
                service_clients(s, 2); /* idle timeouts */
            continue;
        }
        if (s->pfds[1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            log_error("mllp: the listening socket failed; the listener stops");
            break;
        }
        /* the clients polled first: a client accepted now has no pollfd in this round */
        service_clients(s, 2);
        if (s->pfds[1].revents & POLLIN)
            accept_client(s);
    }
    atomic_store(&s->alive, false);
    return NULL;
}

enum cv_err cv_mllp_server_start(struct cv_mllp_server *s)
{
    int rc;

    atomic_store(&s->alive, true);
    rc = pthread_create(&s->thread, NULL, serve, s);
    if (rc != 0) {
        atomic_store(&s->alive, false);
        errno = rc;
        return cv_fail_errno(CV_EIO, "cannot start the MLLP listener thread");
    }
    s->started = true;
    return CV_OK;
}

void cv_mllp_server_free(struct cv_mllp_server *s)
{
    if (!s)
        return;
    if (s->started) {
        atomic_store(&s->stopping, true);
        if (write(s->wake[1], "x", 1) < 0)
            log_debug("mllp: wake-up write failed: %s", strerror(errno));
        pthread_join(s->thread, NULL);
    }
    while (s->nclients)
        drop_client(s, s->nclients - 1);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->wake[0] >= 0)
        close(s->wake[0]);
    if (s->wake[1] >= 0)
        close(s->wake[1]);
    pthread_mutex_destroy(&s->lock);
    cv_free(s->clients);
    cv_free(s->pfds);
    cv_free(s->readbuf);
    cv_free(s);
}
