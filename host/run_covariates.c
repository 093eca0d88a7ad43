/* host/run_covariates.h */
#include "host/run_covariates.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/file_lock.h"
#include "crawler/whole_file.h"
#include "crawler/printable.h"
#include "heatmaps/area_weights.h"
#include "heatmaps/covariate_join.h"
#include "heatmaps/covariates.h"
#include "heatmaps/grid.h"
#include "heatmaps/tensor_file.h"

static const cc_option COVARIATES_OPTIONS[] = {
    {CC_OPTION_TEXT("data", cc_covariates_request, data, "TENSOR.h5", NULL,
                    "the tensor file the maps are added to (rewritten whole)"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_TEXT("polygons", cc_covariates_request, polygons, "FILE", NULL,
                    "the areas: any vector file GDAL reads (.shp, .gpkg, .geojson; inside .gz, .tar.gz, .zip)"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_TEXT("layer", cc_covariates_request, layer, "NAME", NULL, "the polygons' layer (if not given: the first)")},
    {CC_OPTION_TEXT("polygon-key", cc_covariates_request, polygon_key, "FIELD", NULL,
                    "the polygons' field holding the code the table is keyed by (LSOA11CD, LAD11CD, ...)"),
     .required = 1},
    {CC_OPTION_TEXT("table", cc_covariates_request, table, "FILE.csv", NULL, "the values, keyed by code (.csv or .csv.gz)"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_TEXT("key", cc_covariates_request, key, "COLUMN", NULL, "the table's code column"), .required = 1},
    {CC_OPTION_TEXT("date", cc_covariates_request, date, "COLUMN", NULL,
                    "the table's YYYY-MM-DD column: a daily series, averaged over each bin (dynamic maps)")},
    {CC_OPTION_LIST("columns", cc_covariates_request, columns, column_count, CC_TABLE_MOST_COLUMNS, "PATTERN",
                    "take the columns whose header contains PATTERN (repeatable; if not given: every numeric one)")},
    {CC_OPTION_LIST("names", cc_covariates_request, names, name_count, CC_TABLE_MOST_COLUMNS, "NAME",
                    "short names of the columns taken, in order (repeatable; if not given: from the headers)")},
    {CC_OPTION_TEXT("unit", cc_covariates_request, unit, "TEXT", NULL, "what the values are, stored with each map")},
    {CC_OPTION_TEXT("lookup", cc_covariates_request, lookup, "FILE.csv", NULL,
                    "code changes: pairs of a polygon code and a table code (the ONS LSOA 2011->2021 lookup)"),
     .file = CC_FILE_READ},
    {CC_OPTION_TEXT("lookup-columns", cc_covariates_request, lookup_columns, "POLYGON_COL,TABLE_COL", NULL,
                    "the lookup's columns of polygon codes and of table codes, e.g. LSOA21CD,LSOA11CD")},
    {CC_OPTION_TEXT("join-csv", cc_covariates_request, join_csv, "FILE.csv", NULL,
                    "write every polygon's join: its code, how it matched (direct, renamed, split, merged, unmatched), "
                    "the table codes it took and their shares"), .file = CC_FILE_WRITTEN},
};

static int check_request(void *request, char *why, size_t why_len) {
    const cc_covariates_request *r = request;
    const char *comma = r->lookup_columns ? strchr(r->lookup_columns, ',') : NULL;
    if ((r->lookup != NULL) != (r->lookup_columns != NULL))
        snprintf(why, why_len, "--lookup and --lookup-columns go together");
    else if (r->lookup_columns && (!comma || strchr(comma + 1, ',')))
        snprintf(why, why_len, "--lookup-columns takes two column names, e.g. LSOA21CD,LSOA11CD (got '%s')",
                 r->lookup_columns);
    else return 0;
    return -1;
}

static const cc_option_group COVARIATES_GROUPS[] = {{"options", CC_OPTION_ROWS(COVARIATES_OPTIONS), 0}};

const cc_command_spec CC_COVARIATES_SPEC = {
    .name = "covariates",
    .synopsis = "--data TENSOR.h5 --polygons FILE [--layer NAME] --polygon-key FIELD --table FILE.csv\n"
                "                            --key COLUMN [--date COLUMN] [--columns PATTERN]... [--names NAME]...\n"
                "                            [--unit TEXT] [--lookup FILE.csv --lookup-columns A,B] [--join-csv FILE]",
    .description =
        "Adds covariate maps to a tensor file: a table of values keyed by an area's code, joined\n"
        "to polygons carrying that code (through GDAL/OGR, reprojected to the grid's CRS when\n"
        "they are in another), and averaged over each cell by area (the mean over the part of\n"
        "the cell whose value is known; NaN where none is). Without --date the maps are static\n"
        "(/covariates/static); with --date the table is a daily series and each bin takes the\n"
        "mean of its days that have a value (/covariates/dynamic, NaN for bins outside the\n"
        "series: models see a missing-indicator, not a zero). A polygon whose code the table\n"
        "lacks takes its codes through --lookup: renamed and split areas carry their parent's\n"
        "value, merged ones the mean of their parents. Prints what matched and what did not.\n"
        "Maps of a name already in the file are replaced. Example, London's deprivation and\n"
        "mobility:\n"
        "  crimecast covariates --data london.h5 --polygons london_lsoa2011_boundaries_shp.tar.gz \\\n"
        "    --polygon-key LSOA11CD --table iod2019_london_lsoa_scores_ranks_deciles.csv.gz \\\n"
        "    --key 'LSOA code (2011)' --columns Score\n"
        "  crimecast covariates --data london.h5 --polygons london_lsoa2011_boundaries_shp.tar.gz \\\n"
        "    --polygon-key LAD11CD --table google_mobility_london_boroughs_2020_2022.csv.gz \\\n"
        "    --key area_code --date date --columns percent_change\n",
    .request_size = sizeof(cc_covariates_request),
    .groups = COVARIATES_GROUPS,
    .group_count = 1,
    .check = check_request,
};

/* A short name from a header: lower case, words joined by '_', without what stands in
 * brackets, cut after the last whole word within 40 characters. The asides go, not what
 * follows them: IoD's "Index of Multiple Deprivation (IMD) Score" and "... (IMD) Rank
 * (where 1 is most deprived)" are imd's score and rank, two names, not one. */
static void name_from_header(const char *header, char *out, size_t len) {
    enum { MOST = 40 };
    char full[256];
    size_t n = 0;
    int gap = 0, depth = 0;
    for (const char *p = header; *p && n + 2 < sizeof full; p++) {
        depth += *p == '(' ? 1 : *p == ')' && depth > 0 ? -1 : 0;
        if (depth > 0 || *p == ')') gap = 1; /* an unclosed '(' drops the rest */
        else if (isalnum((unsigned char)*p)) {
            if (gap && n) full[n++] = '_';
            full[n++] = (char)tolower((unsigned char)*p), gap = 0;
        } else gap = 1;
    }
    full[n] = 0;
    if (n > MOST) {
        char *cut = full + MOST;
        while (cut > full && *cut != '_') cut--;
        *(cut > full ? cut : full + MOST) = 0;
    }
    size_t kept = strlen(full); /* copied by hand: snprintf draws a truncation warning at -O1 */
    if (kept >= len) kept = len - 1;
    memcpy(out, full, kept);
    out[kept] = 0;
}

static int map_infos(const cc_covariates_request *r, const cc_covariate_table *table, const char *join,
                     const char *crs_note, cc_covariate_info *info, char *err, size_t err_len) {
    if (r->name_count && r->name_count != table->columns) {
        snprintf(err, err_len, "--names gives %d names for the %d columns taken (the first: '%s')", r->name_count,
                 table->columns, table->headers[0]);
        return -1;
    }
    for (int k = 0; k < table->columns; k++) {
        if (r->name_count) snprintf(info[k].name, sizeof info[k].name, "%s", r->names[k]);
        else name_from_header(table->headers[k], info[k].name, sizeof info[k].name);
        if (!cc_covariate_name_usable(info[k].name)) { /* a --names given is not to be asked for again */
            if (r->name_count)
                snprintf(err, err_len, "--names '%s' (the %d%s) is no usable name: a name needs a letter or digit, "
                         "printable ASCII, no space", info[k].name, k + 1, k == 0 ? "st" : k == 1 ? "nd" : k == 2 ? "rd" : "th");
            else
                snprintf(err, err_len, "column %d of those taken gives no usable name ('%s': a name needs a letter or "
                         "digit, printable ASCII, no space): name the columns with --names", k + 1, info[k].name);
            return -1;
        }
        for (int i = 0; i < k; i++)
            if (!strcmp(info[i].name, info[k].name)) {
                snprintf(err, err_len, "columns '%s' and '%s' would both be named '%s': name them with --names",
                         table->headers[i], table->headers[k], info[k].name);
                return -1;
            }
        snprintf(info[k].unit, sizeof info[k].unit, "%s", r->unit ? r->unit : table->headers[k]);
        snprintf(info[k].source, sizeof info[k].source, "table %s column '%s' by '%s'; polygons %s field %s (%s)",
                 r->table, table->headers[k], r->key, r->polygons, r->polygon_key, crs_note);
        snprintf(info[k].join, sizeof info[k].join, "%s; area-weighted mean over the cell's part with a value%s%s", join,
                 r->date ? "; per bin the mean of the days with a value, " : "",
                 r->date ? "NaN for a bin without one" : "");
    }
    return 0;
}

/* The grid of the tensor, as the polygons are weighed over it. */
static cc_grid tensor_grid(const cc_tensor *t) {
    cc_grid g = {.x0 = t->x0, .y0 = t->y0, .cell = t->cell, .height = t->H, .width = t->W};
    snprintf(g.crs, sizeof g.crs, "%s", t->crs);
    return g;
}

/* Prints how much of the mask each column's maps cover; returns the first column known
 * in none of it, or -1. */
static int report_columns(const cc_covariate_table *table, const cc_covariate_info *info, const float *maps, int bins,
                          const cc_tensor *t, FILE *out) {
    size_t plane = (size_t)t->H * t->W, inside = cc_tensor_mask_cells(t);
    int empty = -1;
    for (int k = 0; k < table->columns; k++) {
        size_t known = 0;
        int bins_with = 0;
        for (int b = 0; b < bins; b++) {
            size_t here = 0;
            const float *m = maps + ((size_t)b * table->columns + k) * plane;
            for (size_t x = 0; x < plane; x++) here += t->mask[x] && isfinite(m[x]);
            known += here, bins_with += here > 0;
        }
        fprintf(out, "  %-28s '%s': %ld missing, %ld not numbers in the table; known in %.1f%% of the mask's cells%s",
                info[k].name, table->headers[k], table->missing[k], table->not_numeric[k],
                inside ? 100.0 * known / ((double)inside * bins) : 0, bins > 1 ? " over all bins" : "");
        if (bins > 1) fprintf(out, ", %d of %d bins with data", bins_with, bins);
        fputc('\n', out);
        if (!known && empty < 0) empty = k;
    }
    return empty;
}

/* Bins [start, end) of the tensor's axis. */
static int bin_bounds(const cc_tensor *t, int64_t **start, int64_t **end) {
    *start = malloc(sizeof **start * (size_t)t->T), *end = malloc(sizeof **end * (size_t)t->T);
    if (!*start || !*end) return -1;
    for (int b = 0; b < t->T; b++) (*start)[b] = t->time[b], (*end)[b] = cc_bin_end(t->bin, t->time[b]);
    return 0;
}

static int write_join_csv(const char *path, const cc_join *join, const cc_area_weights *w,
                          const cc_covariate_table *table, FILE *out, char *err, size_t err_len) {
    cc_whole_file f;
    FILE *csv = cc_whole_file_fopen(&f, path, err, err_len);
    if (!csv) return -1;
    cc_join_write_csv(join, w, table, csv);
    if (cc_whole_file_fclose(&f, csv, !ferror(csv), err, err_len) != 0) return -1;
    fprintf(out, "%s: the join of each of the %d polygons\n", path, join->polygons);
    return 0;
}

/* Each new map that replaces one of its name, said: one of the other kind (a static
 * 'imd' replaced by a dynamic one) went without a word. */
static void say_replaced(const cc_covariates_request *r, const cc_covariates *cov, const cc_covariate_info *info,
                         int count, FILE *out) {
    for (int i = 0; i < count; i++) {
        int kind, k = cc_covariates_find(cov, info[i].name, &kind);
        if (k < 0) continue;
        int now = r->date != NULL;
        fprintf(out, "%s: '%s' replaces the %s map of that name%s\n", r->data, info[i].name, kind ? "dynamic" : "static",
                kind != now ? (now ? " (it is dynamic now)" : " (it is static now)") : "");
    }
}

/* Joined, weighed and mapped: the new maps and their descriptions into cov. */
static int make_maps(const cc_covariates_request *r, const cc_tensor *t, const cc_area_weights *w,
                     const cc_covariate_table *table, const cc_code_lookup *lookup, cc_covariates *cov, FILE *out,
                     char *err, size_t err_len) {
    cc_join join;
    if (cc_join_polygons(w, table, lookup, &join, err, err_len) != 0) return -1;
    char described[1024];
    cc_join_describe(&join, described, sizeof described);
    fprintf(out, "%s: %s\n", r->polygons, described);
    int bins = r->date ? t->T : 1, status = -1;
    int64_t *start = NULL, *end = NULL;
    float *maps = malloc(sizeof(float) * (size_t)bins * table->columns * t->H * t->W);
    cc_covariate_info *info = calloc((size_t)table->columns, sizeof *info);
    if (!maps || !info || (r->date && bin_bounds(t, &start, &end) != 0) ||
        cc_join_maps(w, &join, table, start, end, bins, t->H, t->W, maps) != 0)
        snprintf(err, err_len, "out of memory for the maps");
    else if (map_infos(r, table, described, w->crs_note, info, err, err_len) == 0 &&
             (!r->join_csv || write_join_csv(r->join_csv, &join, w, table, out, err, err_len) == 0)) {
        int empty = report_columns(table, info, maps, bins, t, out);
        /* a map of NaN alone tells a model nothing, and is a mistake: the wrong polygons,
         * column or dates (the join's file, when asked for, is written: it shows which) */
        char shown[4 * 60 + 8];
        if (empty >= 0)
            snprintf(err, err_len, "%s: '%s' is known in none of the mask's cells (the polygons with a value cover none "
                     "of them, the column holds no numbers, or its dates miss the tensor's span): the tensor file is "
                     "unchanged%s%s", r->data, cc_printable_utf8(table->headers[empty], shown, sizeof shown, 60),
                     r->join_csv ? "; each polygon's join is in " : "", r->join_csv ? r->join_csv : "");
        else {
            say_replaced(r, cov, info, table->columns, out);
            if ((status = cc_covariates_add(cov, r->date != NULL, table->columns, maps, info)) != 0)
                snprintf(err, err_len, "%s: out of memory, or more than %d covariate maps", r->data,
                         CC_COVARIATES_MOST);
        }
    }
    free(maps), free(info), free(start), free(end);
    cc_join_free(&join);
    return status;
}

static int read_lookup(const cc_covariates_request *r, cc_code_lookup *lookup, char *err, size_t err_len) {
    char *columns = strdup(r->lookup_columns), *comma = columns ? strchr(columns, ',') : NULL;
    if (!comma) { /* check_request saw the comma: only memory can fail here */
        free(columns);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    *comma = 0;
    int status = cc_code_lookup_read(r->lookup, columns, comma + 1, lookup, err, err_len);
    free(columns);
    return status;
}

static void report_table(const cc_covariates_request *r, const cc_covariate_table *table, FILE *out) {
    fprintf(out, "%s: %ld rows, %d columns taken%s", r->table, table->rows, table->columns,
            table->days ? " (a daily series)" : "");
    if (table->skipped) fprintf(out, "; %ld rows skipped", table->skipped);
    fputc('\n', out);
    if (table->first_problem[0]) fprintf(out, "  the first value or row not taken: %s\n", table->first_problem);
}

int cc_run_covariates(const cc_covariates_request *r, FILE *out, char *err, size_t err_len) {
    cc_tensor t = {0};
    cc_covariates cov = {0};
    cc_covariate_table table = {0};
    cc_area_weights w = {0};
    cc_code_lookup lookup = {0};
    cc_file_lock held; /* from reading the file's maps to renaming the new file over it */
    if (cc_file_lock_take(&held, r->data, "crimecast covariates", err, err_len) != 0) return -1;
    if (cc_tensor_read(r->data, "counts", &t, err, err_len) != 0) {
        cc_file_lock_release(&held);
        return -1;
    }
    char mended[2048];
    int status = cc_covariates_read_mending(r->data, &t, &cov, mended, sizeof mended, err, err_len);
    if (!status && mended[0]) /* written by an older crimecast: mended as the file is rewritten */
        fprintf(stderr, "crimecast covariates: note: %s: %s(written by an older crimecast; mended in the file now "
                "written)\n", r->data, mended);
    if (!status) status = cc_covariate_table_read(r->table, r->key, r->date, r->columns, r->column_count, &table, err, err_len);
    if (!status) report_table(r, &table, out);
    if (!status && r->lookup) status = read_lookup(r, &lookup, err, err_len);
    cc_grid grid = tensor_grid(&t);
    if (!status) status = cc_area_weights_compute(r->polygons, r->layer, r->polygon_key, &grid, &w, err, err_len);
    if (!status) {
        /* below a square metre it is the clipping's rounding, not polygon area */
        fprintf(out, "%s: %d polygons (%ld skipped: no polygon or no key), %s; %.4g km2 of them outside the grid\n",
                r->polygons, w.polygons, w.skipped, w.crs_note, w.outside_m2 >= 1 ? w.outside_m2 * 1e-6 : 0);
        if (w.repaired)
            fprintf(out, "%s: %ld polygon%s not valid (a ring crossing itself or touching itself), weighed as "
                    "GEOS's MakeValid mends %s\n", r->polygons, w.repaired, w.repaired > 1 ? "s" : "",
                    w.repaired > 1 ? "them" : "it");
        status = make_maps(r, &t, &w, &table, r->lookup ? &lookup : NULL, &cov, out, err, err_len);
    }
    if (!status) status = cc_covariates_store(r->data, &cov, t.file_identity, err, err_len);
    cc_file_lock_release(&held);
    if (!status) fprintf(out, "%s: %d static and %d dynamic covariate maps\n", r->data, cov.K, cov.D);
    cc_code_lookup_free(&lookup), cc_area_weights_free(&w), cc_covariate_table_free(&table);
    cc_covariates_free(&cov), cc_tensor_free(&t);
    return status;
}
