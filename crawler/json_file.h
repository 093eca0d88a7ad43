/* JSON files from others (city definitions, training configurations): read whole,
 * with a size limit, and parsed; a parse error names the file and quotes the text near
 * it printably (whatever bytes the file holds). */
#ifndef CRIMECAST_CRAWLER_JSON_FILE_H
#define CRIMECAST_CRAWLER_JSON_FILE_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Larger than any JSON file crimecast reads is meant to be. */
enum { CC_JSON_FILE_MOST_BYTES = 4 << 20 };

/* Parses the JSON file at `path` (`what` names its kind in messages: "city
 * definition"). Text after the value (but white space) is refused, as is a name given
 * twice in one object (cJSON would keep the first, silently: a hand-edited file's later
 * line would not count). Returns the tree (cJSON_Delete it) or NULL with `err`. */
cJSON *cc_json_file_parse(const char *path, const char *what, char *err, size_t err_len);

#endif
