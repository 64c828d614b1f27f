# corpus_unchanged: the public sample set under tests/data is a verbatim copy (Apache-2.0) and
# must never be edited: its files must match the checksums taken when it was copied, and the
# original in ../shared when that is present.
. "$CV_SOURCE_DIR/tests/lib.sh"

corpus="$CV_SOURCE_DIR/tests/data/nho-ssmix2-samples"
(cd "$corpus" && sha256sum --quiet -c "$CV_SOURCE_DIR/tests/data/nho-ssmix2-samples.SHA256SUMS") ||
    fail "tests/data/nho-ssmix2-samples differs from its recorded checksums"
n=$(find "$corpus" -type f | wc -l)
[ "$n" -eq "$(wc -l < "$CV_SOURCE_DIR/tests/data/nho-ssmix2-samples.SHA256SUMS")" ] ||
    fail "tests/data/nho-ssmix2-samples has files that are not in its checksum list"
shared="$CV_SOURCE_DIR/../shared/corpus/nho-ssmix2-samples/sampleData"
if [ -d "$shared" ]; then
    diff -r "$shared" "$corpus/sampleData" > "$T/diff" || fail "the copy differs from $shared"
fi
pass "$n corpus files unchanged"
