/*
 * report.c: builds the inspection report. Each section says what chartvault knows, from the
 * configuration, the daemon's state (cv_daemon_status and the drill history) and the viewer's
 * audit log, and gives a verdict: met, action needed (with every reason), or not applicable.
 * Nothing read here is trusted to be whole: a state file that cannot be read, a drill table
 * that is damaged or an audit log that fails its chain is a reason for action, never skipped.
 */
#include "report_int.h"

#include <chartvault/daemon.h>

#include <chartvault/state.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DRILLS_SHOWN 12
#define DRILLS_READ  1000

static const char *const section_keys[CV_REPORT_SECTIONS] = {
    "backups", "drills", "procedure", "contacts", "access", "inventory", "not_covered"};
static const char *const section_titles[CV_REPORT_SECTIONS][2] = {
    {"1. バックアップ", "1. Backups"},
    {"2. 復旧訓練（リストア訓練）", "2. Restore drills"},
    {"3. 障害時の復旧手順", "3. Recovery procedure"},
    {"4. 連絡体制と対応の流れ", "4. Contacts and response flow"},
    {"5. アクセスログ", "5. Access logs"},
    {"6. 本システムの資産情報", "6. Inventory of this system"},
    {"7. 本システムの対象外", "7. Not covered by this system"},
};

const char *cv_report_verdict_text(enum cv_report_verdict v, bool english)
{
    static const char *const t[3][2] = {
        {"満たしている", "met"}, {"要対応", "action needed"}, {"対象外", "not applicable"}};

    return (unsigned)v < 3 ? t[v][english] : "?";
}

const char *cv_report_verdict_key(enum cv_report_verdict v)
{
    static const char *const k[3] = {"met", "action", "n/a"};

    return (unsigned)v < 3 ? k[v] : "?";
}

/* ---- section helpers ---------------------------------------------------------------------- */

void rs_line(struct cv_report_section *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cv_buf_vprintf(&s->evidence, fmt, ap);
    va_end(ap);
    cv_buf_putc(&s->evidence, '\n');
}

void rs_sub(struct cv_report_section *s, const char *title)
{
    rs_line(s, "## %s", title);
}

void rs_action(struct cv_report_section *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cv_buf_vprintf(&s->reasons, fmt, ap);
    va_end(ap);
    cv_buf_putc(&s->reasons, '\n');
    s->verdict = CV_REPORT_ACTION;
}

void rs_figure(struct cv_report_section *s, const char *name, long long v)
{
    for (size_t i = 0; i < s->nfigures; i++)
        if (strcmp(s->figures[i].name, name) == 0) {
            s->figures[i].value = v;
            return;
        }
    if (s->nfigures == CV_REPORT_MAX_FIGURES)
        return; /* figures are a summary for machines; the evidence lines say everything */
    cv_strlcpy(s->figures[s->nfigures].name, name, sizeof(s->figures[0].name));
    s->figures[s->nfigures++].value = v;
}

void rs_age(char *buf, size_t n, long long sec, bool english)
{
    if (sec < 0)
        sec = 0;
    if (sec < 3600)
        snprintf(buf, n, english ? "%lld min" : "%lld分", sec / 60);
    else if (sec < 2 * 86400)
        snprintf(buf, n, english ? "%.1f h" : "%.1f時間", (double)sec / 3600);
    else
        snprintf(buf, n, english ? "%lld days" : "%lld日", sec / 86400);
}

static void time_text(long long t, char *buf, size_t n)
{
    if (t <= 0)
        cv_strlcpy(buf, "-", n);
    else
        cv_time_format_minutes((time_t)t, buf, n);
}

/* ---- 1. backups --------------------------------------------------------------------------- */

static const char *repo_kind(const struct cv_report *r, const struct cv_status_repo *p)
{
    if (p->can_lock)
        return RL(r, "遠隔地・変更不可（S3 Object Lock）", "off-site, immutable (S3 Object Lock)");
    if (p->offsite || strncmp(p->path, "s3:", 3) == 0)
        return RL(r, "遠隔地（S3）", "off-site (S3)");
    return RL(r, "ローカル", "local");
}

