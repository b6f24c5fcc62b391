#ifndef EMSH_PNGCODEC_H
#define EMSH_PNGCODEC_H
// libpng's low-level API behind plain C functions. libpng reports errors by longjmp; every
// function here owns its setjmp, so no longjmp ever crosses a Swift frame. Errors come back
// as a non-zero return code and a message in the caller's buffer.
#include <stddef.h>
#include <stdint.h>

#define EMSH_PNG_ERRLEN 256

/// What a PNG holds and how it will be decoded (always to one gray/index channel).
typedef struct {
    uint32_t width;
    uint32_t height;
    int outDepth;        // 8 or 16: bits per output sample
    int sourceDepth;     // bit depth in the file (1, 2, 4, 8, 16)
    int colorType;       // PNG colour type in the file (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA)
    int isPalette;       // 1: output holds palette indices
    int convertedRGB;    // 1: colour was converted to gray by luminance
    int droppedAlpha;    // 1: an alpha channel was dropped
    int interlaced;
} emsh_png_info;

typedef struct emsh_png_reader emsh_png_reader;

/// Opens `path` and reads the header. Returns NULL on failure with the message in `err`.
emsh_png_reader *emsh_png_open(const char *path, emsh_png_info *info, char *err, size_t errlen);

/// Decodes the whole image into `out` (width*height*(outDepth/8) bytes, rows contiguous,
/// 16-bit samples in native byte order). Returns 0 on success, -1 with a message otherwise.
int emsh_png_decode(emsh_png_reader *r, void *out, size_t outSize, char *err, size_t errlen);

/// Closes the file and frees libpng's state. Safe with NULL.
void emsh_png_close(emsh_png_reader *r);

/// Writes a PNG to `path`. colorType: 0 gray (depth 1..16), 2 RGB, 4 gray+alpha, 6 RGBA (8 or 16),
/// 3 palette (depth 1..8).
/// `pixels` holds rows of width*channels samples (16-bit samples native order; sub-byte
/// depths take one sample per byte and are packed here). `palette` is npalette*3 bytes (RGB)
/// for colour type 3. `level` is the zlib level (-1 default). Returns 0 or -1 with `err`.
int emsh_png_write(const char *path, uint32_t width, uint32_t height, int depth, int colorType,
                   const void *pixels, const uint8_t *palette, int npalette, int level,
                   char *err, size_t errlen);

#endif
