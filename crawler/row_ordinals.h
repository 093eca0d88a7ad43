/* Stable identifiers for rows that carry none (SF's Kaggle files, police.uk
 * anti-social-behaviour rows): a 64-bit hash of the row's fields plus the ordinal of
 * identical rows seen so far in the same file. True repeats within a file thus get
 * distinct ids (1, 2, ...) and are all kept, while importing the file again yields the
 * same ids, so nothing is inserted twice. */
#ifndef CRIMECAST_CRAWLER_ROW_ORDINALS_H
#define CRIMECAST_CRAWLER_ROW_ORDINALS_H

#include <stddef.h>
#include <stdint.h>

typedef struct cc_row_ordinals cc_row_ordinals;

cc_row_ordinals *cc_row_ordinals_new(void);
void cc_row_ordinals_free(cc_row_ordinals *ordinals);

/* FNV-1a over the fields, each followed by a 0x1F unit separator. */
uint64_t cc_hash_fields(char *const *fields, const size_t *lengths, int count);

/* Counts one more row with this hash; returns how many have been seen, this one
 * included (1 for the first). Returns 0 when out of memory. */
uint32_t cc_row_ordinals_next(cc_row_ordinals *ordinals, uint64_t hash);

#endif