static void backups(const struct cv_report *r, const struct cv_config *cfg,
                    const struct cv_status *st, bool have_status, struct cv_report_section *s)
{
    char age[32], when[32], until[32];
    int fresh = 0;

    if (!have_status) {
        rs_action(s,
                  RL(r, "デーモンの状態を読めません: %s", "the daemon's state cannot be read: %s"),
                  cv_errmsg());
        return;
    }
    if (cfg->nrepos == 0)
        rs_action(s, "%s",
                  RL(r, "バックアップ先が設定されていません（[repo]）",
                     "no repository is configured ([repo])"));
    else if (cfg->nrepos == 1)
        rs_action(
            s, "%s",
            RL(r,
               "バックアップのコピーが1つだけです（2つ以上、うち1つは別の場所か変更不可の媒体に）",
               "there is only one copy (keep two or more, one of them elsewhere or "
               "immutable)"));
    for (size_t i = 0; i < st->nrepos; i++) {
        const struct cv_status_repo *p = &st->repos[i];

        rs_sub(s, p->name);
        rs_line(s, RL(r, "種類: %s / 場所: %s", "kind: %s / where: %s"), repo_kind(r, p), p->path);
        time_text(p->newest_time, when, sizeof(when));
        rs_age(age, sizeof(age), p->newest_age, r->english);
        if (p->newest_time)
            rs_line(s,
                    RL(r, "最新スナップショット: %s（%s、%s前）%s",
                       "newest snapshot: %s (%s, %s ago)%s"),
                    p->newest_id, when, age,
                    p->newest_suspect
                        ? RL(r, " 凍結中に取得（要確認）", " taken while frozen (suspect)")
                        : "");
        else
            rs_line(s, "%s", RL(r, "最新スナップショット: なし", "newest snapshot: none"));
        rs_line(s,
                RL(r, "接続: %s / 鮮度: %s / 連続失敗: %lld回",
                   "reachable: %s / fresh: %s / failures in a row: %lld"),
                p->reachable ? RL(r, "可", "yes") : RL(r, "不可", "no"),
                p->fresh ? RL(r, "基準内", "yes") : RL(r, "基準超過", "no"), p->failures);
        if (p->can_lock) {
            time_text(p->lock_until, until, sizeof(until));
            rs_line(
                s,
                RL(r, "ロック状態: %s（保持期限 %s）%s", "lock state: %s (retained until %s) %s"),
                p->lock_ok ? RL(r, "COMPLIANCE で確認済み", "COMPLIANCE, read back")
                           : RL(r, "未確認", "not confirmed"),
                until, p->lock_detail);
            if (!p->lock_ok)
                rs_action(s,
                          RL(r, "%s: 変更不可ロックを確認できません",
                             "%s: the immutable lock is not confirmed"),
                          p->name);
        }
        if (!p->reachable)
            rs_action(s, RL(r, "%s: 接続できません（%s）", "%s: cannot be reached (%s)"), p->name,
                      p->error);
        else if (!p->newest_time)
            rs_action(s, RL(r, "%s: スナップショットがありません", "%s: holds no snapshot"),
                      p->name);
        else if (!p->fresh)
            rs_action(s,
                      RL(r, "%s: 最新スナップショットが%s前で基準（%ld秒）を超えています",
                         "%s: the newest snapshot is %s old, past the limit (%ld s)"),
                      p->name, age, cfg->snapshot_max_age);
        else if (p->failures)
            rs_action(s,
                      RL(r, "%s: 直近の取得が%lld回続けて失敗（%s）",
                         "%s: the last %lld attempts failed (%s)"),
                      p->name, p->failures, p->error);
        if (p->newest_suspect)
            rs_action(s,
                      RL(r, "%s: 最新スナップショットは凍結中に取得（要確認）",
                         "%s: the newest snapshot is tagged suspect"),
                      p->name);
        fresh += p->fresh && p->reachable;
    }
    rs_sub(s, "3-2-1-1-0");
    rs_line(s, "%s", st->rule_line);
    rs_line(s, "%s",
            RL(r,
               "オフライン媒体: "
               "本システムにはオフライン媒体へのコピーの記録がありません（最終オフラインコピーの日"
               "時は不明）",
               "offline media: this system keeps no record of offline copies (age of the last "
               "offline copy unknown)"));
    if (st->offsite == 0 || st->immutable == 0)
        rs_line(s, "%s",
                RL(r, "推奨: 遠隔地かつ変更不可（またはオフライン）のコピーを1つ以上持つこと",
                   "advice: keep at least one off-site and immutable (or offline) copy"));
    rs_figure(s, "copies_configured", (long long)cfg->nrepos);
    rs_figure(s, "copies_fresh", fresh);
    rs_figure(s, "copies_counted", st->copies);
    rs_figure(s, "offsite", st->offsite);
    rs_figure(s, "immutable", st->immutable);
}

