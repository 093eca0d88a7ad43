#include "heatmaps/png_export.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "crawler/printable.h"
#include "crawler/whole_file.h"

static void palette(const cc_colormap *cmap, unsigned char out[256 * 3]) {
    memcpy(out, cmap->rgb, CC_COLORMAP_LEVELS * 3);
    memcpy(out + CC_PALETTE_MASKED * 3, cmap->masked, 3);
}

/* Palette indices, each cell repeated zoom x zoom. */
static unsigned char *indices(const float *values, const uint8_t *mask, int H, int W,
                              const cc_png_style *style) {
    int zoom = style->zoom, pw = W * zoom;
    unsigned char *pixels = malloc((size_t)H * zoom * pw);
    if (!pixels) return NULL;
    for (int r = 0; r < H; r++) {
        unsigned char *line = pixels + (size_t)r * zoom * pw;
        for (int c = 0; c < W; c++) {
            size_t k = (size_t)r * W + c;
            int level = mask && !mask[k] ? CC_PALETTE_MASKED
                                         : cc_colormap_level(values[k], style->vmax, style->scale);
            memset(line + (size_t)c * zoom, level, (size_t)zoom);
        }
        for (int z = 1; z < zoom; z++) memcpy(line + (size_t)z * pw, line, (size_t)pw);
    }
    return pixels;
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* A text chunk; CRC over type and data. Returns its size. Text that is all ASCII goes in
 * tEXt (keyword, NUL, text); other well-formed UTF-8 in iTXt (keyword, NUL, compression
 * flag 0, method 0, empty language tag and translated keyword, text), since tEXt is
 * Latin-1 and a viewer would show a channel name like 'théft' as 'thÃ©ft'. */
static int needs_itxt(const char *value) {
    int ascii = 1;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) ascii &= *p < 0x80;
    return !ascii && cc_utf8_well_formed(value);
}

static size_t text_chunk(unsigned char *out, const char *key, const char *value) {
    static const unsigned char itxt_fields[4] = {0, 0, 0, 0};
    int itxt = needs_itxt(value);
    size_t k = strlen(key), v = strlen(value), fields = itxt ? sizeof itxt_fields : 0;
    size_t n = k + 1 + fields + v;
    put_u32(out, (uint32_t)n);
    memcpy(out + 4, itxt ? "iTXt" : "tEXt", 4);
    memcpy(out + 8, key, k);
    out[8 + k] = 0;
    memcpy(out + 9 + k, itxt_fields, fields);
    memcpy(out + 9 + k + fields, value, v);
    put_u32(out + 8 + n, (uint32_t)crc32(crc32(0, NULL, 0), out + 4, (uInt)(n + 4)));
    return n + 12;
}

/* The PNG with text chunks spliced in after IHDR (signature 8 bytes + IHDR 25). */
static unsigned char *add_text(const unsigned char *png, size_t size, const cc_png_text *texts, int count,
                               size_t *out_size) {
    size_t extra = 0; /* per chunk: length, type, CRC, the keyword's NUL, iTXt's 4 fields */
    for (int i = 0; i < count; i++) extra += strlen(texts[i].key) + strlen(texts[i].value) + 17;
    unsigned char *out = malloc(size + extra);
    if (!out) return NULL;
    size_t head = 8 + 25, n = head;
    memcpy(out, png, head);
    for (int i = 0; i < count; i++) n += text_chunk(out + n, texts[i].key, texts[i].value);
    memcpy(out + n, png + head, size - head);
    *out_size = n + size - head;
    return out;
}

static int write_whole(const char *path, const unsigned char *bytes, size_t size, char *err, size_t err_len) {
    cc_whole_file out;
    FILE *f = cc_whole_file_fopen(&out, path, err, err_len);
    return f ? cc_whole_file_fclose(&out, f, fwrite(bytes, 1, size, f) == size, err, err_len) : -1;
}

/* tEXt keywords are 1-79 Latin-1 characters (PNG spec 11.3.4.3). */
static int check_keywords(const char *path, const cc_png_text *texts, int text_count, char *err,
                          size_t err_len) {
    for (int i = 0; i < text_count; i++) {
        size_t k = strlen(texts[i].key);
        if (k < 1 || k > 79) {
            snprintf(err, err_len, "%s: PNG text keyword '%s' must be 1-79 characters", path, texts[i].key);
            return -1;
        }
    }
    return 0;
}

/* The text chunks spliced into the encoded stream, written whole. 0, or -1 with err. */
static int write_with_text(const char *path, const unsigned char *png, size_t size, const cc_png_text *texts,
                           int text_count, char *err, size_t err_len) {
    size_t full_size = 0;
    /* 33 bytes: the signature and IHDR, after which the text goes */
    unsigned char *full = size > 33 ? add_text(png, size, texts, text_count, &full_size) : NULL;
    int status = full ? write_whole(path, full, full_size, err, err_len) : -1;
    if (!full) snprintf(err, err_len, "%s: cannot write PNG: out of memory", path);
    free(full);
    return status;
}

int cc_png_write_image(const char *path, png_image *image, const void *pixels, const void *colormap,
                       const cc_png_text *texts, int text_count, char *err, size_t err_len) {
    if (check_keywords(path, texts, text_count, err, err_len)) return -1;
    png_alloc_size_t size = 0;
    unsigned char *png = NULL;
    int encoded = pixels && png_image_write_to_memory(image, NULL, &size, 0, pixels, 0, colormap);
    if (encoded) {
        png = malloc(size);
        encoded = png && png_image_write_to_memory(image, png, &size, 0, pixels, 0, colormap);
    }
    int ok = encoded && write_with_text(path, png, size, texts, text_count, err, err_len) == 0;
    if (!encoded)
        snprintf(err, err_len, "%s: cannot write PNG%s%s", path, image->message[0] ? ": " : "", image->message);
    png_image_free(image);
    free(png);
    return ok ? 0 : -1;
}

int cc_png_write(const char *path, const float *values, const uint8_t *mask, int height, int width,
                 const cc_png_style *style, const cc_png_text *texts, int text_count, char *err,
                 size_t err_len) {
    /* Checked before building the pixels too: a bad keyword costs no work at all. */
    if (check_keywords(path, texts, text_count, err, err_len)) return -1;
    double wide = (double)width * style->zoom, high = (double)height * style->zoom;
    if (wide * high > (double)(1 << 30)) { /* past a gigapixel: no viewer opens it, and its memory could be the host's */
        snprintf(err, err_len, "%s: a %.0f x %.0f picture is more than a gigapixel: a smaller --zoom", path, wide, high);
        return -1;
    }
    unsigned char map[256 * 3];
    palette(style->colormap, map);
    unsigned char *pixels = indices(values, mask, height, width, style);
    if (!pixels) {
        snprintf(err, err_len, "%s: out of memory for a %.0f x %.0f picture: a smaller --zoom", path, wide, high);
        return -1;
    }
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)(width * style->zoom);
    image.height = (png_uint_32)(height * style->zoom);
    image.format = PNG_FORMAT_RGB_COLORMAP;
    image.colormap_entries = 256;
    int status = cc_png_write_image(path, &image, pixels, map, texts, text_count, err, err_len);
    free(pixels);
    return status;
}
