/*
 * faultfs.c: an LD_PRELOAD library for the tests only (never linked into chartvault) that makes
 * one kind of file-system call fail at its Nth use, as SQLite's test VFS does, so that the tests
 * can prove what a full disk, an I/O error or a torn write does to the index, MLLP storage,
 * backup and copy. Only calls on paths under CV_FAULT_PREFIX count (fds are mapped to paths
 * through /proc/self/fd when they are used), so the terminal, pipes and the test's own files
 * are never touched.
 *
 * Environment (nothing set: every call passes through, and is counted):
 *   CV_FAULT_PREFIX  folders whose calls count, separated by ':' (required to count anything)
 *   CV_FAULT_OP      write (write, pwrite, writev, pwritev), fsync (fsync, fdatasync, syncfs),
 *                    rename (rename, renameat, renameat2, link, linkat), open (open, openat,
 *                    creat), mkdir (mkdir, mkdirat; of folders that do not exist yet)
 *   CV_FAULT_N       the call that fails (1 = the first), or a list of them: 3,7,12 (a long-running
 *                    daemon meets several faults in one run); 0 or unset: none fails. With
 *                    several kinds (CV_FAULT_OP=write,rename) each kind counts on its own
 *   CV_FAULT_ERRNO   EIO (default), ENOSPC or EDQUOT
 *   CV_FAULT_MODE    fail (default): the call does nothing and fails; torn: a write puts the
 *                    first half of its bytes on disk, then fails; short: a write puts half its
 *                    bytes on disk and returns that count, as the kernel may (no error)
 *   CV_FAULT_PERSIST 1: every call from the Nth on fails (a disk that stays full)
 *   CV_FAULT_LOG     a file that gets one line per process at exit, "calls=C fired=F", and one
 *                    line "fired OP N ERRNO PATH" when a fault fires (written with the real calls)
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum op { OP_WRITE, OP_FSYNC, OP_RENAME, OP_OPEN, OP_MKDIR, OP_NONE };
static const char *const op_names[] = {"write", "fsync", "rename", "open", "mkdir"};

static int g_ready;
static unsigned g_ops; /* a bit per enum op */
static long g_n[64];
static size_t g_nn;
static int g_errno = EIO;
static int g_mode; /* 0 fail, 1 torn, 2 short */
static int g_persist;
static char g_prefix[4096];
static const char *g_log;
static atomic_long g_calls[OP_NONE];
static atomic_long g_total;
static atomic_long g_fired;
static _Thread_local char t_path[PATH_MAX]; /* the last path that matched, for the log */

#define REAL(name) ((__typeof__(&name))real_fn(#name))

static void *real_fn(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);

    if (!f)
        abort();
    return f;
}

