#ifndef EMSH_KERNELS_SIMD_H
#define EMSH_KERNELS_SIMD_H
// Vector kernels Swift cannot express portably (16-bit high multiplies, saturating packs).
// Each has a scalar, an SSE2 and an AVX2 body that give identical results; the best one this
// CPU supports is chosen at run time, or a given one for the tests.
#include <stddef.h>
#include <stdint.h>

/// The piecewise-linear intensity map of `normalize` in fixed point, for u8 input.
/// For a grey level x, segment k is 0 when x <= x1, 1 when x <= x2, else 2, and
///   T(x) = ((x << 8) * s[k] >> 16) + o[k]          (16-bit arithmetic; units of 2^-shift levels)
/// A voxel of dither class c (0...15) becomes clamp((T(x) + (2c + 1) << (shift - 5)) >> shift, 0, 255):
/// T/2^shift + (c + 1/2)/16 rounded down. shift is 5 or 6.
typedef struct {
    int16_t x1, x2;
    uint16_t s[3];
    int16_t o[3];
    int16_t shift;
} emsh_norm_map;

enum { EMSH_ISA_BEST = 0, EMSH_ISA_SCALAR = 1, EMSH_ISA_SSE2 = 2, EMSH_ISA_AVX2 = 3 };

/// The best instruction set these kernels can use here (EMSH_ISA_SCALAR, _SSE2 or _AVX2).
int emsh_simd_best_isa(void);

/// T(x) of `m` (the same 16-bit arithmetic as the vector bodies).
int emsh_norm_map_eval(const emsh_norm_map *m, int x);

/// dst[j] = the map of src[j] with dither class pattern[j & 4095] (pattern: 4096 classes 0...15),
/// or class 7.5 (round half up) for every voxel when pattern is NULL. `isa` picks the body
/// (EMSH_ISA_BEST: the best available; one this CPU lacks falls back to the best it has).
void emsh_normalize_u8(const uint8_t *src, uint8_t *dst, size_t n, const uint8_t *pattern,
                       const emsh_norm_map *m, int isa);

#endif