/* ---- 2. drills ---------------------------------------------------------------------------- */

static void drill_line(const struct cv_report *r, const struct cv_state_drill *d,
                       struct cv_report_section *s)
{
    char when[32];

    time_text(d->time, when, sizeof(when));
    rs_line(s,
            RL(r, "%s %s %s: %s、%lldファイル、%.1f秒%s%s", "%s %s %s: %s, %lld files, %.1f s%s%s"),
            when, d->repo,
            strcmp(d->kind, "full") == 0 ? RL(r, "全件", "full") : RL(r, "抜取", "sample"),
            d->ok ? RL(r, "成功", "passed") : RL(r, "失敗", "FAILED"), d->files, d->seconds,
            d->detail[0] ? " — " : "", d->detail);
}

/* The newest drill of `kind` for repository `name` in v[0..n) (newest first), or NULL. */
static const struct cv_state_drill *latest(const struct cv_state_drill *v, size_t n,
                                           const char *name, const char *kind)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].repo, name) == 0 && (!kind || strcmp(v[i].kind, kind) == 0))
            return &v[i];
    return NULL;
}

/* Full drills: one within `full_interval` (and a day) per repository, passed, within the RTO. */
static void full_drills(const struct cv_report *r, const struct cv_config *cfg, struct cv_state *st,
                        struct cv_state_drill *v, struct cv_report_section *s)
{
    long long since = (long long)cv_now() - cfg->drill_full_interval - 86400;
    char rto[32];
    size_t n = 0;

    rs_age(rto, sizeof(rto), cfg->drill_rto, r->english);
    rs_line(s,
            RL(r, "目標復旧時間（RTO）: %s（[drill] rto）",
               "recovery time objective: %s ([drill] rto)"),
            rto);
    if (cfg->drill_full_interval == 0) {
        rs_action(s, "%s",
                  RL(r,
                     "全件復旧訓練が止められています（[drill] full_interval = 0）: "
                     "復旧にかかる時間が測られていません",
                     "full restore drills are off ([drill] full_interval = 0): the time a "
                     "recovery takes is not measured"));
        return;
    }
    if (cv_state_drill_list(st, since, NULL, "full", v, DRILLS_READ, &n) != CV_OK) {
        rs_action(
            s, RL(r, "全件訓練の記録を読めません: %s", "the full drill history cannot be read: %s"),
            cv_errmsg());
        return;
    }
    for (size_t k = 0; k < cfg->nrepos; k++) {
        const char *name = cfg->repos[k].name;
        const struct cv_state_drill *d = latest(v, n, name, "full");

        if (!d) {
            rs_action(s,
                      RL(r,
                         "%s: 全件復旧訓練が間隔（[drill] "
                         "full_interval）内にありません（chartvault drill --full で実施）",
                         "%s: no full restore drill within [drill] full_interval (chartvault "
                         "drill --full runs one)"),
                      name);
            continue;
        }
        rs_line(s,
                RL(r, "%s: 最新の全件復旧 %.0f秒（%lldファイル）%s",
                   "%s: latest full restore %.0f s (%lld files)%s"),
                name, d->seconds, d->files, d->ok ? "" : RL(r, " 失敗", " FAILED"));
        if (!d->ok)
            rs_action(s,
                      RL(r, "%s: 最新の全件復旧訓練が失敗（%s）",
                         "%s: the latest full drill failed (%s)"),
                      name, d->detail);
        else if (cfg->drill_rto > 0 && d->seconds > (double)cfg->drill_rto)
            rs_action(s,
                      RL(r, "%s: 全件復旧に%.0f秒、目標復旧時間（%ld秒）を超過",
                         "%s: restoring took %.0f s, over the RTO (%ld s)"),
                      name, d->seconds, cfg->drill_rto);
    }
}

