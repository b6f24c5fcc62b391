#ifndef EMSH_KERNELS_SIMD_H
#define EMSH_KERNELS_SIMD_H
// Vector kernels Swift cannot express portably (16-bit high multiplies, saturating packs, masked
// AVX-512 loads). normalize has a scalar, an SSE2 and an AVX2 body that give identical results; the best
// one this CPU supports is chosen at run time, or a given one for the tests. The 3×3 convolutions run on
// AVX-512 only and say when they cannot (the caller then uses im2col + sgemm).
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

/// 1 when this CPU runs the direct 3×3 convolution below (AVX-512), else 0.
int emsh_conv3x3_available(void);

/// Floats of a packed weight block for `emsh_conv3x3_rows`: outC rounded up to 16, × inC × 9.
size_t emsh_conv3x3_packed_count(int outC, int inC);

/// Repacks weights (outC, inC, 3, 3) as blocks of 16 output channels, [block][c][ky·3+kx][16], zero-padded.
void emsh_conv3x3_pack(const float *weight, int outC, int inC, float *packed);

/// Rows [y0, y1) of a 3×3 convolution with zero padding 1 of one image `in` (inC planes of h×w) into
/// `out` (outC planes of h×w), overwriting: out[o][y][x] = Σ_c Σ_ky Σ_kx w[o][c][ky][kx] · in[c][y+ky−1][x+kx−1],
/// summed in that order. `packed` comes from emsh_conv3x3_pack. Returns 0 (and writes nothing) when the
/// CPU lacks AVX-512: the caller uses im2col + sgemm instead.
int emsh_conv3x3_rows(const float *in, int inC, int h, int w, const float *packed, int outC,
                      int y0, int y1, float *out);

/// Floats of scratch `emsh_conv3x3_weight_grad_rows` needs for rows of width w holding `pixels` pixels.
size_t emsh_conv3x3_grad_scratch_count(int w, int pixels);

/// Adds the weight gradient of rows [y0, y1) of one image to dW (outC, inC, 3, 3):
/// dW[o][c][ky][kx] += Σ_y Σ_x dy[o][y][x] · in[c][y+ky−1][x+kx−1] (zero padding), over in (inC planes of
/// h×w) and dy (outC planes of h×w). Returns 0 (and adds nothing) when the CPU lacks AVX-512.
int emsh_conv3x3_weight_grad_rows(const float *in, int inC, int h, int w, const float *dy, int outC,
                                  int y0, int y1, float *scratch, float *dW);

#endif
