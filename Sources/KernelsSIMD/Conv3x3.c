// Direct 3×3 convolution (padding 1, stride 1) with AVX-512: im2col + sgemm copies every input pixel
// nine times and then packs it again for the kernel, which costs as much as the arithmetic when a layer
// has few output channels (the first U-Net levels). Here each input row vector is loaded once per
// 8 output channels and multiplied from registers, and each broadcast weight serves up to three rows.
#include "KernelsSIMD.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EMSH_CONV_X86 1
#endif

int emsh_conv3x3_available(void) {
#ifdef EMSH_CONV_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
    return 0;
#endif
}

size_t emsh_conv3x3_packed_count(int outC, int inC) {
    return (size_t)((outC + 15) / 16) * 16 * (size_t)inC * 9;
}

void emsh_conv3x3_pack(const float *weight, int outC, int inC, float *packed) {
    int blocks = (outC + 15) / 16;
    for (int ob = 0; ob < blocks; ob++) {
        float *dst = packed + (size_t)ob * inC * 9 * 16;
        for (int c = 0; c < inC; c++) {
            for (int t = 0; t < 9; t++) {
                for (int i = 0; i < 16; i++) {
                    int o = ob * 16 + i;
                    dst[((size_t)c * 9 + t) * 16 + i] = o < outC ? weight[((size_t)o * inC + c) * 9 + t] : 0.0f;
                }
            }
        }
    }
}

#ifdef EMSH_CONV_X86
// The x masks of a 16-pixel chunk at x0: lanes whose source pixel x0+i−1, x0+i, x0+i+1 lies inside the row
// (masked lanes are not read, so a chunk at the row's ends reads nothing outside it).
#define EMSH_CHUNK_MASKS(w, x0)                                                                       \
    const int n = (w) - (x0) < 16 ? (w) - (x0) : 16;                                                  \
    const __mmask16 m1 = n == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);                    \
    const __mmask16 m0 = (x0) == 0 ? (__mmask16)(m1 & 0xFFFE) : m1;                                   \
    const __mmask16 m2 = (x0) + 16 < (w) ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - 1)) - 1);

// Output rows y ..< y+R for 8 output channels, the weights at wb + half·8 of each 16-wide group, `on` (≤ 8) of
// them stored: each broadcast weight serves R rows. With R > 1 every row has a row above and below inside the
// image; a single row may be the first or last (its taps outside are left out). Every pixel sums over c, ky,
// kx in that order whatever R computed it.
#define EMSH_ROWS_KERNEL(R)                                                                           \
    __attribute__((target("avx512f")))                                                               \
    static void conv3x3_rows##R##x8(const float *in, int inC, int h, int w, const float *wb, int on, int y, \
                                    float *out) {                                                     \
        const ptrdiff_t hw = (ptrdiff_t)h * w;                                                        \
        for (int x0 = 0; x0 < w; x0 += 16) {                                                          \
            EMSH_CHUNK_MASKS(w, x0)                                                                   \
            __m512 acc[R][8];                                                                         \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)                              \
                _Pragma("clang loop unroll(full)") for (int i = 0; i < 8; i++) acc[r][i] = _mm512_setzero_ps(); \
            for (int c = 0; c < inC; c++) {                                                           \
                const float *plane = in + c * hw + x0 + (ptrdiff_t)(y - 1) * w;                       \
                const float *wc = wb + (size_t)c * 9 * 16;                                            \
                for (int ky = R == 1 && y == 0 ? 1 : 0; ky <= (R == 1 && y == h - 1 ? 1 : 2); ky++) {  \
                    _Pragma("clang loop unroll(full)") for (int kx = 0; kx < 3; kx++) {                 \
                        const __mmask16 mk = kx == 0 ? m0 : kx == 1 ? m1 : m2;                        \
                        __m512 v[R];                                                                  \
                        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)                  \
                            v[r] = _mm512_maskz_loadu_ps(mk, plane + (ptrdiff_t)(ky + r) * w + kx - 1); \
                        const float *wk = wc + (ky * 3 + kx) * 16;                                    \
                        _Pragma("clang loop unroll(full)") for (int i = 0; i < 8; i++) {                \
                            const __m512 k = _mm512_set1_ps(wk[i]);                                   \
                            _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)              \
                                acc[r][i] = _mm512_fmadd_ps(k, v[r], acc[r][i]);                      \
                        }                                                                             \
                    }                                                                                 \
                }                                                                                     \
            }                                                                                         \
            float *dst = out + (ptrdiff_t)y * w + x0;                                                 \
            _Pragma("clang loop unroll(full)") for (int i = 0; i < 8; i++) {                            \
                if (i < on) {                                                                         \
                    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)                      \
                        _mm512_mask_storeu_ps(dst + i * hw + r * w, m1, acc[r][i]);                   \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    }

