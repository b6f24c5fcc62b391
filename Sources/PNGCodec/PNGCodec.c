// libpng's low-level API, kept in C so that libpng's longjmp never crosses a Swift frame.
#include "PNGCodec.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EMSH_LITTLE_ENDIAN 1
#else
#define EMSH_LITTLE_ENDIAN 0
#endif

// Where libpng's error callback jumps back to, and the message it left.
typedef struct {
    jmp_buf jump;
    char message[EMSH_PNG_ERRLEN];
} error_context;

static void on_error(png_structp png, png_const_charp msg) {
    error_context *ctx = (error_context *)png_get_error_ptr(png);
    snprintf(ctx->message, sizeof ctx->message, "%s", msg ? msg : "libpng error");
    longjmp(ctx->jump, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void set_error(char *err, size_t errlen, const char *msg) {
    if (err && errlen > 0) snprintf(err, errlen, "%s", msg);
}

struct emsh_png_reader {
    error_context ctx;  // first: libpng's error pointer
    FILE *file;
    png_structp png;
    png_infop info;
    emsh_png_info pub;
};

void emsh_png_close(emsh_png_reader *r) {
    if (!r) return;
    if (r->png) png_destroy_read_struct(&r->png, r->info ? &r->info : NULL, NULL);
    if (r->file) fclose(r->file);
    free(r);
}

emsh_png_reader *emsh_png_open(const char *path, emsh_png_info *info, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_error(err, errlen, strerror(errno));
        return NULL;
    }
    unsigned char sig[8];
    size_t got = fread(sig, 1, 8, f);
    if (got != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        fclose(f);
        set_error(err, errlen, got == 0 ? "empty file, not a PNG" : "not a PNG file (bad signature)");
        return NULL;
    }
    emsh_png_reader *r = (emsh_png_reader *)calloc(1, sizeof *r);
    if (!r) {
        fclose(f);
        set_error(err, errlen, "out of memory");
        return NULL;
    }
    r->file = f;
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r->ctx, on_error, on_warning);
    if (!r->png) {
        emsh_png_close(r);
        set_error(err, errlen, "cannot create PNG reader");
        return NULL;
    }
    r->info = png_create_info_struct(r->png);
    if (!r->info) {
        emsh_png_close(r);
        set_error(err, errlen, "cannot create PNG reader");
        return NULL;
    }
    if (setjmp(r->ctx.jump)) {
        set_error(err, errlen, r->ctx.message);
        emsh_png_close(r);
        return NULL;
    }
    png_init_io(r->png, f);
    png_set_sig_bytes(r->png, 8);
    // Ancillary chunks (text, ICC profiles) never need more than this.
    png_set_chunk_malloc_max(r->png, 8u << 20);
#if defined(PNG_SET_OPTION_SUPPORTED) && defined(PNG_IGNORE_ADLER32)
    // Every chunk's CRC is still checked; zlib's own Adler-32 of the same bytes costs ~5% of decoding.
    png_set_option(r->png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
    png_read_info(r->png, r->info);

    png_uint_32 width = 0, height = 0;
    int depth = 0, colorType = 0, interlace = 0;
    png_get_IHDR(r->png, r->info, &width, &height, &depth, &colorType, &interlace, NULL, NULL);

    emsh_png_info *p = &r->pub;
    p->width = width;
    p->height = height;
    p->sourceDepth = depth;
    p->colorType = colorType;
    p->interlaced = interlace != PNG_INTERLACE_NONE;
    p->outDepth = depth == 16 ? 16 : 8;

    switch (colorType) {
    case PNG_COLOR_TYPE_PALETTE:
        p->isPalette = 1;
        if (depth < 8) png_set_packing(r->png);  // indices, one per byte, not scaled
        break;
    case PNG_COLOR_TYPE_GRAY:
        if (depth < 8) png_set_expand_gray_1_2_4_to_8(r->png);  // scaled to 0..255
        break;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
        png_set_strip_alpha(r->png);
        p->droppedAlpha = 1;
        break;
    case PNG_COLOR_TYPE_RGB:
    case PNG_COLOR_TYPE_RGB_ALPHA:
        if (colorType == PNG_COLOR_TYPE_RGB_ALPHA) {
            png_set_strip_alpha(r->png);
            p->droppedAlpha = 1;
        }
        // Rec. 709 luminance (libpng's defaults), no warning callback.
        png_set_rgb_to_gray_fixed(r->png, 1, -1, -1);
        p->convertedRGB = 1;
        break;
    default:
        png_error(r->png, "unsupported PNG colour type");
    }
    if (depth == 16 && EMSH_LITTLE_ENDIAN) png_set_swap(r->png);
    if (p->interlaced) (void)png_set_interlace_handling(r->png);
    png_read_update_info(r->png, r->info);

    int channels = png_get_channels(r->png, r->info);
    int outBits = png_get_bit_depth(r->png, r->info);
    size_t rowBytes = png_get_rowbytes(r->png, r->info);
    if (channels != 1 || outBits != p->outDepth || rowBytes != (size_t)width * (size_t)(outBits / 8)) {
        png_error(r->png, "unsupported PNG layout after conversion");
    }
    *info = r->pub;
    return r;
}

int emsh_png_decode(emsh_png_reader *r, void *out, size_t outSize, char *err, size_t errlen) {
    if (!r) {
        set_error(err, errlen, "no PNG reader");
        return -1;
    }
    size_t rowBytes = (size_t)r->pub.width * (size_t)(r->pub.outDepth / 8);
    size_t height = r->pub.height;
    if (height != 0 && rowBytes > (size_t)-1 / height) {
        set_error(err, errlen, "image too large");
        return -1;
    }
    if (outSize < rowBytes * height) {
        set_error(err, errlen, "output buffer too small");
        return -1;
    }
    png_bytep *volatile rows = (png_bytep *)malloc((height ? height : 1) * sizeof(png_bytep));
    if (!rows) {
        set_error(err, errlen, "out of memory");
        return -1;
    }
    if (setjmp(r->ctx.jump)) {
        free(rows);
        set_error(err, errlen, r->ctx.message);
        return -1;
    }
    for (size_t y = 0; y < height; y++) rows[y] = (png_bytep)out + y * rowBytes;
    png_read_image(r->png, rows);
    png_read_end(r->png, NULL);
    free(rows);
    return 0;
}

int emsh_png_write(const char *path, uint32_t width, uint32_t height, int depth, int colorType,
                   const void *pixels, const uint8_t *palette, int npalette, int level,
                   char *err, size_t errlen) {
    int channels;
    switch (colorType) {
    case PNG_COLOR_TYPE_GRAY:
        channels = 1;
        if (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16) {
            set_error(err, errlen, "gray PNG depth must be 1, 2, 4, 8 or 16");
            return -1;
        }
        break;
    case PNG_COLOR_TYPE_RGB:
    case PNG_COLOR_TYPE_GRAY_ALPHA:
    case PNG_COLOR_TYPE_RGB_ALPHA:
        channels = colorType == PNG_COLOR_TYPE_RGB ? 3 : colorType == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 4;
        if (depth != 8 && depth != 16) {
            set_error(err, errlen, "colour and alpha PNG depth must be 8 or 16");
            return -1;
        }
        break;
    case PNG_COLOR_TYPE_PALETTE:
        channels = 1;
        if ((depth != 1 && depth != 2 && depth != 4 && depth != 8) || !palette || npalette < 1 ||
            npalette > (1 << depth)) {
            set_error(err, errlen, "invalid palette PNG parameters");
            return -1;
        }
        break;
    default:
        set_error(err, errlen, "unsupported PNG colour type for writing");
        return -1;
    }
    if (width == 0 || height == 0 || width > PNG_UINT_31_MAX || height > PNG_UINT_31_MAX) {
        set_error(err, errlen, "PNG width and height must be between 1 and 2^31-1");
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        set_error(err, errlen, strerror(errno));
        return -1;
    }
    error_context ctx;
    memset(&ctx, 0, sizeof ctx);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        if (png) png_destroy_write_struct(&png, NULL);
        fclose(f);
        set_error(err, errlen, "cannot create PNG writer");
        return -1;
    }
    if (setjmp(ctx.jump)) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        set_error(err, errlen, ctx.message);
        return -1;
    }
    png_init_io(png, f);
    if (level >= 0 && level <= 9) png_set_compression_level(png, level);
    png_set_IHDR(png, info, width, height, depth, colorType, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (colorType == PNG_COLOR_TYPE_PALETTE) png_set_PLTE(png, info, (png_const_colorp)palette, npalette);
    png_write_info(png, info);
    if (depth < 8) png_set_packing(png);
    if (depth == 16 && EMSH_LITTLE_ENDIAN) png_set_swap(png);
    size_t rowBytes = (size_t)width * (size_t)channels * (size_t)(depth == 16 ? 2 : 1);
    const png_byte *src = (const png_byte *)pixels;
    for (uint32_t y = 0; y < height; y++) png_write_row(png, src + (size_t)y * rowBytes);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    if (fflush(f) != 0 || ferror(f)) {
        int e = errno;
        fclose(f);
        set_error(err, errlen, e ? strerror(e) : "write error");
        return -1;
    }
    if (fclose(f) != 0) {
        set_error(err, errlen, strerror(errno));
        return -1;
    }
    return 0;
}
