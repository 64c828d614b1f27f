/*
 * fuzz.h: the libFuzzer entry point every fuzz/fuzz_<name>.c defines. The same file is linked
 * with libFuzzer (make fuzz) or with replay_main.c, which feeds it every file of the target's
 * seed corpus in fuzz/corpus/<name>/ (make check).
 */
#ifndef CHARTVAULT_FUZZ_H
#define CHARTVAULT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
