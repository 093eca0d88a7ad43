/* The --city of import, crawl and raster and synth's --city-name: naming a city
 * crimecast has (data/cities/NAME.json) is part of a valid command line, so a wrong name
 * is a usage error (exit 2) that lists the known ones. A definition that is there but
 * broken is not the command line's fault: the run reports it (exit 1). */
#ifndef CRIMECAST_HOST_CITY_CHECK_H
#define CRIMECAST_HOST_CITY_CHECK_H

#include <stddef.h>

/* Which cities a command takes: any; only synthetic ones (synth writes them); only those
 * with a portal to crawl (crawl); only real ones, whose record files import reads (import
 * --city synthetic took the name and failed on the file's header; a probe). */
typedef enum { CC_CITY_ANY, CC_CITY_SYNTHETIC, CC_CITY_CRAWLABLE, CC_CITY_RECORDED } cc_city_kind;

/* 0 when city `name` has a definition file (cc_city_path); -1 with why when it has
 * none. A city whose definition loads and is not of `kind` (its portal kind 'synthetic'
 * or not) is refused too. */
int cc_city_check(const char *name, cc_city_kind kind, char *why, size_t why_len);

#endif