EMSH_ROWS_KERNEL(3)
EMSH_ROWS_KERNEL(2)
EMSH_ROWS_KERNEL(1)

__attribute__((target("avx512f")))
static void conv3x3_avx512(const float *in, int inC, int h, int w, const float *packed, int outC,
                           int y0, int y1, float *out) {
    const ptrdiff_t hw = (ptrdiff_t)h * w;
    for (int ob = 0; ob < (outC + 15) / 16; ob++) {
        const float *wb = packed + (size_t)ob * inC * 9 * 16;
        const int on = outC - ob * 16 < 16 ? outC - ob * 16 : 16;
        float *ob_out = out + (ptrdiff_t)ob * 16 * hw;
        for (int y = y0; y < y1;) {
            // Interior rows in threes (fewer at a band's end) share each weight broadcast; the image's first
            // and last rows go singly.
            int R = 1;
            if (y > 0) {
                R = y1 - y < 3 ? y1 - y : 3;
                if (R > h - 1 - y) R = h - 1 - y;
                if (R < 1) R = 1;
            }
            void (*const kernel)(const float *, int, int, int, const float *, int, int, float *) =
                R == 3 ? conv3x3_rows3x8 : R == 2 ? conv3x3_rows2x8 : conv3x3_rows1x8;
            kernel(in, inC, h, w, wb, on < 8 ? on : 8, y, ob_out);
            if (on > 8) kernel(in, inC, h, w, wb + 8, on - 8, y, ob_out + 8 * hw);
            y += R;
        }
    }
}
#endif

int emsh_conv3x3_rows(const float *in, int inC, int h, int w, const float *packed, int outC,
                      int y0, int y1, float *out) {
#ifdef EMSH_CONV_X86
    if (!emsh_conv3x3_available()) return 0;
    conv3x3_avx512(in, inC, h, w, packed, outC, y0, y1, out);
    return 1;
#else
    (void)in; (void)inC; (void)h; (void)w; (void)packed; (void)outC; (void)y0; (void)y1; (void)out;
    return 0;
#endif
}

size_t emsh_conv3x3_grad_scratch_count(int w, int pixels) {
    return (size_t)16 * (size_t)pixels + (size_t)w + 2;
}

#ifdef EMSH_CONV_X86
// One input pixel q of the weight gradient for CB input channels against 16 output channels held in the
// lanes: x[c][y+ky−1][q] is broadcast once and meets dy at q+1, q and q−1 (taps kx = 0, 1, 2):
// acc[c][ky][kx] += x[c][y+ky−1][q] · dy[16 outputs][y][q−kx+1]. Each accumulator still adds its terms in
// the order of the output pixel. LEFT / RIGHT: whether dy at q−1 / q+1 exists in the row.
#define EMSH_GRAD_INPUT(CB, q, LEFT, RIGHT)                                                             \
    {                                                                                                 \
        const __m512 dC = _mm512_loadu_ps(dyRow + (size_t)(q) * 16);                                   \
        const __m512 dL = (LEFT) ? _mm512_loadu_ps(dyRow + (size_t)(q) * 16 - 16) : dC;                 \
        const __m512 dR = (RIGHT) ? _mm512_loadu_ps(dyRow + (size_t)(q) * 16 + 16) : dC;                \
        _Pragma("clang loop unroll(full)") for (int c = 0; c < CB; c++) {                               \
            _Pragma("clang loop unroll(full)") for (int ky = 0; ky < 3; ky++) {                         \
                const __m512 k = _mm512_set1_ps(rows[c][ky][q]);                                       \
                if (RIGHT) acc[c][ky][0] = _mm512_fmadd_ps(k, dR, acc[c][ky][0]);                      \
                acc[c][ky][1] = _mm512_fmadd_ps(k, dC, acc[c][ky][1]);                                 \
                if (LEFT) acc[c][ky][2] = _mm512_fmadd_ps(k, dL, acc[c][ky][2]);                       \
            }                                                                                         \
        }                                                                                             \
    }

