/* Whether two paths name one file, so that writing one replaces the other or reading one
 * reads the other: the same device and inode where both are there; where neither is yet,
 * the same name in the same directory (resolved through links and "..", so "./a.h5" and
 * "a.h5" are one). A path that is there and one that is not are two files. */
#ifndef CRIMECAST_CRAWLER_SAME_FILE_H
#define CRIMECAST_CRAWLER_SAME_FILE_H

int cc_paths_one_file(const char *a, const char *b);

#endif
