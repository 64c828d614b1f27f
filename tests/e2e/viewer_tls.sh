# viewer_tls: HTTPS only: a self-signed certificate made once and reused, a given
# certificate and key (and a key that does not belong to it refused at start), client
# certificates demanded with --client-ca (and a file that is no CA refused at start).
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/viewer_lib.sh"

S="$T/state"
command -v certtool > /dev/null || { echo "certtool missing"; exit 77; }

# the self-signed certificate is made on first start and kept
start_server --db "$T/none.db" --state "$S"
fp1=$(sed -n 's/^certificate SHA-256 fingerprint: \([0-9A-F:]*\).*/\1/p' "$T/serve.out")
assert_contains "$T/serve.out" "self-signed, made now"
want=$(openssl x509 -in "$S/tls/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
[ "$fp1" = "$want" ] || fail "printed fingerprint $fp1 is not the certificate's $want"
[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$S/tls/cert.pem" \
    "https://localhost:$PORT/login")" = 200 ] || fail "the certificate does not verify for localhost"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/login" || true)
[ "$code" != 200 ] || fail "plain HTTP answered"
stop_server
start_server --db "$T/none.db" --state "$S"
assert_not_contains "$T/serve.out" "made now"
grep -q "$fp1" "$T/serve.out" || fail "certificate not reused"
stop_server
pass "self-signed certificate made once, fingerprint printed, no plain HTTP"

# a CA, a server certificate, a client certificate
cat > "$T/ca.tmpl" <<EOF
cn = "test ca"
ca
cert_signing_key
expiration_days = 30
EOF
cat > "$T/srv.tmpl" <<EOF
cn = "localhost"
dns_name = "localhost"
tls_www_server
expiration_days = 30
EOF
cat > "$T/cli.tmpl" <<EOF
cn = "ward 3E tablet"
tls_www_client
expiration_days = 30
EOF
for k in ca srv cli other; do
    certtool --generate-privkey --key-type ecdsa --outfile "$T/$k.key" 2> /dev/null
    chmod 600 "$T/$k.key"
done
certtool --generate-self-signed --load-privkey "$T/ca.key" --template "$T/ca.tmpl" \
    --outfile "$T/ca.pem" 2> /dev/null
for k in srv cli; do
    certtool --generate-certificate --load-privkey "$T/$k.key" --load-ca-certificate "$T/ca.pem" \
        --load-ca-privkey "$T/ca.key" --template "$T/$k.tmpl" --outfile "$T/$k.pem" 2> /dev/null
done

# wrong files: one line, exit 1
expect_status 1 cv serve --db "$T/none.db" --state "$S" --listen 127.0.0.1:1 \
    --tls-cert "$T/srv.pem" --tls-key "$T/other.key"
[ "$(wc -l < "$T/err")" = 1 ] || fail "more than one line for a wrong key"
assert_contains "$T/err" "cannot use TLS key"
expect_status 1 cv serve --db "$T/none.db" --state "$S" --listen 127.0.0.1:1 \
    --tls-cert "$T/srv.pem" --tls-key "$T/srv.key" --client-ca "$T/srv.tmpl"
[ "$(wc -l < "$T/err")" = 1 ] || fail "more than one line for a wrong CA"
assert_contains "$T/err" "client CA"
expect_status 1 cv serve --db "$T/none.db" --state "$S" --listen 127.0.0.1:1 \
    --tls-cert "$T/srv.pem" --tls-key "$T/no-such.key"
[ "$(wc -l < "$T/err")" = 1 ] || fail "more than one line for a missing key"
chmod 644 "$T/srv.key"
expect_status 1 cv serve --db "$T/none.db" --state "$S" --listen 127.0.0.1:1 \
    --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
chmod 600 "$T/srv.key"
pass "a wrong key, CA or key permission is one line at start"

# client certificates demanded
start_server --db "$T/none.db" --state "$S" --tls-cert "$T/srv.pem" --tls-key "$T/srv.key" \
    --client-ca "$T/ca.pem"
base="https://localhost:$PORT"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/ca.pem" "$base/login" || true)
[ "$code" != 200 ] || fail "no client certificate, yet the login page"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/ca.pem" --cert "$T/srv.pem" \
    --key "$T/other.key" "$base/login" || true)
[ "$code" != 200 ] || fail "a certificate with the wrong key was taken"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/ca.pem" --cert "$T/cli.pem" \
    --key "$T/cli.key" "$base/login")
[ "$code" = 200 ] || fail "a good client certificate got $code"
# a certificate from another CA
certtool --generate-self-signed --load-privkey "$T/other.key" --template "$T/cli.tmpl" \
    --outfile "$T/other.pem" 2> /dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/ca.pem" --cert "$T/other.pem" \
    --key "$T/other.key" "$base/login" || true)
[ "$code" != 200 ] || fail "a certificate from another CA was taken"
stop_server
pass "--client-ca demands a client certificate from that CA"
