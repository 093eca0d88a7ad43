/* The --city of import, crawl and raster and synth's --city-name: a city definition
 * crimecast has (data/cities/NAME.json) is part of a valid command line, so a wrong name
 * is a usage error (exit 2) that lists what the loader says. */
#ifndef CRIMECAST_HOST_CITY_CHECK_H
#define CRIMECAST_HOST_CITY_CHECK_H

#include <stddef.h>

/* 0 when the city definition `name` loads; -1 with the loader's reason in why. With
 * synthetic_only, a city with real records (its portal kind is not 'synthetic') is
 * refused too. */
int cc_city_check(const char *name, int synthetic_only, char *why, size_t why_len);

#endif
