/*
 * tls.c: the viewer's TLS material. A given certificate and key are checked to belong
 * together before the server starts (a wrong file is a one-line error, not a silent
 * handshake failure later); without them a self-signed ECDSA P-256 certificate is made in
 * STATE/tls/ on first start and reused after. Its SHA-256 fingerprint is what staff compare
 * in the browser's warning. A client CA, when given, must parse, and each connection's
 * client certificate is checked against it.
 */
#include "web_internal.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>
#include <unistd.h>

#define PEM_MAX   (1u << 20)
#define CERT_DAYS 825

static enum cv_err tls_fail(const char *what, const char *path, int rc)
{
    return cv_fail(CV_ECRYPTO, "%s '%s': %s", what, path, gnutls_strerror(rc));
}

static enum cv_err read_pem(const char *path, char **out)
{
    struct cv_buf b = CV_BUF_INIT(PEM_MAX);
    enum cv_err err = cv_buf_read_file(&b, path);

    *out = NULL;
    if (!err && b.len == 0)
        err = cv_fail(CV_EPARSE, "'%s' is empty", path);
    if (err) {
        cv_buf_free(&b);
        return err;
    }
    *out = cv_buf_steal(&b, NULL);
    return CV_OK;
}

static enum cv_err set_names(gnutls_x509_crt_t crt)
{
    static const uint8_t loopback[4] = {127, 0, 0, 1};
    char host[256] = "";
    int rc;

    rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "chartvault", 10);
    if (!rc)
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                  GNUTLS_FSAN_SET);
    if (!rc && gethostname(host, sizeof(host) - 1) == 0 && host[0] &&
        strcmp(host, "localhost") != 0)
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, host,
                                                  (unsigned)strlen(host), GNUTLS_FSAN_APPEND);
    if (!rc)
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, loopback, 4,
                                                  GNUTLS_FSAN_APPEND);
    return rc ? cv_fail(CV_ECRYPTO, "cannot name the certificate: %s", gnutls_strerror(rc)) : CV_OK;
}

static enum cv_err make_self_signed(char **cert_pem, char **key_pem)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t c = {NULL, 0}, k = {NULL, 0};
    uint8_t serial[16];
    time_t now = time(NULL);
    enum cv_err err = CV_OK;
    int rc;

    randombytes_buf(serial, sizeof(serial));
    serial[0] &= 0x7f;
    rc = gnutls_x509_privkey_init(&key);
    if (!rc)
        rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                          GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    if (!rc)
        rc = gnutls_x509_crt_init(&crt);
    if (!rc)
        rc = gnutls_x509_crt_set_version(crt, 3);
    if (!rc)
        rc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
    if (!rc)
        rc = gnutls_x509_crt_set_activation_time(crt, now - 3600);
    if (!rc)
        rc = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)CERT_DAYS * 86400);
    if (!rc)
        rc = gnutls_x509_crt_set_key(crt, key);
    if (!rc)
        rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
    if (!rc)
        rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
    if (!rc)
        rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
    if (rc)
        err = cv_fail(CV_ECRYPTO, "cannot make a certificate: %s", gnutls_strerror(rc));
    if (!err)
        err = set_names(crt);
    if (!err && (rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) == 0 &&
        (rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c)) == 0)
        rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
                                               &k);
    if (!err && rc)
        err = cv_fail(CV_ECRYPTO, "cannot sign the certificate: %s", gnutls_strerror(rc));
    if (!err) {
        *cert_pem = cv_strndup((const char *)c.data, c.size);
        *key_pem = cv_strndup((const char *)k.data, k.size);
        if (!*cert_pem || !*key_pem)
            err = cv_fail(CV_ENOMEM, "out of memory");
    }
    if (k.data)
        sodium_memzero(k.data, k.size);
    gnutls_free(c.data);
    gnutls_free(k.data);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return err;
}

/* Reuse STATE/tls/{cert,key}.pem, or make and store them. */
static enum cv_err self_signed(const char *state, struct web_tls *t)
{
    char dir[4096], cert[4200], key[4200];
    enum cv_err err;

