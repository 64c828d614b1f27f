/*
 * cidr.c: network allow-lists for the MLLP listener ("10.0.0.0/8, 127.0.0.1/32"). IPv4 is held
 * as IPv4-mapped IPv6 so that a peer arriving on a dual-stack socket (::ffff:10.1.2.3) and one
 * arriving on an IPv4 socket are matched by the same rule.
 */
#include <chartvault/config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void map_v4(const struct in_addr *a4, struct in6_addr *a6)
{
    memset(a6, 0, sizeof(*a6));
    a6->s6_addr[10] = 0xff;
    a6->s6_addr[11] = 0xff;
    memcpy(&a6->s6_addr[12], a4, 4);
}

static bool prefix_equal(const struct in6_addr *a, const struct in6_addr *b, unsigned prefix)
{
    unsigned full = prefix / 8, rest = prefix % 8;

    if (memcmp(a->s6_addr, b->s6_addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((a->s6_addr[full] ^ b->s6_addr[full]) & (0xff00 >> rest)) == 0;
}

enum cv_err cv_cidr_parse(const char *s, struct cv_cidr *out)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    struct in_addr a4;
    unsigned max, prefix;
    bool v4;

    memset(out, 0, sizeof(*out));
    if (hl == 0 || hl >= sizeof(host))
        return cv_fail(CV_EINVAL, "'%s' is not a network (example: 10.0.0.0/8)", s);
    memcpy(host, s, hl);
    host[hl] = '\0';
    v4 = inet_pton(AF_INET, host, &a4) == 1;
    if (v4)
        map_v4(&a4, &out->addr);
    else if (inet_pton(AF_INET6, host, &out->addr) != 1)
        return cv_fail(CV_EINVAL, "'%s' is not a network (example: 10.0.0.0/8)", s);
    max = v4 ? 32 : 128;
    prefix = max;
    if (slash) {
        const char *p = slash + 1;
        char *end;
        long n;

        if (!isdigit((unsigned char)*p) || strlen(p) > 3)
            return cv_fail(CV_EINVAL, "'%s': the prefix length after / must be 0-%u", s, max);
        n = strtol(p, &end, 10);
        if (*end || n < 0 || (unsigned long)n > max)
            return cv_fail(CV_EINVAL, "'%s': the prefix length after / must be 0-%u", s, max);
        prefix = (unsigned)n;
    }
    out->prefix = v4 ? prefix + 96 : prefix;
    /* "10.1.2.3/8" almost always means a typo; say so rather than guess. */
    {
        struct in6_addr masked = out->addr;
        unsigned full = out->prefix / 8, rest = out->prefix % 8;

        if (full < 16) {
            masked.s6_addr[full] &= (uint8_t)(0xff00 >> rest);
            memset(&masked.s6_addr[full + 1], 0, 15 - full);
        }
        if (memcmp(&masked, &out->addr, sizeof(masked)) != 0) {
            memset(out, 0, sizeof(*out));
            return cv_fail(CV_EINVAL, "'%s' has host bits set after the prefix", s);
        }
    }
    return CV_OK;
}

bool cv_cidr_match_any(const struct cv_cidr *nets, size_t n, const struct sockaddr *peer)
{
    struct in6_addr a;

    if (peer->sa_family == AF_INET)
        map_v4(&((const struct sockaddr_in *)(const void *)peer)->sin_addr, &a);
    else if (peer->sa_family == AF_INET6)
        a = ((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr;
    else
        return false;
    for (size_t i = 0; i < n; i++)
        if (prefix_equal(&nets[i].addr, &a, nets[i].prefix))
            return true;
    return false;
}