static void setup(void)
{
    const char *s;

    if (g_ready)
        return;
    g_ready = 1;
    if ((s = getenv("CV_FAULT_PREFIX")) != NULL)
        snprintf(g_prefix, sizeof(g_prefix), "%s", s);
    if ((s = getenv("CV_FAULT_OP")) != NULL)
        for (int i = 0; i < OP_NONE; i++) {
            size_t n = strlen(op_names[i]);

            for (const char *p = s; (p = strstr(p, op_names[i])) != NULL; p += n)
                if ((p == s || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
                    g_ops |= 1u << i;
        }
    for (s = getenv("CV_FAULT_N"); s && *s && g_nn < sizeof(g_n) / sizeof(g_n[0]);) {
        char *end;
        long n = strtol(s, &end, 10);

        if (n > 0)
            g_n[g_nn++] = n;
        if (end == s || *end != ',')
            break;
        s = end + 1;
    }
    if ((s = getenv("CV_FAULT_ERRNO")) != NULL)
        g_errno = strcmp(s, "ENOSPC") == 0 ? ENOSPC : strcmp(s, "EDQUOT") == 0 ? EDQUOT : EIO;
    if ((s = getenv("CV_FAULT_MODE")) != NULL)
        g_mode = strcmp(s, "torn") == 0 ? 1 : strcmp(s, "short") == 0 ? 2 : 0;
    g_persist = (s = getenv("CV_FAULT_PERSIST")) != NULL && strcmp(s, "1") == 0;
    g_log = getenv("CV_FAULT_LOG");
}

static void log_line(const char *fmt, ...)
{
    char line[PATH_MAX + 64];
    va_list ap;
    int fd, n;

    if (!g_log)
        return;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fd = REAL(open)(g_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (REAL(write)(fd, line, (size_t)n) < 0)
        n = 0;
    close(fd);
}

__attribute__((destructor)) static void report(void)
{
    setup();
    if (g_ops)
        log_line("calls=%ld fired=%ld\n", atomic_load(&g_total), atomic_load(&g_fired));
}

static int under_prefix(const char *path)
{
    const char *p = g_prefix;

    while (*p) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (len && strncmp(path, p, len) == 0 && (path[len] == '/' || path[len] == '\0')) {
            snprintf(t_path, sizeof(t_path), "%s", path);
            return 1;
        }
        p += len + (end != NULL);
    }
    return 0;
}

static int fd_under_prefix(int fd)
{
    char link[64], path[PATH_MAX];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, path, sizeof(path) - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    return under_prefix(path);
}

/* an absolute form of (dirfd, path), good enough to compare with the prefixes */
static int at_under_prefix(int dirfd, const char *path)
{
    char base[PATH_MAX], full[2 * PATH_MAX + 2];

    if (!path)
        return 0;
    if (path[0] == '/')
        return under_prefix(path);
    if (dirfd == AT_FDCWD) {
        if (!getcwd(base, sizeof(base)))
            return 0;
    } else {
        char link[64];
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
        n = readlink(link, base, sizeof(base) - 1);
        if (n <= 0)
            return 0;
        base[n] = '\0';
    }
    snprintf(full, sizeof(full), "%s/%s", base, path);
    return under_prefix(full);
}

static int listed(long n)
{
    for (size_t i = 0; i < g_nn; i++)
        if (n == g_n[i] || (g_persist && n > g_n[i]))
            return 1;
    return 0;
}

/* 1 when this call (of kind op, on a path under the prefix) is to fail */
static int should_fail(enum op op, int matches)
{
    long n;

    setup();
    if (!(g_ops & (1u << op)) || !matches)
        return 0;
    atomic_fetch_add(&g_total, 1);
    n = atomic_fetch_add(&g_calls[op], 1) + 1;
    if (!listed(n))
        return 0;
    atomic_fetch_add(&g_fired, 1);
    log_line("fired %s %ld %s %s\n", op_names[op], n,
             g_errno == ENOSPC   ? "ENOSPC"
             : g_errno == EDQUOT ? "EDQUOT"
                                 : "EIO",
             t_path);
    return 1;
}

/* a write that fails: torn puts half on disk first; short returns the half without error */
static ssize_t failed_write(int fd, const void *buf, size_t n, off_t off, int positioned)
{
    if (g_mode != 0 && n > 1) {
        ssize_t w = positioned ? REAL(pwrite)(fd, buf, n / 2, off) : REAL(write)(fd, buf, n / 2);

        if (g_mode == 2)
            return w;
    }
    errno = g_errno;
    return -1;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    if (fd > 2 && should_fail(OP_WRITE, fd_under_prefix(fd)))
        return failed_write(fd, buf, n, 0, 0);
    return REAL(write)(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (should_fail(OP_WRITE, fd_under_prefix(fd)))
        return failed_write(fd, buf, n, off, 1);
    return REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    return pwrite(fd, buf, n, off);
}

/* writev and pwritev fail whole (a torn vector write is not modelled) */
ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    if (should_fail(OP_WRITE, fd_under_prefix(fd))) {
        errno = g_errno;
        return -1;
    }
    return REAL(writev)(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    if (should_fail(OP_WRITE, fd_under_prefix(fd))) {
        errno = g_errno;
        return -1;
    }
    return REAL(pwritev)(fd, iov, cnt, off);
}

int fsync(int fd)
{
    if (should_fail(OP_FSYNC, fd_under_prefix(fd))) {
        errno = g_errno;
        return -1;
    }
    return REAL(fsync)(fd);
}

int fdatasync(int fd)
{
    if (should_fail(OP_FSYNC, fd_under_prefix(fd))) {
        errno = g_errno;
        return -1;
    }
    return REAL(fdatasync)(fd);
}

int syncfs(int fd)
{
    if (should_fail(OP_FSYNC, fd_under_prefix(fd))) {
        errno = g_errno;
        return -1;
    }
    return REAL(syncfs)(fd);
}

#define FAIL_IF(op, cond)                                                                          \
    do {                                                                                           \
        if (should_fail(op, cond)) {                                                               \
            errno = g_errno;                                                                       \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

int rename(const char *a, const char *b)
{
    FAIL_IF(OP_RENAME, at_under_prefix(AT_FDCWD, a) || at_under_prefix(AT_FDCWD, b));
    return REAL(rename)(a, b);
}

int renameat(int da, const char *a, int db, const char *b)
{
    FAIL_IF(OP_RENAME, at_under_prefix(da, a) || at_under_prefix(db, b));
    return REAL(renameat)(da, a, db, b);
}

int renameat2(int da, const char *a, int db, const char *b, unsigned flags)
{
    FAIL_IF(OP_RENAME, at_under_prefix(da, a) || at_under_prefix(db, b));
    return REAL(renameat2)(da, a, db, b, flags);
}

int link(const char *a, const char *b)
{
    FAIL_IF(OP_RENAME, at_under_prefix(AT_FDCWD, b));
    return REAL(link)(a, b);
}

int linkat(int da, const char *a, int db, const char *b, int flags)
{
    FAIL_IF(OP_RENAME, at_under_prefix(db, b));
    return REAL(linkat)(da, a, db, b, flags);
}

/* a folder that exists gives EEXIST before any disk error: only new folders count */
static int new_dir(int dirfd, const char *path)
{
    struct stat sb;

    return fstatat(dirfd, path, &sb, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
}

int mkdir(const char *path, mode_t mode)
{
    FAIL_IF(OP_MKDIR, at_under_prefix(AT_FDCWD, path) && new_dir(AT_FDCWD, path));
    return REAL(mkdir)(path, mode);
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
    FAIL_IF(OP_MKDIR, at_under_prefix(dirfd, path) && new_dir(dirfd, path));
    return REAL(mkdirat)(dirfd, path, mode);
}

static mode_t open_mode(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    FAIL_IF(OP_OPEN, at_under_prefix(AT_FDCWD, path));
    return REAL(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    FAIL_IF(OP_OPEN, at_under_prefix(AT_FDCWD, path));
    return REAL(open64)(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    FAIL_IF(OP_OPEN, at_under_prefix(dirfd, path));
    return REAL(openat)(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    FAIL_IF(OP_OPEN, at_under_prefix(dirfd, path));
    return REAL(openat64)(dirfd, path, flags, mode);
}

int creat(const char *path, mode_t mode)
{
    return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
