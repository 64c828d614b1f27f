# viewer_fidelity: what a nurse reads on the patient page is complete and true (issue 19), on
# messages written by hand from the SS-MIX2 specification: a drip with its base and additive,
# rate, route and instructions; a culture with its organisms and susceptibility; a suspected
# diagnosis and one only in an older diagnosis file; blood type "未登録"; a patient without
# ADT-00 found by name and marked unconfirmed; "no orders in 30 days" instead of "none"; junk
# values shown escaped, never dropped. And one "today": with the server in UTC at 05:30 JST on
# a patient's birthday, the census and the summary show the same age (and the other one with
# CHARTVAULT_TIMEZONE=UTC).
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/viewer_lib.sh"

cv --help | grep -q '^  index ' || { echo "no 'chartvault index' in this build"; exit 77; }

TREE="$T/tree"
"$PY" - "$TREE" <<'PY'
import os, sys
tree = sys.argv[1]
n = 0

def put(pid, date, dtype, time, text):
    global n
    n += 1
    d = f"{tree}/{pid[0:3]}/{pid[3:6]}/{pid}/{date}/{dtype}"
    os.makedirs(d, exist_ok=True)
    name = f"{pid}_{date}_{dtype}_{n:015d}_{time}_-_1"
    open(f"{d}/{name}", "wb").write(text.replace("\n", "\r").encode("iso2022_jp"))

MSH = "MSH|^~\\&|H|S|G|R|20260501120000||{}|1|P|2.5||||||~ISO IR87||ISO 2022-1994\n"
PID = "PID|1||{}||誕生^日子^^^^^L^I~タンジョウ^ヒコ^^^^^L^P||20000502|F\n"
p = "8000001"
put(p, "-", "ADT-00", "20260101120000000", MSH.format("ADT^A08^ADT_A01") + PID.format(p) +
    "OBX|1|ST|5H010000001999911^血液型-ABO式^JC10||<i>謎</i>||||||F\n")
put(p, "20260428", "ADT-22", "20260428090000000", MSH.format("ADT^A01^ADT_A01") +
    "EVN||20260428090000\n" + PID.format(p) + "PV1|1|I|5W^501^1^^^N||||D1^医師^一郎" +
    "|" * 37 + "202604280900\n")
put(p, "20260501", "OMP-02", "20260501080000000", MSH.format("RDE^O11^RDE_O11") + PID.format(p) +
    "ORC|NW|1||||||||20260501\n"
    "RXE||00^一般^99I02|510||ML^ミリリットル^MR9P|INJ^注射剤^MR9P|^５時間一定速度で^99IC6" +
    "|" * 16 + "102|ml/hr^ミリリッター／時間^ISO+\n"
    "TQ1|1||||||202605010900|202605031000\nRXR|IV^静脈内^HL70162\n"
    "RXC|B|620007329^ソリタ−Ｔ３号輸液５００ｍＬ^HOT9|1|HON^本^MR9P\n"
    "RXC|A|620002559^アドナ注（静脈用）50mg^HOT9|1|AMP^アンプル^MR9P\n"
    "RXC|A|620009999|2|AMP^アンプル^MR9P\n")
put(p, "20260428", "OML-11", "20260501100000000", MSH.format("OUL^R22^OUL_R22") + PID.format(p) +
    "SPM|1|||011^喀痰^JC10|||||||||||||202604281000\nOBR|1|1||B001^細菌培養同定検査^99O03\n"
    "OBX|1|CWE|B0100^検出菌^99B01|1|B1001^大腸菌^99B02||||||F|||202604281000\n"
    "OBX|2|ST|B0200^菌量^99B01|1|3+||||||F|||202604281000\n"
    "OBX|3|ST|B2001^ABPC^99B01|1.1|≧32|ug/mL||R|||F|||202604281000\n"
    "OBX|4|CWE|B0100^検出菌^99B01|<x>|B1003^黄色ブドウ球菌^99B02||||||F|||202604281000\n")
put(p, "-", "PPR-01", "20260101120000000", MSH.format("PPR^ZD1^PPR_ZD1") + PID.format(p) +
    "PRB|AD|20260101|001^高血圧症^MDCDX2|1||||||I10^^I10||||||20200101\n")
put(p, "-", "PPR-01", "20260429120000000", MSH.format("PPR^ZD1^PPR_ZD1") + PID.format(p) +
    "PRB|AD|20260429|002^肺炎^MDCDX2|1||||||J189^^I10|||1^疑い^JHSD0005|||20260428\n"
    "PRB|AD|20260429|003^胃炎^MDCDX2|2||||||K297^^I10|||<Z>|||20260301\n")
