# module_deps: each module's library calls only into the modules its line in CMakeLists.txt
# names (build/modules.txt), not into one it reaches only through another (web may call
# index, not hl7 behind it): nm of every libcv_<module>.a. A module called without being named
# at all already fails the build (linkcheck_<module>); this catches the transitive detour.
. "$CV_SOURCE_DIR/tests/lib.sh"

B=$(dirname "$CHARTVAULT")
[ -s "$B/modules.txt" ] || fail "no $B/modules.txt (written by CMakeLists.txt)"
: > "$T/defs"
: > "$T/uses"
while IFS=: read -r m deps; do
    lib="$B/libcv_$m.a"
    [ -f "$lib" ] || fail "no $lib"
    nm --defined-only "$lib" 2>/dev/null | awk -v m="$m" '$2 ~ /^[TDRB]$/ {print $3, m}' >> "$T/defs"
    nm --undefined-only "$lib" 2>/dev/null | awk -v m="$m" 'NF == 2 && $1 == "U" {print $2, m}' >> "$T/uses"
done < "$B/modules.txt"
[ "$(wc -l < "$T/defs")" -gt 500 ] || fail "nm found too few symbols in the module libraries"
awk -v deps="$B/modules.txt" '
    BEGIN {
        while ((getline l < deps) > 0) {
            split(l, p, ":"); m = p[1]; ok[m, m] = 1
            n = split(p[2], d, " ")
            for (i = 1; i <= n; i++) ok[m, d[i]] = 1
        }
    }
    FNR == NR { owner[$1] = $2; next }
    ($1 in owner) && !((($2 SUBSEP owner[$1]) in ok)) {
        k = $2 " -> " owner[$1]
        if (!(k in seen)) { seen[k] = $1; order[++nk] = k }
    }
    END {
        for (i = 1; i <= nk; i++)
            printf "module %s (%s) without naming it in CMakeLists.txt\n", order[i], seen[order[i]]
        exit nk > 0
    }' "$T/defs" "$T/uses" > "$T/wrong" || { cat "$T/wrong" >&2; fail "a module calls one it does not name"; }
pass "every module calls only the modules it names ($(wc -l < "$B/modules.txt") modules)"