static void drills(const struct cv_report *r, const struct cv_config *cfg,
                   const struct cv_report_options *o, struct cv_report_section *s)
{
    struct cv_state *st = NULL;
    struct cv_state_drill *v = cv_calloc(DRILLS_READ, sizeof(*v));
    size_t n = 0, ok = 0, failed = 0, full = 0;
    enum cv_err err = v ? cv_state_open(&st, cfg->state_dir, true) : CV_ENOMEM;

    if (!err)
        err = cv_state_drill_list(st, o->since, NULL, NULL, v, DRILLS_READ, &n);
    if (err) {
        rs_action(s, RL(r, "訓練の記録を読めません: %s", "the drill history cannot be read: %s"),
                  cv_errmsg());
        goto out;
    }
    if (cfg->drill_interval == 0)
        rs_action(s, "%s",
                  RL(r, "定期の復旧訓練が止められています（[drill] interval = 0）",
                     "scheduled drills are off ([drill] interval = 0)"));
    for (size_t i = 0; i < n; i++) {
        ok += v[i].ok;
        failed += !v[i].ok;
        full += strcmp(v[i].kind, "full") == 0;
    }
    for (size_t k = 0; k < cfg->nrepos; k++) {
        const char *name = cfg->repos[k].name;
        const struct cv_state_drill *last = latest(v, n, name, "sample");

        if (!last)
            rs_action(s,
                      RL(r, "%s: 期間内に抜取復旧訓練の記録がありません",
                         "%s: no sample drill in the period"),
                      name);
        else if (!last->ok)
            rs_action(s,
                      RL(r, "%s: 最新の復旧訓練が失敗（%s）", "%s: the latest drill failed (%s)"),
                      name, last->detail);
    }
    rs_line(s,
            RL(r, "期間内の訓練: %zu回（成功 %zu、失敗 %zu、うち全件 %zu）",
               "drills in the period: %zu (%zu passed, %zu failed, %zu full)"),
            n, ok, failed, full);
    rs_sub(s, RL(r, "直近の訓練", "latest drills"));
    for (size_t i = 0; i < n && i < DRILLS_SHOWN; i++)
        drill_line(r, &v[i], s);
    if (n > DRILLS_SHOWN)
        rs_line(s, RL(r, "ほか%zu回", "and %zu more"), n - DRILLS_SHOWN);
    rs_figure(s, "drills", (long long)n);
    rs_figure(s, "drills_failed", (long long)failed);
    rs_figure(s, "drills_full", (long long)full);
    rs_sub(s,
           RL(r, "全件復旧訓練（復旧時間の実測）", "full restore drills (measured recovery time)"));
    full_drills(r, cfg, st, v, s);
out:
    cv_state_close(st);
    cv_free(v);
}

/* ---- 3. recovery procedure ---------------------------------------------------------------- */

