#include "heatmaps/colormap.h"

#include <math.h>
#include <string.h>

static const cc_colormap COLORMAPS[] = {
    {"inferno", CC_COLORMAP_INFERNO, {160, 160, 160}},
    {"viridis", CC_COLORMAP_VIRIDIS, {160, 160, 160}},
    {"magma", CC_COLORMAP_MAGMA, {160, 160, 160}},
    /* grey is a data colour in "gray": mark outside cells with a pale steel blue */
    {"gray", CC_COLORMAP_GRAY, {176, 196, 222}},
};

const cc_colormap *cc_colormap_find(const char *name) {
    for (size_t i = 0; i < sizeof COLORMAPS / sizeof COLORMAPS[0]; i++)
        if (!strcmp(COLORMAPS[i].name, name)) return &COLORMAPS[i];
    return NULL;
}

int cc_scale_parse(const char *name, cc_scale *scale) {
    static const char *const NAMES[] = {"linear", "sqrt", "log"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, NAMES[i])) {
            *scale = (cc_scale)i;
            return 0;
        }
    return -1;
}

const char *cc_scale_name(cc_scale scale) {
    switch (scale) {
    case CC_SCALE_LINEAR: return "linear";
    case CC_SCALE_SQRT: return "sqrt";
    case CC_SCALE_LOG: return "log";
    }
    return "?";
}

static double apply_scale(double v, cc_scale scale) {
    if (v < 0) v = 0;
    switch (scale) {
    case CC_SCALE_LINEAR: return v;
    case CC_SCALE_SQRT: return sqrt(v);
    case CC_SCALE_LOG: return log1p(v);
    }
    return v;
}

int cc_colormap_level(double v, double vmax, cc_scale scale) {
    double x = apply_scale(v, scale) / apply_scale(vmax, scale);
    if (!(x > 0)) return 0; /* also NaN */
    double level = floor(x * CC_COLORMAP_LEVELS);
    return level >= CC_COLORMAP_LEVELS - 1 ? CC_COLORMAP_LEVELS - 1 : (int)level;
}
