/*
 * release_clock.c: the clock as the release build compiles it (src/common/clock.c without
 * CV_TEST_HOOKS) ignores $CHARTVAULT_TEST_CLOCK_FILE: an environment variable must not move
 * the clock that lockouts, sessions and alerts go by. Built from the source file itself by
 * CMakeLists.txt, in every build, so 'make check' proves it although its builds are test
 * builds.
 */
#include <chartvault/common.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    char path[] = "/tmp/cv-release-clock-XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    long moved;

    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        perror("mkstemp");
        return 1;
    }
    fprintf(f, "100000000\n");
    fclose(f);
    setenv("CHARTVAULT_TEST_CLOCK_FILE", path, 1);
    moved = (long)(cv_now() - time(NULL));
    unlink(path);
    if (cv_test_hooks() || moved < -5 || moved > 5) {
        fprintf(stderr, "FAIL: the release clock moved by %ld s with CHARTVAULT_TEST_CLOCK_FILE\n",
                moved);
        return 1;
    }
    printf("ok: the release clock ignores CHARTVAULT_TEST_CLOCK_FILE\n");
    return 0;
}
