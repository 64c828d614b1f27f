/*
 * contact_role.c: the names of the [contacts] roles (chartvault/config.h), for the downtime
 * packs and the inspection report, in Japanese and English. Here in common, as both print and
 * report show them and the config reader (daemon) is above print.
 */
#include <chartvault/config.h>

static const char *const contact_labels[CV_CONTACT_ROLES][2] = {
    {"院内IT当番", "IT on call"},
    {"電子カルテベンダー", "EHR vendor"},
    {"ネットワークベンダー", "network vendor"},
    {"都道府県（医療政策担当）", "prefecture"},
    {"警察（サイバー犯罪相談窓口）", "police cyber crime desk"},
    {"厚生労働省（医療情報セキュリティ窓口）", "MHLW incident line"},
    {"地域医療ネットワーク", "regional medical network"},
};

const char *cv_contact_role_label(enum cv_contact_role r, bool english)
{
    return (unsigned)r < CV_CONTACT_ROLES ? contact_labels[r][english] : "?";
}
