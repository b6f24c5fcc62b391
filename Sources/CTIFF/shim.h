#include <stdint.h>
#include <tiffio.h>
// TIFFGetField / TIFFSetField are variadic and do not import into Swift: typed wrappers.
static inline int emsh_tiff_get_u16(TIFF *t, uint32_t tag, uint16_t *v) { return TIFFGetField(t, tag, v); }
static inline int emsh_tiff_get_u32(TIFF *t, uint32_t tag, uint32_t *v) { return TIFFGetField(t, tag, v); }
static inline int emsh_tiff_get_f32(TIFF *t, uint32_t tag, float *v) { return TIFFGetField(t, tag, v); }
static inline int emsh_tiff_get_string(TIFF *t, uint32_t tag, const char **v) { return TIFFGetField(t, tag, v); }
static inline int emsh_tiff_get_u32_default(TIFF *t, uint32_t tag, uint32_t *v) { return TIFFGetFieldDefaulted(t, tag, v); }
static inline int emsh_tiff_get_u16_default(TIFF *t, uint32_t tag, uint16_t *v) { return TIFFGetFieldDefaulted(t, tag, v); }
static inline int emsh_tiff_set_u16(TIFF *t, uint32_t tag, uint16_t v) { return TIFFSetField(t, tag, v); }
static inline int emsh_tiff_set_u32(TIFF *t, uint32_t tag, uint32_t v) { return TIFFSetField(t, tag, v); }
static inline int emsh_tiff_set_double(TIFF *t, uint32_t tag, double v) { return TIFFSetField(t, tag, v); }
static inline int emsh_tiff_set_string(TIFF *t, uint32_t tag, const char *v) { return TIFFSetField(t, tag, v); }
static inline int emsh_tiff_get_f32_or_double(TIFF *t, uint32_t tag, double *v) {
    // XResolution/YResolution are floats in libtiff 4.x's TIFFGetField.
    float f = 0; int ok = TIFFGetField(t, tag, &f); if (ok) *v = f; return ok;
}

// Per-handle error capture (added by the VolumeIO engineer): libtiff's messages go into a buffer
// that the caller owns and turns into its thrown error, instead of stderr.
#include <stdarg.h>
#include <stdio.h>
typedef struct { char message[512]; int count; } emsh_tiff_errors;
static int emsh_tiff_on_error(TIFF *t, void *user, const char *module, const char *fmt, va_list ap) {
    (void)t; (void)module;
    emsh_tiff_errors *e = (emsh_tiff_errors *)user;
    if (e) { if (e->count == 0) vsnprintf(e->message, sizeof e->message, fmt, ap); e->count++; }
    return 1;
}
static int emsh_tiff_on_warning(TIFF *t, void *user, const char *module, const char *fmt, va_list ap) {
    (void)t; (void)user; (void)module; (void)fmt; (void)ap;
    return 1;
}
/// TIFFOpenExt with this handle's errors captured in `errors` and warnings dropped; `maxAlloc`
/// caps any single allocation libtiff makes (0 = libtiff's default).
static inline TIFF *emsh_tiff_open(const char *path, const char *mode, emsh_tiff_errors *errors, long maxAlloc) {
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(o, emsh_tiff_on_error, errors);
    TIFFOpenOptionsSetWarningHandlerExtR(o, emsh_tiff_on_warning, NULL);
    if (maxAlloc > 0) TIFFOpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)maxAlloc);
    TIFF *t = TIFFOpenExt(path, mode, o);
    TIFFOpenOptionsFree(o);
    return t;
}
/// Silences libtiff's process-wide handlers (messages without a handle would go to stderr).
static inline void emsh_tiff_silence_global_handlers(void) {
    TIFFSetErrorHandler(NULL);
    TIFFSetWarningHandler(NULL);
}

// libdeflate (a dependency of Debian's libtiff; libdeflate-dev comes with libtiff-dev): emsh inflates
// and deflates TIFF strips itself, in parallel, and hands libtiff raw strips (added by fastio).
#include <libdeflate.h>
