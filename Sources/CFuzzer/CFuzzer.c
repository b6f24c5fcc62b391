// Header-only target: the declaration of LLVMFuzzerRunDriver lives in include/CFuzzer.h.
#include "CFuzzer.h"
