/* City definitions (data/cities/NAME.json, or a file a user writes: cc_city_load_file).
 *
 * Input: the bytes of the definition file.
 *
 * Promises checked: a definition is loaded whole or refused with a printable message
 * naming the file; a loaded city answers its questions (bounding box, categories of its
 * raw types, API slugs) with values that hold (a box with min < max, its centre inside
 * when no boundary ring is given, nothing past it inside, every raw type mapped to a
 * crimecast category). */
#include <math.h>
#include <string.h>

#include "crawler/city.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_city(const cc_city *city) {
    FUZZ_CHECK(cc_city_name(city) && cc_city_timezone(city) && cc_city_crs(city), "a city without its texts");
    cc_bbox box = cc_city_bbox(city);
    FUZZ_CHECK(box.min_lon < box.max_lon && box.min_lat < box.max_lat && isfinite(box.min_lon) &&
                   isfinite(box.max_lon) && isfinite(box.min_lat) && isfinite(box.max_lat),
               "bbox %g %g %g %g", box.min_lon, box.min_lat, box.max_lon, box.max_lat);
    FUZZ_CHECK(cc_city_has_boundary(city) ||
                   cc_city_contains(city, (box.min_lat + box.max_lat) / 2, (box.min_lon + box.max_lon) / 2),
               "the bbox's centre is outside, and no boundary leaves it out");
    FUZZ_CHECK(!cc_city_contains(city, box.max_lat + 1, box.max_lon + 1), "a point past the bbox is inside");
    for (int i = 0; i < cc_city_raw_type_count(city); i++) {
        const char *raw = cc_city_raw_type(city, i);
        int mapped = 0;
        const char *category = cc_city_category(city, raw, &mapped);
        FUZZ_CHECK(raw && category && mapped, "raw type %d ('%s') is listed but not mapped", i, raw ? raw : "?");
    }
    int mapped = 1;
    FUZZ_CHECK(cc_city_category(city, "\x01 not a crime type", &mapped) && !mapped, "an unknown type was mapped");
    cc_city_api_category(city, "burglary");
    cc_city_portal(city);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_path("city.json");
    fuzz_write_file(path, data, size);
    char err[1024] = "";
    cc_city *city = cc_city_load_file(path, err, sizeof err);
    if (city)
        check_city(city);
    else
        fuzz_check_message(err, path);
    cc_city_free(city);
    return 0;
}
