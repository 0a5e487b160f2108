// An LD_PRELOAD shim that makes one directory behave like a slow or full disk, for the spool tests and the
// slow-spool benchmark probe. Only write(2) to files under $SLOWDISK_DIR is affected; what happens is read
// from the file $SLOWDISK_CONTROL before each such write, so a test switches behaviour without a restart:
//   "delay MS"  the write sleeps MS milliseconds first (a slow or congested device)
//   "enospc"    the write fails with ENOSPC (a full device)
//   anything else, or no file: the write goes through unchanged.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void *, size_t);

static int under_directory(int fd) {
    const char *dir = getenv("SLOWDISK_DIR");
    if (!dir || !*dir) return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0) return 0;
    path[n] = 0;
    size_t len = strlen(dir);
    return strncmp(path, dir, len) == 0 && (path[len] == '/' || path[len] == 0);
}

static void control(char *out, size_t size) {
    out[0] = 0;
    const char *file = getenv("SLOWDISK_CONTROL");
    if (!file) return;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, out, size - 1);
    close(fd);
    out[n > 0 ? n : 0] = 0;
}

ssize_t write(int fd, const void *buffer, size_t count) {
    static write_fn real;
    if (!real) real = (write_fn)dlsym(RTLD_NEXT, "write");
    if (fd > 2 && under_directory(fd)) {
        char mode[64];
        control(mode, sizeof mode);
        if (strncmp(mode, "enospc", 6) == 0) {
            errno = ENOSPC;
            return -1;
        }
        long ms;
        if (sscanf(mode, "delay %ld", &ms) == 1 && ms > 0) {
            struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
            while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {}
        }
    }
    return real(fd, buffer, count);
}