static void procedure(const struct cv_report *r, const struct cv_config *cfg,
                      const struct cv_status *st, bool have_status, struct cv_report_section *s)
{
    bool any = false;

    rs_line(s, "%s",
            RL(r, "1. 連絡: 4. の連絡体制に従い、院内IT当番から関係先へ連絡する。",
               "1. Call: follow the contacts and response flow in section 4."));
    rs_line(s,
            RL(r, "2. 状態確認: chartvault status --config %s",
               "2. State: chartvault status --config %s"),
            cfg->file);
    rs_line(s, "%s",
            RL(r, "3. 参照の継続（端末が使えない間）: 紙の運用は最新のダウンタイムパックで。",
               "3. Keep reading while screens are dark: the latest downtime packs on paper."));
    if (cfg->print_dir)
        rs_line(s, RL(r, "   最新のパック: %s/current/", "   latest packs: %s/current/"),
                cfg->print_dir);
    rs_line(s, "%s",
            RL(r, "4. 各コピーからの復旧（コピーごとのコマンド）:", "4. Restore, from each copy:"));
    for (size_t i = 0; i < cfg->nrepos; i++) {
        const struct cv_config_repo *p = &cfg->repos[i];

        rs_sub(s, p->name);
        rs_line(s, RL(r, "場所: %s", "where: %s"), p->path);
        rs_line(
            s,
            "chartvault restore --repo %s --password-file %s latest --target /srv/ssmix2-restored",
            p->path, p->password_file);
        rs_line(s,
                "chartvault serve --repo %s --password-file %s --state /var/lib/chartvault/viewer "
                "--listen 0.0.0.0:8443",
                p->path, p->password_file);
        rs_line(s, "chartvault print --repo %s --password-file %s --out /srv/packs --config %s",
                p->path, p->password_file, cfg->file);
        if (have_status && i < st->nrepos && st->repos[i].newest_time)
            any = true;
    }
    rs_sub(s, RL(r, "オフラインディスクから", "from an offline disk"));
    rs_line(s, "chartvault serve --repo /media/USER/DISK/vault --state ~/chartvault-viewer "
               "--listen 127.0.0.1:8443");
    rs_line(s, "%s",
            RL(r, "5. 復旧後: chartvault resume --config（凍結の解除は確認の後に）",
               "5. After: chartvault resume --config (lift a freeze only after a person looked)"));
    if (!cfg->nrepos)
        rs_action(s, "%s",
                  RL(r, "復旧元となるコピーがありません", "there is no copy to restore from"));
    else if (!any)
        rs_action(s, "%s",
                  RL(r, "復旧できるスナップショットがまだありません",
                     "no copy holds a snapshot to restore yet"));
}

/* ---- 4. contacts -------------------------------------------------------------------------- */

static void contacts(const struct cv_report *r, const struct cv_config *cfg,
                     struct cv_report_section *s)
{
    size_t missing = 0;

    if (!cfg->ncontacts)
        rs_action(s, "%s",
                  RL(r, "連絡先が設定されていません（設定ファイルの [contacts]）",
                     "no contacts are configured ([contacts] of the configuration)"));
    for (int k = 0; k < CV_CONTACT_ROLES; k++) {
        const struct cv_config_contact *c = &cfg->contacts[k];
        const char *label = cv_contact_role_label(k, r->english);

        if (c->name) {
            rs_line(s, "%s: %s  ☎ %s%s%s", label, c->name, c->phone, c->mail ? "  " : "",
                    c->mail ? c->mail : "");
        } else {
            rs_line(s, RL(r, "%s: 未設定", "%s: not set"), label);
            missing++;
            if (cfg->ncontacts)
                rs_action(s, RL(r, "%s（%s）が未設定", "%s (%s) is not set"), label,
                          cv_contact_role_key(k));
        }
    }
    rs_sub(s, RL(r, "対応の流れ", "response flow"));
    rs_line(s, "%s",
            RL(r, "1. 発見者 → 院内IT当番（直ちに）", "1. whoever notices → IT on call (at once)"));
    rs_line(s, "%s",
            RL(r,
               "2. 院内IT当番 → "
               "電子カルテベンダー・ネットワークベンダー（被害範囲の確認、ネットワークの切り離し）",
               "2. IT on call → EHR and network vendors (scope, isolate the network)"));
    rs_line(s, "%s",
            RL(r, "3. 院内IT当番 → 都道府県・警察・厚生労働省（サイバー攻撃が疑われるとき）",
               "3. IT on call → prefecture, police, MHLW (when an attack is suspected)"));
    rs_line(s, "%s",
            RL(r, "4. 地域医療ネットワーク（紹介・転送の調整）",
               "4. regional network (referrals and transfers)"));
    rs_figure(s, "contacts", (long long)cfg->ncontacts);
    rs_figure(s, "contacts_missing", (long long)missing);
}

