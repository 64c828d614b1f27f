/*
 * frame.c: length-prefixed messages between two processes of one build over a socket
 * (chartvault/common.h): the snapshot helper of `chartvault serve --repo` and the viewer
 * (src/cli/snapshot_keeper.c, src/serve/keeper_client.c). Sizes are checked both ways.
 */
#include <chartvault/common.h>

#include <errno.h>
#include <unistd.h>

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n) {
        ssize_t w = write(fd, c, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

static bool read_all(int fd, void *p, size_t n)
{
    char *c = p;

    while (n) {
        ssize_t r = read(fd, c, n);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        c += r;
        n -= (size_t)r;
    }
    return true;
}

bool cv_frame_send(int fd, const void *p, size_t n, size_t max)
{
    uint32_t len = (uint32_t)n;

    return n <= max && n <= UINT32_MAX && write_all(fd, &len, sizeof(len)) && write_all(fd, p, n);
}

bool cv_frame_recv(int fd, char **p, size_t *n, size_t max)
{
    uint32_t len;

    *p = NULL;
    *n = 0;
    if (!read_all(fd, &len, sizeof(len)) || len > max)
        return false;
    *p = cv_malloc((size_t)len + 1);
    if (!*p || !read_all(fd, *p, len)) {
        cv_free(*p);
        *p = NULL;
        return false;
    }
    (*p)[len] = '\0';
    *n = len;
    return true;
}