# no ADT-00: known only from an order's PID
put("8000002", "20260430", "OMP-01", "20260430090000000", MSH.format("RDE^O11^RDE_O11") +
    "PID|1||8000002||無登^録子^^^^^L^I~ムトウ^ロクコ^^^^^L^P||19800101|F\n"
    "ORC|NW|1||||||||20260430\nRXE||1^ロキソニン錠^HOT9|1||TAB^錠^MR9P\n"
    "TQ1|1||1&１日３回&JAMISDP01|||1^d|20260430\n")
PY
expect_status 0 cv index --source "$TREE" --db "$T/index.db"
expect_status 0 cv query --db "$T/index.db" rejected
assert_not_contains "$T/out" "8000"

make_password "$T/pw" "nurse-station-5w-tablet"
expect_status 0 cv user add nurse --role viewer --state "$T/state" --password-file "$T/pw"
# 2026-05-01 20:30 UTC = 2026-05-02 05:30 in Tokyo: the patient's 26th birthday there
target=$($PY -c 'import calendar; print(calendar.timegm((2026, 5, 1, 20, 30, 0)))')
echo $(( target - $(date +%s) )) > "$CLOCK"
export TZ=UTC
start_server --db "$T/index.db" --state "$T/state"
[ "$(login "$T/jar" nurse nurse-station-5w-tablet)" = 303 ] || fail "login"

[ "$(get /patient/8000001 "$T/jar")" = 200 ] || fail "patient 8000001"
for want in "ソリタ−Ｔ３号輸液５００ｍＬ" "アドナ注（静脈用）50mg" "620009999" "基剤" \
            "102 ml/hr" "静脈内" "５時間一定速度で" "2026-05-01 09:00" \
            "細菌検査" "大腸菌" "菌量" "≧32" "sir-R" "黄色ブドウ球菌" "&lt;x&gt;" \
            'class="susp"' "肺炎" "（確定区分: &lt;Z&gt;）" \
            "以前の病名ファイルにのみ記載" "高血圧症" "&lt;i&gt;謎&lt;/i&gt;" "Rh未登録" \
            "（26歳）"; do
    assert_contains "$T/body" "$want"
done
assert_not_contains "$T/body" "<i>謎"
assert_not_contains "$T/body" "injection 一般"
pass "a drip with its base, additive, rate, route and instructions; a culture; diagnoses"

[ "$(get /ward/5W "$T/jar")" = 200 ] || fail "census of 5W"
$PY - "$T/body" 26 <<'PY' || fail "census age"
import re, sys
body, want = open(sys.argv[1]).read(), sys.argv[2]
row = re.search(r'<tr><td>501</td><td>1</td>.*?</tr>', body, re.S).group(0)
ages = re.findall(r'</small></td><td>(\d+)</td>', row)
assert ages == [want], (ages, want)
PY
pass "05:30 JST on the birthday, server in UTC: 26 on the census and the summary alike"

[ "$(get "/search?q=ムトウ" "$T/jar")" = 200 ] || fail "search"
assert_contains "$T/body" 'href="/patient/8000002"'
[ "$(get /patient/8000002 "$T/jar")" = 200 ] || fail "patient 8000002"
for want in "無登 録子" "unconfirmed-id" "未確認" "未登録"; do
    assert_contains "$T/body" "$want"
done
pass "a patient without ADT-00: found by kana, marked unconfirmed, blood type 未登録"

# 8000002's order (2026-04-30, one day) ended 2 days before; 40 days later, nothing lately
assert_contains "$T/body" "最近終了した処方・注射"
assert_contains "$T/body" "ロキソニン錠"
echo $(( target + 40 * 86400 - $(date +%s) )) > "$CLOCK"
[ "$(login "$T/jar2" nurse nurse-station-5w-tablet)" = 303 ] || fail "login later"
[ "$(get /patient/8000002 "$T/jar2")" = 200 ] || fail "patient 8000002 later"
assert_contains "$T/body" "過去30日間に処方・注射の記録はありません。"
assert_not_contains "$T/body" "記録なし</p></section>"
pass "recently ended orders below the current ones; 'none in 30 days', never a bare 'none'"

# the facility's zone is configurable: in UTC it is still the day before the birthday
stop_server
echo $(( target - $(date +%s) )) > "$CLOCK"
CHARTVAULT_TIMEZONE=UTC start_server --db "$T/index.db" --state "$T/state"
[ "$(login "$T/jar3" nurse nurse-station-5w-tablet)" = 303 ] || fail "login (UTC)"
[ "$(get /patient/8000001 "$T/jar3")" = 200 ] || fail "patient 8000001 (UTC)"
assert_contains "$T/body" "（25歳）"
[ "$(get /ward/5W "$T/jar3")" = 200 ] || fail "census of 5W (UTC)"
assert_contains "$T/body" "</small></td><td>25</td>"
stop_server
CHARTVAULT_TIMEZONE=Mars/Base expect_status 2 cv query --db "$T/index.db" info
assert_contains "$T/err" "unknown time zone 'Mars/Base'"
pass "CHARTVAULT_TIMEZONE=UTC: 25 on both; an unknown zone is refused"
