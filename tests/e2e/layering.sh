# layering: no module includes a private header of another (scripts/check-layering, also run
# by every build as target `layering`), and the check fails on a deliberate violation: the web
# code including the index's private header, by a path and by a detour through "..".
. "$CV_SOURCE_DIR/tests/lib.sh"

CHECK="$CV_SOURCE_DIR/scripts/check-layering"
expect_status 0 "$CHECK" "$CV_SOURCE_DIR/src"
pass "the source tree keeps the layering"

cp -r "$CV_SOURCE_DIR/src" "$T/src"
expect_status 0 "$CHECK" "$T/src"
printf '#include "index/index_internal.h"\n' >> "$T/src/web/page_patient.c"
expect_status 1 "$CHECK" "$T/src"
assert_contains "$T/err" "src/web/page_patient.c:[0-9]*: includes \"index/index_internal.h\""
cp "$CV_SOURCE_DIR/src/web/page_patient.c" "$T/src/web/page_patient.c"
printf '#include "../store/store_int.h"\n' >> "$T/src/web/web_internal.h"
expect_status 1 "$CHECK" "$T/src"
assert_contains "$T/err" "includes \"../store/store_int.h\""
cp "$CV_SOURCE_DIR/src/web/web_internal.h" "$T/src/web/web_internal.h"
printf '#include "index_internal.h"\n' >> "$T/src/web/server.c" # not in src/web/
expect_status 1 "$CHECK" "$T/src"
assert_contains "$T/err" "includes \"index_internal.h\""
pass "check-layering fails on web code including another module's private header"
