/*
 * page_packs.c: the downtime packs the daemon refreshes ([print] folder, its current/ link):
 * one line per ward with the pack's age and a download button, and the hospital-wide pack.
 * Only names the daemon writes are ever opened ("ward-" [A-Za-z0-9_-]+ ".pdf" and
 * "hospital.pdf", no other path), and every download is audited.
 */
#include "web_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PACKS_MAX  1000
#define PACK_BYTES (256ull << 20)

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

bool web_pack_ward(const char *file, char *out, size_t n)
{
    size_t len = strlen(file), o = 0;

    if (len < 10 || len > 255 || strncmp(file, "ward-", 5) != 0 ||
        strcmp(file + len - 4, ".pdf") != 0)
        return false;
    for (size_t i = 5; i < len - 4; i++) {
        char c = file[i];

        if (o + 1 >= n)
            return false;
        if (c == '_') {
            int hi = i + 2 < len - 4 ? hexval(file[i + 1]) : -1;
            int lo = hi >= 0 ? hexval(file[i + 2]) : -1;

            if (lo < 0 || (hi << 4 | lo) == 0)
                return false;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '-') {
            out[o++] = c;
        } else {
            return false;
        }
    }
    out[o] = '\0';
    return o > 0 && cv_utf8_valid(out, o);
}

static bool pack_name_ok(const char *name)
{
    char ward[256];

    return strcmp(name, "hospital.pdf") == 0 || web_pack_ward(name, ward, sizeof(ward));
}

struct pack {
    char file[256];
    char ward[256];
    time_t made;
    long long bytes;
};

static int by_ward(const void *a, const void *b)
{
    return strcmp(((const struct pack *)a)->ward, ((const struct pack *)b)->ward);
}

static size_t list_packs(const char *dir, struct pack **out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct pack *v = NULL;
    size_t n = 0;

    *out = NULL;
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL && n < PACKS_MAX) {
        struct pack p = {0};
        struct stat st;

        if (strlen(e->d_name) >= sizeof(p.file) || !pack_name_ok(e->d_name) ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        cv_strlcpy(p.file, e->d_name, sizeof(p.file));
        if (!web_pack_ward(p.file, p.ward, sizeof(p.ward)))
            p.ward[0] = '\0'; /* hospital.pdf sorts first */
        p.made = st.st_mtime;
        p.bytes = (long long)st.st_size;
        struct pack *nv = cv_reallocarray(v, n + 1, sizeof(*v));
        if (!nv)
            break;
        v = nv;
        v[n++] = p;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof(*v), by_ward);
    *out = v;
    return n;
}

void web_page_packs(struct web_req *r)
{
    const char *root = r->w->cfg.packs_dir;
    char dir[4096], when[32];
    struct pack *v = NULL;
    size_t n = 0;

    if (root && (size_t)snprintf(dir, sizeof(dir), "%s/current", root) < sizeof(dir))
        n = list_packs(dir, &v);
    html_page_begin(r, T(r, M_PACKS));
    html(r, "<h1>%s</h1><p>%s</p>", T(r, M_PACKS), T(r, M_PACKS_HELP));
    if (!n)
        html(r, "<p>%s</p>", T(r, M_PACKS_NONE));
    else
        html(r, "<ul class=\"wardlist packs\">");
    for (size_t i = 0; i < n; i++) {
        long mins = (long)(cv_now() - v[i].made) / 60;

        cv_time_format_minutes(v[i].made, when, sizeof(when));
        if (v[i].ward[0])
            html(r, "<li><span class=\"wname\">%s %s</span>", T(r, M_WARD), v[i].ward);
        else
            html(r, "<li><span class=\"wname\">%s</span>", T(r, M_PACKS_HOSPITAL));
        html(r, "<span class=\"note\">%s %s（%s %ld%s） %lld KB</span><br>", T(r, M_PACKS_MADE),
             when, T(r, M_PACKS_AGE), mins < 0 ? 0 : mins, T(r, M_MIN_AGO),
             (v[i].bytes + 1023) / 1024);
        html(r, "<a class=\"button primary\" href=\"/packs/");
        html_url(r, v[i].file);
        html(r, "\">%s</a></li>", T(r, M_PACKS_DOWNLOAD));
    }
    if (n)
        html(r, "</ul>");
    html_page_end(r);
    cv_free(v);
}

void web_page_pack_file(struct web_req *r, const char *name)
{
    const char *root = r->w->cfg.packs_dir;
    char path[4096];
    struct stat st;
    int fd;

    if (!root || !pack_name_ok(name) ||
        (size_t)snprintf(path, sizeof(path), "%s/current/%s", root, name) >= sizeof(path)) {
        html_message_page(r, MHD_HTTP_NOT_FOUND, M_NOT_FOUND, NULL);
        return;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > PACK_BYTES) {
        if (fd >= 0)
            close(fd);
        html_message_page(r, MHD_HTTP_NOT_FOUND, M_NOT_FOUND, NULL);
        return;
    }
    if (!web_audit(r, "pack", "ok", NULL, name)) {
        close(fd);
        return;
    }
    r->file_fd = fd;
    r->file_size = (uint64_t)st.st_size;
    cv_strlcpy(r->file_name, name, sizeof(r->file_name));
    r->content_type = "application/pdf";
}