// Rows [y0, y1) for input channels c0 ..< c0 + CB: sums[c][ky·3+kx][16 outputs]. Rows above the first or
// below the last read `zeros` (w + 2 zeros).
#define EMSH_GRAD_BLOCK(CB)                                                                           \
    __attribute__((target("avx512f")))                                                                \
    static void grad_block##CB(const float *x, int c0, int h, int w, const float *dyT, int y0, int y1,   \
                               const float *zeros, float sums[CB][9][16]) {                          \
        const ptrdiff_t hw = (ptrdiff_t)h * w;                                                        \
        __m512 acc[CB][3][3];                                                                         \
        _Pragma("clang loop unroll(full)") for (int c = 0; c < CB; c++)                                \
            _Pragma("clang loop unroll(full)") for (int t = 0; t < 9; t++) acc[c][t / 3][t % 3] = _mm512_setzero_ps(); \
        for (int y = y0; y < y1; y++) {                                                               \
            const float *rows[CB][3];                                                                 \
            for (int c = 0; c < CB; c++)                                                              \
                for (int ky = 0; ky < 3; ky++) {                                                      \
                    const int sy = y + ky - 1;                                                        \
                    rows[c][ky] = sy < 0 || sy >= h ? zeros + 1 : x + (c0 + c) * hw + (ptrdiff_t)sy * w; \
                }                                                                                     \
            const float *dyRow = dyT + (size_t)(y - y0) * w * 16;                                      \
            if (w == 1) { EMSH_GRAD_INPUT(CB, 0, 0, 0) continue; }                                    \
            EMSH_GRAD_INPUT(CB, 0, 0, 1)                                                              \
            for (int q = 1; q < w - 1; q++) EMSH_GRAD_INPUT(CB, q, 1, 1)                               \
            EMSH_GRAD_INPUT(CB, w - 1, 1, 0)                                                          \
        }                                                                                             \
        _Pragma("clang loop unroll(full)") for (int c = 0; c < CB; c++)                                 \
            _Pragma("clang loop unroll(full)") for (int t = 0; t < 9; t++) _mm512_storeu_ps(sums[c][t], acc[c][t / 3][t % 3]); \
    }

EMSH_GRAD_BLOCK(2)
EMSH_GRAD_BLOCK(1)

__attribute__((target("avx512f")))
static void conv3x3_weight_grad_avx512(const float *x, int inC, int h, int w, const float *dy, int outC,
                                       int y0, int y1, float *scratch, float *dW) {
    const ptrdiff_t hw = (ptrdiff_t)h * w;
    const int pixels = (y1 - y0) * w;
    float *dyT = scratch;                          // [pixel][16 outputs] of one block
    float *zeros = scratch + (size_t)16 * pixels;  // w + 2 zeros
    for (int i = 0; i < w + 2; i++) zeros[i] = 0;
    for (int ob = 0; ob < (outC + 15) / 16; ob++) {
        const int on = outC - ob * 16 < 16 ? outC - ob * 16 : 16;
        for (int i = 0; i < 16; i++) {
            const float *src = dy + (ptrdiff_t)(ob * 16 + i) * hw + (ptrdiff_t)y0 * w;
            if (i < on) for (int p = 0; p < pixels; p++) dyT[(size_t)p * 16 + i] = src[p];
            else for (int p = 0; p < pixels; p++) dyT[(size_t)p * 16 + i] = 0;
        }
        for (int c = 0; c < inC;) {
            const int cb = inC - c >= 2 ? 2 : 1;
            float sums[2][9][16];
            if (cb == 2) grad_block2(x, c, h, w, dyT, y0, y1, zeros, sums);
            else grad_block1(x, c, h, w, dyT, y0, y1, zeros, sums);
            for (int a = 0; a < cb; a++)
                for (int i = 0; i < on; i++)
                    for (int t = 0; t < 9; t++) dW[((size_t)(ob * 16 + i) * inC + c + a) * 9 + t] += sums[a][t][i];
            c += cb;
        }
    }
}
#endif

int emsh_conv3x3_weight_grad_rows(const float *x, int inC, int h, int w, const float *dy, int outC,
                                  int y0, int y1, float *scratch, float *dW) {
#ifdef EMSH_CONV_X86
    if (!emsh_conv3x3_available()) return 0;
    conv3x3_weight_grad_avx512(x, inC, h, w, dy, outC, y0, y1, scratch, dW);
    return 1;
#else
    (void)x; (void)inC; (void)h; (void)w; (void)dy; (void)outC; (void)y0; (void)y1; (void)scratch; (void)dW;
    return 0;
#endif
}
