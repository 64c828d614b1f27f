# chartvault front door. Everything real lives in CMake (build, tests) and scripts/.
#   make           build build/chartvault (the release build: no test hooks)
#   make check     install missing deps, build a release-flags test build and an ASan/UBSan
#                  test build (both with CV_TEST_HOOKS, the test clock), run every test in both
#   make demo      build, make a demo hospital and run chartvault on it
#   make bench     benchmarks (never part of check)
#   make fuzz      run every libFuzzer target for FUZZ_SECONDS (default 60) each
#   make format    apply clang-format to all C sources
#   make screenshots  refresh docs/screenshots/ from the headless browser test
#   make deb       a Debian package of the release build (packaging/make-deb), in build/deb/

BUILD      ?= build
CHECK_BUILD ?= build-check
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
CTEST_ARGS ?=
C_SOURCES  = git ls-files --cached --others --exclude-standard '*.c' '*.h'
MAKEFLAGS += --no-print-directory

.PHONY: all deps check check-release check-asan demo bench fuzz format format-check clean screenshots deb

all: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCV_TEST_HOOKS=OFF >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

deps:
	@scripts/install-deps

# the release build's flags, plus the test clock (release_clock checks the release clock.c)
check-release: deps
	@cmake -S . -B $(CHECK_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCV_TEST_HOOKS=ON >/dev/null
	@cmake --build $(CHECK_BUILD) -j $(JOBS) -- --no-print-directory
	cd $(CHECK_BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

check-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCV_SANITIZE=ON -DCV_TEST_HOOKS=ON \
	    >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS) -- --no-print-directory
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

check: format-check check-asan check-release

demo: all
	@scripts/demo

bench: all
	@bench/run

fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCV_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@scripts/run-fuzzers $(FUZZ_BUILD) $(FUZZ_SECONDS)

deb: all
	@packaging/make-deb $(BUILD) $(BUILD)/deb

screenshots: deps
	@cmake -S . -B $(CHECK_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCV_TEST_HOOKS=ON >/dev/null
	@cmake --build $(CHECK_BUILD) -j $(JOBS) -- --no-print-directory
	cd $(CHECK_BUILD) && CV_UPDATE_SCREENSHOTS=1 ctest --output-on-failure -R e2e_viewer_browser

format:
	@$(C_SOURCES) | xargs -r clang-format -i

format-check:
	@bad=$$($(C_SOURCES) | xargs -r clang-format --dry-run --Werror 2>&1 | \
	    grep -o '^[^:]*\.[ch]' | sort -u); \
	if [ -n "$$bad" ]; then echo "clang-format would change: $$bad (run 'make format')"; exit 1; fi

clean:
	rm -rf $(BUILD) $(CHECK_BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
