/* host/city_check.h */
#include "host/city_check.h"

#include <stdio.h>
#include <string.h>

#include "crawler/city.h"

int cc_city_check(const char *name, cc_city_kind kind, char *why, size_t why_len) {
    char path[4400], load_err[512];
    if (cc_city_path(name, path, sizeof path, why, why_len) != 0) return -1;
    if (kind == CC_CITY_ANY) return 0;
    cc_city *city = cc_city_load_file(path, load_err, sizeof load_err);
    if (!city) return 0; /* broken, not misnamed: the run loads it again and reports why */
    const char *portal = cc_city_portal(city)->kind;
    int synthetic = !strcmp(portal, "synthetic"), refused = 0;
    if (kind == CC_CITY_SYNTHETIC && !synthetic)
        refused = snprintf(why, why_len, "city '%s' has real records (portal kind '%s'); synth writes only cities "
                           "whose portal kind is 'synthetic', such as 'synthetic'", name, portal);
    else if (kind == CC_CITY_CRAWLABLE && strcmp(portal, "socrata") != 0 && strcmp(portal, "police.uk") != 0)
        refused = snprintf(why, why_len, "city '%s' has no portal to crawl (portal kind '%s'); %s", name, portal,
                           synthetic ? "crimecast synth makes its records" : "import its record files instead");
    else if (kind == CC_CITY_RECORDED && synthetic)
        refused = snprintf(why, why_len, "city '%s' is simulated (portal kind 'synthetic'): it has no record files to "
                           "import; crimecast synth makes its records", name);
    cc_city_free(city);
    return refused ? -1 : 0;
}
