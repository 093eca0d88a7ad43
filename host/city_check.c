/* host/city_check.h */
#include "host/city_check.h"

#include <stdio.h>
#include <string.h>

#include "crawler/city.h"

int cc_city_check(const char *name, int synthetic_only, char *why, size_t why_len) {
    char path[4400], load_err[512];
    if (cc_city_path(name, path, sizeof path, why, why_len) != 0) return -1;
    if (!synthetic_only) return 0;
    cc_city *city = cc_city_load_file(path, load_err, sizeof load_err);
    if (!city) return 0; /* broken, not misnamed: the run loads it again and reports why */
    int real = strcmp(cc_city_portal(city)->kind, "synthetic") != 0;
    if (real)
        snprintf(why, why_len, "city '%s' has real records (portal kind '%s'); synth writes only cities whose "
                 "portal kind is 'synthetic', such as 'synthetic'", name, cc_city_portal(city)->kind);
    cc_city_free(city);
    return real ? -1 : 0;
}
