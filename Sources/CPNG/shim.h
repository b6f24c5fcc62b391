#include <png.h>
// Composite macros that do not import into Swift.
static inline size_t emsh_png_image_size(png_image *img) { return PNG_IMAGE_SIZE(*img); }
