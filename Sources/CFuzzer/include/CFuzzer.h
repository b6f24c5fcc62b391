#ifndef EMSH_CFUZZER_H
#define EMSH_CFUZZER_H
#include <stddef.h>
#include <stdint.h>
// libFuzzer's driver entry point; linked only in the fuzz build (-sanitize=fuzzer).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif
