// The fixed-point normalisation map over u8 voxels: scalar, SSE2 and AVX2 bodies, one result.
#include "KernelsSIMD.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EMSH_X86 1
#endif

int emsh_norm_map_eval(const emsh_norm_map *m, int x) {
    int k = x <= m->x1 ? 0 : (x <= m->x2 ? 1 : 2);
    uint16_t hi = (uint16_t)(((uint32_t)(x << 8) * m->s[k]) >> 16);
    return (int16_t)(uint16_t)(hi + (uint16_t)m->o[k]);
}

/// The dither term (2c + 1) << (shift − 5) of class c; without a pattern, 16 << (shift − 5).
static inline int dither_term(const uint8_t *pattern, size_t j, int shift) {
    int d = pattern ? 2 * pattern[j & 4095] + 1 : 16;
    return d << (shift - 5);
}

static void normalize_scalar(const uint8_t *src, uint8_t *dst, size_t from, size_t n, const uint8_t *pattern,
                             const emsh_norm_map *m) {
    for (size_t j = from; j < n; j++) {
        int t = (int16_t)(uint16_t)(emsh_norm_map_eval(m, src[j]) + dither_term(pattern, j, m->shift));
        t >>= m->shift;
        dst[j] = (uint8_t)(t < 0 ? 0 : (t > 255 ? 255 : t));
    }
}

#ifdef EMSH_X86
// One body for both widths: V is the vector type, P the intrinsic prefix (_mm or _mm256), and
// the segment's slope and offset are selected arithmetically (s0 + (x > x1)·(s1 − s0) + (x > x2)·(s2 − s1))
// so that SSE2 needs no blend instruction.
#define EMSH_NORMALIZE_BODY(V, P, W, LOADU, STOREU)                                                   \
    const V zero = P##_setzero_si##W();                                                              \
    const V x1 = P##_set1_epi16(m->x1), x2 = P##_set1_epi16(m->x2);                                   \
    const V s0 = P##_set1_epi16((int16_t)m->s[0]);                                                    \
    const V ds1 = P##_set1_epi16((int16_t)(uint16_t)(m->s[1] - m->s[0]));                             \
    const V ds2 = P##_set1_epi16((int16_t)(uint16_t)(m->s[2] - m->s[1]));                             \
    const V o0 = P##_set1_epi16(m->o[0]);                                                             \
    const V do1 = P##_set1_epi16((int16_t)(uint16_t)(m->o[1] - m->o[0]));                             \
    const V do2 = P##_set1_epi16((int16_t)(uint16_t)(m->o[2] - m->o[1]));                             \
    const V one = P##_set1_epi8(1), sixteen = P##_set1_epi16(16);                                     \
    const __m128i up = _mm_cvtsi32_si128(m->shift - 5), down = _mm_cvtsi32_si128(m->shift);           \
    const size_t step = sizeof(V);                                                                   \
    size_t j = 0;                                                                                    \
    for (; j + step <= n; j += step) {                                                               \
        V x = LOADU((const V *)(src + j));                                                           \
        V dl, dh;                                                                                    \
        if (pattern) {                                                                               \
            V c = LOADU((const V *)(pattern + (j & 4095)));                                          \
            c = P##_or_si##W(P##_add_epi8(c, c), one);                                               \
            dl = P##_unpacklo_epi8(c, zero);                                                         \
            dh = P##_unpackhi_epi8(c, zero);                                                         \
        } else {                                                                                     \
            dl = dh = sixteen;                                                                       \
        }                                                                                            \
        V r[2];                                                                                      \
        for (int h = 0; h < 2; h++) {                                                                \
            V xv = h ? P##_unpackhi_epi8(x, zero) : P##_unpacklo_epi8(x, zero);                      \
            V m1 = P##_cmpgt_epi16(xv, x1), m2 = P##_cmpgt_epi16(xv, x2);                             \
            V s = P##_add_epi16(s0, P##_add_epi16(P##_and_si##W(m1, ds1), P##_and_si##W(m2, ds2)));  \
            V o = P##_add_epi16(o0, P##_add_epi16(P##_and_si##W(m1, do1), P##_and_si##W(m2, do2)));  \
            V t = P##_add_epi16(P##_mulhi_epu16(P##_slli_epi16(xv, 8), s), o);                       \
            t = P##_add_epi16(t, P##_sll_epi16(h ? dh : dl, up));                                    \
            r[h] = P##_sra_epi16(t, down);                                                           \
        }                                                                                            \
        STOREU((V *)(dst + j), P##_packus_epi16(r[0], r[1]));                                        \
    }                                                                                                \
    normalize_scalar(src, dst, j, n, pattern, m);

static void normalize_sse2(const uint8_t *src, uint8_t *dst, size_t n, const uint8_t *pattern,
                           const emsh_norm_map *m) {
    EMSH_NORMALIZE_BODY(__m128i, _mm, 128, _mm_loadu_si128, _mm_storeu_si128)
}

// unpacklo/unpackhi and packus work within each 128-bit lane on AVX2, so packing the two halves
// puts every byte back where it came from.
__attribute__((target("avx2")))
static void normalize_avx2(const uint8_t *src, uint8_t *dst, size_t n, const uint8_t *pattern,
                           const emsh_norm_map *m) {
    EMSH_NORMALIZE_BODY(__m256i, _mm256, 256, _mm256_loadu_si256, _mm256_storeu_si256)
}
#endif

int emsh_simd_best_isa(void) {
#ifdef EMSH_X86
    __builtin_cpu_init();  // idempotent and cheap; no shared state to race on
    return __builtin_cpu_supports("avx2") ? EMSH_ISA_AVX2 : EMSH_ISA_SSE2;
#else
    return EMSH_ISA_SCALAR;
#endif
}

void emsh_normalize_u8(const uint8_t *src, uint8_t *dst, size_t n, const uint8_t *pattern,
                       const emsh_norm_map *m, int isa) {
    int best = emsh_simd_best_isa();
    if (isa == EMSH_ISA_BEST || isa > best) isa = best;
#ifdef EMSH_X86
    if (isa == EMSH_ISA_AVX2) { normalize_avx2(src, dst, n, pattern, m); return; }
    if (isa == EMSH_ISA_SSE2) { normalize_sse2(src, dst, n, pattern, m); return; }
#endif
    normalize_scalar(src, dst, 0, n, pattern, m);
}