    if (cv_path_join(dir, sizeof(dir), state, "tls") ||
        cv_path_join(cert, sizeof(cert), dir, "cert.pem") ||
        cv_path_join(key, sizeof(key), dir, "key.pem"))
        return cv_fail_prefix(CV_ETOOBIG, "state folder: ");
    if (access(cert, F_OK) == 0 || access(key, F_OK) == 0) {
        err = cv_file_check_private(key);
        if (!err)
            err = read_pem(cert, &t->cert_pem);
        if (!err)
            err = read_pem(key, &t->key_pem);
        return err;
    }
    err = cv_mkdir_p(dir, 0700);
    if (!err)
        err = make_self_signed(&t->cert_pem, &t->key_pem);
    if (!err)
        err = cv_file_write_atomic(key, t->key_pem, strlen(t->key_pem), 0600);
    if (!err)
        err = cv_file_write_atomic(cert, t->cert_pem, strlen(t->cert_pem), 0644);
    t->made = !err;
    return err;
}

/* The certificate and key must parse and belong together. */
static enum cv_err check_pair(struct web_tls *t, const char *cert, const char *key)
{
    gnutls_certificate_credentials_t cred;
    gnutls_datum_t c = {(unsigned char *)t->cert_pem, (unsigned)strlen(t->cert_pem)};
    gnutls_datum_t k = {(unsigned char *)t->key_pem, (unsigned)strlen(t->key_pem)};
    gnutls_x509_crt_t crt;
    uint8_t fp[32];
    size_t fpn = sizeof(fp);
    int rc;

    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return cv_fail(CV_ENOMEM, "out of memory");
    rc = gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    if (rc < 0)
        return cv_fail(CV_ECRYPTO, "cannot use TLS key '%s' with certificate '%s': %s", key, cert,
                       gnutls_strerror(rc));
    if (gnutls_x509_crt_init(&crt) < 0)
        return cv_fail(CV_ENOMEM, "out of memory");
    rc = gnutls_x509_crt_import(crt, &c, GNUTLS_X509_FMT_PEM);
    if (!rc)
        rc = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fpn);
    gnutls_x509_crt_deinit(crt);
    if (rc)
        return tls_fail("cannot read certificate", cert, rc);
    for (size_t i = 0; i < fpn; i++)
        snprintf(t->fingerprint + 3 * i, 4, "%02X%s", fp[i], i + 1 < fpn ? ":" : "");
    return CV_OK;
}

static enum cv_err check_ca(const char *path, const char *pem)
{
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
    gnutls_x509_crt_t *list = NULL;
    unsigned n = 0;
    int rc = gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0);

    for (unsigned i = 0; rc >= 0 && i < n; i++)
        gnutls_x509_crt_deinit(list[i]);
    gnutls_free(list);
    if (rc < 0)
        return tls_fail("cannot read client CA", path, rc);
    if (n == 0)
        return cv_fail(CV_EPARSE, "cannot read client CA '%s': no certificate in it", path);
    return CV_OK;
}

enum cv_err web_tls_load(const struct cv_web_config *cfg, struct web_tls *t)
{
    enum cv_err err;

    memset(t, 0, sizeof(*t));
    if (!cfg->tls_cert != !cfg->tls_key)
        return cv_fail(CV_EINVAL, "--tls-cert and --tls-key go together");
    if (cfg->tls_cert) {
        err = cv_file_check_private(cfg->tls_key);
        if (!err)
            err = read_pem(cfg->tls_cert, &t->cert_pem);
        if (!err)
            err = read_pem(cfg->tls_key, &t->key_pem);
    } else {
        err = self_signed(cfg->state_dir, t);
    }
    if (!err)
        err = check_pair(t, cfg->tls_cert ? cfg->tls_cert : "STATE/tls/cert.pem",
                         cfg->tls_key ? cfg->tls_key : "STATE/tls/key.pem");
    if (!err && cfg->client_ca) {
        err = read_pem(cfg->client_ca, &t->ca_pem);
        if (!err)
            err = check_ca(cfg->client_ca, t->ca_pem);
    }
    if (err)
        web_tls_free(t);
    return err;
}

void web_tls_free(struct web_tls *t)
{
    if (t->key_pem)
        sodium_memzero(t->key_pem, strlen(t->key_pem));
    cv_free(t->cert_pem);
    cv_free(t->key_pem);
    cv_free(t->ca_pem);
    t->cert_pem = t->key_pem = t->ca_pem = NULL;
}

bool web_tls_client_ok(void *session)
{
    unsigned status = 1, n = 0;

    if (!session || !gnutls_certificate_get_peers(session, &n) || n == 0)
        return false;
    return gnutls_certificate_verify_peers2(session, &status) == 0 && status == 0;
}
