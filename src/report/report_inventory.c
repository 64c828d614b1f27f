/*
 * report_inventory.c: the vault's own inventory: version, host, the configuration and every
 * secret file it names with their owners and modes, the viewer's TLS certificate and when it
 * expires, the viewer accounts with their roles and last login, and the MLLP peers allowed.
 * A file readable by others, a certificate expired or expiring within 30 days, is a reason
 * for action.
 */
#include "report_int.h"

#include <chartvault/web.h>

#include <arpa/inet.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CERT_WARN_DAYS 30
#define CERT_MAX_BYTES (64 * 1024)

static void file_mode(const struct cv_report *r, struct cv_report_section *s, const char *what,
                      const char *path)
{
    struct stat sb;

    if (!path)
        return;
    if (stat(path, &sb) != 0) {
        rs_action(s, RL(r, "%s '%s' を確認できません", "%s '%s' cannot be checked"), what, path);
        return;
    }
    rs_line(s, RL(r, "%s: %s（所有者 uid %ld、権限 %04o）", "%s: %s (owner uid %ld, mode %04o)"),
            what, path, (long)sb.st_uid, (unsigned)(sb.st_mode & 07777));
    if (sb.st_mode & 077)
        rs_action(s,
                  RL(r, "%s '%s' は所有者以外も読み書きできます（権限 %04o）",
                     "%s '%s' is open to others than its owner (mode %04o)"),
                  what, path, (unsigned)(sb.st_mode & 07777));
}

static void certificate(const struct cv_report *r, const struct cv_report_options *o,
                        struct cv_report_section *s)
{
    struct cv_buf b = CV_BUF_INIT(CERT_MAX_BYTES);
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t d;
    char path[4096], when[32];
    time_t until;
    long long left;

    if (!o->viewer_state)
        return;
    if (cv_path_join(path, sizeof(path), o->viewer_state, "tls/cert.pem") != CV_OK ||
        cv_buf_read_file(&b, path) != CV_OK) {
        rs_line(s,
                RL(r,
                   "閲覧システムの証明書: %s/tls/cert.pem "
                   "なし（別の証明書を指定している場合はその有効期限を確認）",
                   "viewer certificate: no %s/tls/cert.pem (when another is given, check its "
                   "expiry)"),
                o->viewer_state);
        cv_buf_free(&b);
        return;
    }
    d.data = (unsigned char *)b.data;
    d.size = (unsigned)b.len;
    if (gnutls_x509_crt_init(&crt) < 0 ||
        gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0 ||
        (until = gnutls_x509_crt_get_expiration_time(crt)) == (time_t)-1) {
        rs_action(s,
                  RL(r, "閲覧システムの証明書 '%s' を読めません",
                     "the viewer certificate '%s' cannot be read"),
                  path);
        goto out;
    }
    cv_time_format_minutes(until, when, sizeof(when));
    left = ((long long)until - cv_now()) / 86400;
    rs_line(s,
            RL(r, "閲覧システムの証明書: %s、有効期限 %s（残り%lld日）",
               "viewer certificate: %s, expires %s (%lld days left)"),
            path, when, left);
    if (left < CERT_WARN_DAYS)
        rs_action(s, RL(r, "閲覧システムの証明書が%s（%s）", "the viewer certificate %s (%s)"),
                  left < 0 ? RL(r, "期限切れ", "has expired")
                           : RL(r, "まもなく期限切れ", "expires soon"),
                  when);
out:
    if (crt)
        gnutls_x509_crt_deinit(crt);
    cv_buf_free(&b);
}

static void accounts(const struct cv_report *r, const struct cv_report_options *o,
                     const struct rs_access_out *acc, struct cv_report_section *s)
{
    struct cv_account_info *v = NULL;
    size_t n = 0;

    if (!o->viewer_state)
        return;
    rs_sub(s, RL(r, "閲覧システムのアカウント", "viewer accounts"));
    if (cv_account_list(o->viewer_state, &v, &n) != CV_OK) {
        rs_action(s, RL(r, "アカウント一覧を読めません: %s", "the accounts cannot be read: %s"),
                  cv_errmsg());
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *last = "-";

        for (size_t k = 0; k < acc->nlast; k++)
            if (strcmp(acc->last[k].user, v[i].name) == 0)
                last = acc->last[k].time;
        rs_line(s, RL(r, "%s: 役割 %s%s%s、最終ログイン %s", "%s: role %s%s%s, last login %s"),
                v[i].name, cv_role_name(v[i].role),
                v[i].totp ? RL(r, "、二要素認証あり", ", TOTP") : "",
                v[i].locked_by_admin ? RL(r, "、停止中", ", locked") : "", last);
    }
    rs_figure(s, "accounts", (long long)n);
    cv_free(v);
}

static void mllp_peers(const struct cv_report *r, const struct cv_config *cfg,
                       struct cv_report_section *s)
{
    char a[INET6_ADDRSTRLEN];

    if (!cfg->mllp_listen) {
        rs_line(s, "%s", RL(r, "MLLP受信: なし", "MLLP: off"));
        return;
    }
    rs_line(s, RL(r, "MLLP受信: %s、許可する送信元:", "MLLP: %s, peers allowed:"),
            cfg->mllp_listen);
    for (size_t i = 0; i < cfg->nallow; i++) {
        const struct cv_cidr *c = &cfg->allow[i];
        bool v4 = IN6_IS_ADDR_V4MAPPED(&c->addr) && c->prefix >= 96;

        if (v4)
            inet_ntop(AF_INET, &c->addr.s6_addr[12], a, sizeof(a));
        else
            inet_ntop(AF_INET6, &c->addr, a, sizeof(a));
        rs_line(s, "- %s/%u", a, v4 ? c->prefix - 96 : c->prefix);
    }
}

void rs_inventory(const struct cv_report *r, const struct cv_config *cfg,
                  const struct cv_report_options *o, const struct rs_access_out *acc,
                  struct cv_report_section *s)
{
    char host[256] = "";

    gethostname(host, sizeof(host) - 1);
    rs_line(s, RL(r, "chartvault %s、ホスト %s", "chartvault %s, host %s"), CV_VERSION, host);
    rs_line(s, RL(r, "索引: %s / 状態: %s", "index: %s / state: %s"), cfg->index_db,
            cfg->state_dir);
    file_mode(r, s, RL(r, "設定ファイル", "configuration"), cfg->file);
    for (size_t i = 0; i < cfg->nrepos; i++) {
        file_mode(r, s, RL(r, "パスフレーズファイル", "passphrase file"),
                  cfg->repos[i].password_file);
        file_mode(r, s, RL(r, "S3認証情報", "S3 credentials"), cfg->repos[i].credentials);
    }
    file_mode(r, s, RL(r, "SMTPパスワード", "SMTP password"), cfg->smtp_password_file);
    certificate(r, o, s);
    mllp_peers(r, cfg, s);
    accounts(r, o, acc, s);
}