/* ---- 7. not covered ----------------------------------------------------------------------- */

static void not_covered(const struct cv_report *r, struct cv_report_section *s)
{
    static const char *const items[][2] = {
        {"病院の他のサーバー（電子カルテ本体、部門システム）の台帳とバックアップ",
         "the hospital's other servers (the EHR itself, departmental systems): inventory and "
         "backups"},
        {"ネットワーク機器（ルーター、VPN装置、ファイアウォール）の台帳と脆弱性対応",
         "network devices (routers, VPN gateways, firewalls): inventory and patching"},
        {"リモート保守の接続の有無と管理", "remote maintenance connections and their control"},
        {"電子カルテ本体のアクセスログ", "the EHR's own access logs"},
        {"職員教育、物理的な入退室管理", "staff training, physical access control"},
    };

    s->verdict = CV_REPORT_NA;
    rs_line(s, "%s",
            RL(r,
               "次の項目は本システムでは確認できないため、ここでは判定しません（病院側の資料で確認"
               "してください）:",
               "chartvault cannot know these; they are not judged here (see the hospital's own "
               "records):"));
    for (size_t i = 0; i < CV_ARRAY_LEN(items); i++)
        rs_line(s, "- %s", items[i][r->english]);
    cv_buf_puts(&s->reasons, RL(r, "本システムの範囲外\n", "outside this system\n"));
}

/* ---- the whole ---------------------------------------------------------------------------- */

enum cv_err cv_report_build(const struct cv_config *cfg, const struct cv_report_options *o,
                            struct cv_report *r)
{
    struct cv_status *st = cv_calloc(1, sizeof(*st));
    struct rs_access_out *acc = cv_calloc(1, sizeof(*acc));
    char when[40];
    bool have_status;
    enum cv_err err = CV_OK;

    memset(r, 0, sizeof(*r));
    if (!st || !acc) {
        cv_free(st);
        cv_free(acc);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    r->english = o->english;
    cv_time_format_iso(cv_now(), r->generated, sizeof(r->generated));
    cv_time_format_iso((time_t)o->since, when, sizeof(when));
    cv_strlcpy(r->since, when, 11);
    cv_strlcpy(r->facility,
               cfg->print_facility ? cfg->print_facility
               : cfg->facility     ? cfg->facility
                                   : "-",
               sizeof(r->facility));
    for (int i = 0; i < CV_REPORT_SECTIONS; i++) {
        struct cv_report_section *s = &r->sections[i];

        s->id = i;
        s->key = section_keys[i];
        s->title = section_titles[i][o->english];
        cv_buf_init(&s->reasons, CV_REPORT_MAX_TEXT);
        cv_buf_init(&s->evidence, CV_REPORT_MAX_TEXT);
    }
    have_status = cv_daemon_status(cfg, st) == CV_OK;
    backups(r, cfg, st, have_status, &r->sections[CV_REPORT_BACKUPS]);
    drills(r, cfg, o, &r->sections[CV_REPORT_DRILLS]);
    procedure(r, cfg, st, have_status, &r->sections[CV_REPORT_PROCEDURE]);
    contacts(r, cfg, &r->sections[CV_REPORT_CONTACTS]);
    rs_access(r, o, &r->sections[CV_REPORT_ACCESS], acc);
    rs_inventory(r, cfg, o, acc, &r->sections[CV_REPORT_INVENTORY]);
    not_covered(r, &r->sections[CV_REPORT_NOT_COVERED]);
    for (int i = 0; i < CV_REPORT_SECTIONS && !err; i++)
        if (r->sections[i].reasons.err || r->sections[i].evidence.err)
            err = cv_fail(CV_ENOMEM, "the report's section '%s' could not be held whole",
                          section_keys[i]);
    cv_free(st);
    cv_free(acc);
    if (err)
        cv_report_free(r);
    return err;
}

void cv_report_free(struct cv_report *r)
{
    if (!r)
        return;
    for (int i = 0; i < CV_REPORT_SECTIONS; i++) {
        cv_buf_free(&r->sections[i].reasons);
        cv_buf_free(&r->sections[i].evidence);
    }
}
