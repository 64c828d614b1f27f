/*
 * password.c: where passphrases come from: a private file, $CHARTVAULT_PASSWORD, or the
 * terminal with echo off. Passphrases are kept in sodium-locked memory and wiped after use.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MAX 1024

static char *secure_copy(const char *s, size_t n)
{
    char *p = sodium_malloc(n + 1);

    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static enum cv_err read_password_file(const char *path, char **out)
{
    char buf[PASSWORD_MAX + 1];
    enum cv_err err;
    ssize_t n;
    size_t len;
    int fd;

    err = cv_file_check_private(path);
    if (err)
        return err;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot open password file '%s'", path);
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0)
        return cv_fail_errno(CV_EIO, "cannot read password file '%s'", path);
    buf[n] = '\0';
    len = strcspn(buf, "\r\n");
    if (len == 0) {
        sodium_memzero(buf, sizeof(buf));
        return cv_fail(CV_EINVAL, "password file '%s' is empty", path);
    }
    *out = secure_copy(buf, len);
    sodium_memzero(buf, sizeof(buf));
    return *out ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
}

static enum cv_err prompt_once(int fd, const char *prompt, char *buf, size_t size)
{
    struct termios old, quiet;
    size_t len = 0;
    enum cv_err err = CV_OK;

    if (tcgetattr(fd, &old) != 0)
        return cv_fail(CV_EINVAL, "no passphrase: set CHARTVAULT_PASSWORD, use --password-file,"
                                  " or run on a terminal");
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    quiet.c_lflag |= ICANON;
    if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
        return cv_fail_errno(CV_EIO, "cannot prompt for a passphrase");
    for (;;) {
        char c;
        ssize_t n = read(fd, &c, 1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || c == '\n' || c == '\r')
            break;
        if (len + 1 >= size) {
            err = cv_fail(CV_ETOOBIG, "passphrase longer than %d bytes", PASSWORD_MAX);
            break;
        }
        buf[len++] = c;
    }
    buf[len] = '\0';
    tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0) {
        /* the newline is cosmetic */
    }
    return err;
}

static enum cv_err prompt_password(const char *prompt, bool confirm, char **out)
{
    char first[PASSWORD_MAX + 1], second[PASSWORD_MAX + 1];
    enum cv_err err;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return cv_fail(CV_EINVAL, "no passphrase: set CHARTVAULT_PASSWORD, use --password-file,"
                                  " or run on a terminal");
    err = prompt_once(fd, prompt, first, sizeof(first));
    if (!err && confirm) {
        err = prompt_once(fd, "again: ", second, sizeof(second));
        if (!err && strcmp(first, second) != 0)
            err = cv_fail(CV_EINVAL, "the two passphrases differ");
    }
    close(fd);
    if (!err && first[0] == '\0')
        err = cv_fail(CV_EINVAL, "empty passphrase");
    if (!err) {
        *out = secure_copy(first, strlen(first));
        if (!*out)
            err = cv_fail(CV_ENOMEM, "out of memory");
    }
    sodium_memzero(first, sizeof(first));
    sodium_memzero(second, sizeof(second));
    return err;
}

enum cv_err cli_password_get(const char *password_file, bool use_env, const char *prompt,
                             bool confirm, char **out)
{
    const char *env;

    *out = NULL;
    if (sodium_init() < 0)
        return cv_fail(CV_ECRYPTO, "libsodium failed to initialise");
    if (password_file)
        return read_password_file(password_file, out);
    env = use_env ? getenv("CHARTVAULT_PASSWORD") : NULL;
    if (env && *env) {
        if (strlen(env) > PASSWORD_MAX)
            return cv_fail(CV_ETOOBIG, "CHARTVAULT_PASSWORD is longer than %d bytes", PASSWORD_MAX);
        *out = secure_copy(env, strlen(env));
        return *out ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
    }
    return prompt_password(prompt, confirm, out);
}

void cli_password_free(char *pw)
{
    if (pw)
        sodium_free(pw); /* sodium_free wipes before unmapping */
}
