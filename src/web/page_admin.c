/*
 * page_admin.c: the admin page: the inspection report and the protection daemon's status, as
 * `chartvault report --dir` leaves them in a folder the viewer may read (the viewer holds no
 * key and opens no repository or daemon state). Read only, role admin only; only the four
 * names that command writes are ever opened, and every download is audited.
 */
#include "web_internal.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ADMIN_FILE_BYTES (64ull << 20)

static const struct {
    const char *name, *type;
} admin_files[] = {
    {"report.pdf", "application/pdf"},
    {"report.html", "text/html; charset=utf-8"},
    {"report.json", "application/json"},
    {"status.json", "application/json"},
};

static bool admin_allowed(struct web_req *r)
{
    if (r->session.role == CV_ROLE_ADMIN && r->w->cfg.report_dir)
        return true;
    if (web_audit(r, "admin", "denied", NULL, NULL))
        html_message_page(r, MHD_HTTP_FORBIDDEN, M_FORBIDDEN, T(r, M_ADMIN_DENIED));
    return false;
}

void web_page_admin(struct web_req *r)
{
    char path[4096], when[32];
    bool any = false;

    if (!admin_allowed(r))
        return;
    html_page_begin(r, T(r, M_ADMIN));
    html(r, "<h1>%s</h1><p>%s</p><ul class=\"wardlist packs\">", T(r, M_ADMIN), T(r, M_ADMIN_HELP));
    for (size_t i = 0; i < CV_ARRAY_LEN(admin_files); i++) {
        struct stat st;

        if ((size_t)snprintf(path, sizeof(path), "%s/%s", r->w->cfg.report_dir,
                             admin_files[i].name) >= sizeof(path) ||
            lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        any = true;
        cv_time_format_minutes(st.st_mtime, when, sizeof(when));
        html(r,
             "<li><span class=\"wname\">%s</span><span class=\"note\">%s %s %lld KB</span><br>"
             "<a class=\"button primary\" href=\"/admin/%s\">%s</a></li>",
             admin_files[i].name, T(r, M_PACKS_MADE), when, ((long long)st.st_size + 1023) / 1024,
             admin_files[i].name, T(r, M_PACKS_DOWNLOAD));
    }
    html(r, "</ul>");
    if (!any)
        html(r, "<p>%s</p>", T(r, M_ADMIN_NONE));
    html_page_end(r);
}

void web_page_admin_file(struct web_req *r, const char *name)
{
    char path[4096];
    struct stat st;
    size_t i;
    int fd;

    if (!admin_allowed(r))
        return;
    for (i = 0; i < CV_ARRAY_LEN(admin_files); i++)
        if (strcmp(name, admin_files[i].name) == 0)
            break;
    if (i == CV_ARRAY_LEN(admin_files) ||
        (size_t)snprintf(path, sizeof(path), "%s/%s", r->w->cfg.report_dir, name) >= sizeof(path)) {
        html_message_page(r, MHD_HTTP_NOT_FOUND, M_NOT_FOUND, NULL);
        return;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > ADMIN_FILE_BYTES) {
        if (fd >= 0)
            close(fd);
        html_message_page(r, MHD_HTTP_NOT_FOUND, M_NOT_FOUND, NULL);
        return;
    }
    if (!web_audit(r, "admin", "ok", NULL, name)) {
        close(fd);
        return;
    }
    r->file_fd = fd;
    r->file_size = (uint64_t)st.st_size;
    cv_strlcpy(r->file_name, name, sizeof(r->file_name));
    r->content_type = admin_files[i].type;
}
