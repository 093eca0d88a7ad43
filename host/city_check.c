/* host/city_check.h */
#include "host/city_check.h"

#include <stdio.h>
#include <string.h>

#include "crawler/city.h"

int cc_city_check(const char *name, int synthetic_only, char *why, size_t why_len) {
    cc_city *city = cc_city_load(name, why, why_len);
    if (!city) return -1;
    int real = synthetic_only && strcmp(cc_city_portal(city)->kind, "synthetic") != 0;
    if (real)
        snprintf(why, why_len, "city '%s' has real records (portal kind '%s'); synth writes only cities whose "
                 "portal kind is 'synthetic', such as 'synthetic'", name, cc_city_portal(city)->kind);
    cc_city_free(city);
    return real ? -1 : 0;
}
