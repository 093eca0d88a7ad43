/* City definitions: loading, validation errors, and the raw-type to category map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/city.h"
#include "tests/test_util.h"

static void test_every_city_loads(void **state) {
    (void)state;
    const char *names[] = {"chicago", "sanfrancisco", "losangeles", "london"};
    const char *crs[] = {"EPSG:26916", "EPSG:26910", "EPSG:26911", "EPSG:27700"};
    for (int i = 0; i < 4; i++) {
        char err[512] = "";
        cc_city *city = cc_city_load(names[i], err, sizeof err);
        if (!city) fail_msg("%s: %s", names[i], err);
        assert_string_equal(cc_city_name(city), names[i]);
        assert_string_equal(cc_city_crs(city), crs[i]);
        assert_true(cc_city_raw_type_count(city) >= 10);
        cc_bbox b = cc_city_bbox(city);
        assert_true(b.max_lon - b.min_lon > 0.1 && b.max_lon - b.min_lon < 1.0);
        assert_true(b.max_lat - b.min_lat > 0.1 && b.max_lat - b.min_lat < 1.0);
        cc_city_free(city);
    }
}

static void test_category_lookup(void **state) {
    (void)state;
    char err[512];
    cc_city *chicago = cc_city_load("chicago", err, sizeof err);
    assert_non_null(chicago);
    int mapped = -1;
    assert_string_equal(cc_city_category(chicago, "BATTERY", &mapped), "violence");
    assert_int_equal(mapped, 1);
    assert_string_equal(cc_city_category(chicago, "  motor vehicle theft ", &mapped), "vehicle_theft");
    assert_string_equal(cc_city_category(chicago, "NARCOTICS", NULL), "drugs");
    assert_string_equal(cc_city_category(chicago, "DECEPTIVE PRACTICE", NULL), "fraud");
    assert_string_equal(cc_city_category(chicago, "NON - CRIMINAL", &mapped), "other");
    assert_int_equal(mapped, 1); /* other on purpose */
    assert_string_equal(cc_city_category(chicago, "SPACE PIRACY", &mapped), "other");
    assert_int_equal(mapped, 0); /* other by default: reported as unmapped */
    assert_string_equal(cc_city_category(chicago, "", &mapped), "unknown");
    assert_string_equal(cc_city_category(chicago, NULL, &mapped), "unknown");
    assert_int_equal(mapped, 1);
    cc_city_free(chicago);

    cc_city *london = cc_city_load("london", err, sizeof err);
    assert_non_null(london);
    assert_string_equal(cc_city_category(london, "Violence and sexual offences", NULL), "violence");
    assert_string_equal(cc_city_category(london, "Criminal damage and arson", NULL), "criminal_damage");
    cc_city_free(london);
}

static void test_bounding_box(void **state) {
    (void)state;
    char err[512];
    cc_city *sf = cc_city_load("sanfrancisco", err, sizeof err);
    assert_non_null(sf);
    assert_true(cc_city_contains(sf, 37.7749, -122.4194));
    assert_false(cc_city_contains(sf, 90.0, -120.5)); /* the Kaggle placeholder */
    assert_false(cc_city_contains(sf, 0.0, 0.0));
    cc_city_free(sf);
}

/* London's area is its outline's, not its bbox's: police.uk's crimes of other forces in
 * the bbox (Dartford, Epsom, Watford, Thurrock) are outside; the Thames, a gap between the
 * boundary files' areas, is inside (its bridges' crimes). Points checked with OGR against
 * the LSOAs dissolved (the river apart). */
static void test_london_outline(void **state) {
    (void)state;
    char err[512];
    cc_city *london = cc_city_load("london", err, sizeof err);
    assert_non_null(london);
    assert_true(cc_city_has_boundary(london));
    const double inside[][2] = {{51.5080, -0.1281} /* Trafalgar Square */, {51.4700, -0.4543} /* Heathrow */,
                                {51.5008, -0.1218} /* mid-river, Westminster Bridge */,
                                {51.4960, 0.0640} /* the Thames at Woolwich */};
    const double outside[][2] = {{51.4462, 0.2187} /* Dartford, Kent */, {51.332, -0.267} /* Epsom, Surrey */,
                                 {51.6565, -0.3963} /* Watford, Hertfordshire */, {51.49, 0.31} /* Thurrock, Essex */};
    for (int i = 0; i < 4; i++) {
        const cc_bbox b = cc_city_bbox(london);
        assert_true(outside[i][1] > b.min_lon && outside[i][1] < b.max_lon); /* in the bbox all the same */
        assert_true(cc_city_contains(london, inside[i][0], inside[i][1]));
        assert_false(cc_city_contains(london, outside[i][0], outside[i][1]));
    }
    cc_city *sf = cc_city_load("sanfrancisco", err, sizeof err);
    assert_false(cc_city_has_boundary(sf));
    cc_city_free(sf), cc_city_free(london);
}

/* A boundary of too few points, or a point outside the bbox: refused, naming the file. */
static void test_bad_boundary_refused(void **state) {
    (void)state;
    char err[512], *dir = tu_make_temp_dir(), *path = tu_path(dir, "c.json");
    const char *const bodies[] = {"[[0.5, 0.5], [0.6, 0.5]]", "[[0.5, 0.5], [0.6, 0.5], [2, 0.6]]",
                                  "[[0.5, 0.5], [0.6, 0.5], \"x\"]",
                                  "[[0.5, 0.5], {\"a\": 0.6, \"b\": 0.5}, [0.6, 0.6]]" /* an object: a reviewer */};
    const char *const says[] = {"at least 3 [lon, lat] points (it has 2)",
                                "ring's point 3 (from 1) is not [lon, lat] inside 'bbox'",
                                "ring's point 3 (from 1) is not [lon, lat] inside 'bbox'",
                                "ring's point 2 (from 1) is not [lon, lat] inside 'bbox'"};
    for (int i = 0; i < 4; i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "{\"name\": \"c\", \"timezone\": \"UTC\", \"crs\": \"EPSG:32631\", \"bbox\": {\"min_lon\": 0, "
                "\"min_lat\": 0, \"max_lon\": 1, \"max_lat\": 1}, \"boundary\": {\"ring\": %s}, \"categories\": {}, "
                "\"portal\": {\"kind\": \"socrata\", \"base_url\": \"http://x\"}}", bodies[i]);
        fclose(f);
        assert_null(cc_city_load_file(path, err, sizeof err));
        if (!strstr(err, says[i]) || !strstr(err, path)) fail_msg("%d: %s", i, err);
    }
    tu_remove_dir(dir);
    free(dir), free(path);
}

static void test_unknown_and_invalid_names(void **state) {
    (void)state;
    char err[512];
    assert_null(cc_city_load("atlantis", err, sizeof err));
    assert_non_null(strstr(err, "unknown city 'atlantis' (known: chicago, london, losangeles, sanfrancisco, synthetic;"));
    assert_null(cc_city_load("../etc/passwd", err, sizeof err));
    assert_non_null(strstr(err, "invalid city name"));
    assert_null(cc_city_load("Chicago", err, sizeof err)); /* the known ones listed, as for an unknown one */
    assert_non_null(strstr(err, "invalid city name 'Chicago' (a name is lower-case letters, digits, '-' and '_'; known: "
                                "chicago, london, losangeles, sanfrancisco, synthetic)"));
}

static void expect_bad_definition(const char *json, const char *message) {
    char *dir = tu_make_temp_dir();
    char *path = tu_path(dir, "bad.json");
    tu_write_file(path, json, strlen(json));
    char err[512] = "";
    assert_null(cc_city_load_file(path, err, sizeof err));
    if (!strstr(err, path) || !strstr(err, message)) fail_msg("unexpected error: %s", err);
    tu_remove_dir(dir);
    free(path);
    free(dir);
}

static void test_bad_definitions_are_refused(void **state) {
    (void)state;
    const char *head = "{\"name\": \"x\", \"timezone\": \"UTC\", \"crs\": \"EPSG:3857\", "
                       "\"bbox\": {\"min_lon\": 0, \"min_lat\": 0, \"max_lon\": 1, \"max_lat\": 1},";
    char json[1024];
    expect_bad_definition("{\"name\": ", "not a valid JSON city definition (byte 8");
    /* Text after the value, a name given twice in an object (cJSON kept the first without
     * a word; a probe of train --config, 2026-12-07) */
    expect_bad_definition("{\"name\": \"x\"}\n  junk", "(byte 16, near 'junk': text after its end)");
    expect_bad_definition("{\"name\": \"x\", \"name\": \"y\"}", "('name' given twice in one object");
    snprintf(json, sizeof json, "%s \"categories\": {\"theft\": [\"X\"], \"other\": [\"Y\"], \"theft\": [\"Z\"]}}",
             head);
    expect_bad_definition(json, "('theft' given twice in one object");
    snprintf(json, sizeof json, "%s \"categories\": {\"piracy\": [\"X\"]}}", head);
    expect_bad_definition(json, "not a crimecast category");
    snprintf(json, sizeof json, "%s \"categories\": {\"theft\": [\"X\"], \"other\": [\"x \"]}}", head);
    expect_bad_definition(json, "mapped twice");
    snprintf(json, sizeof json, "%s \"categories\": {\"theft\": [\"\"]}}", head);
    expect_bad_definition(json, "non-empty string");
    expect_bad_definition("{\"name\": \"x\", \"timezone\": \"UTC\", \"crs\": \"EPSG:3857\", "
                          "\"bbox\": {\"min_lon\": 2, \"min_lat\": 0, \"max_lon\": 1, \"max_lat\": 1},"
                          "\"categories\": {}}",
                          "bbox");
    /* Found by tests/fuzz/fuzz_city: cJSON reads 1e999 as infinity. */
    expect_bad_definition("{\"name\": \"x\", \"timezone\": \"UTC\", \"crs\": \"EPSG:3857\", "
                          "\"bbox\": {\"min_lon\": -1e999, \"min_lat\": 0, \"max_lon\": 1, \"max_lat\": 1},"
                          "\"categories\": {}}",
                          "WGS84 degrees");
    expect_bad_definition("{\"name\": \"x\", \"timezone\": \"UTC\", \"crs\": \"EPSG:3857\", "
                          "\"bbox\": {\"min_lon\": 0, \"min_lat\": 0, \"max_lon\": 1, \"max_lat\": 95},"
                          "\"categories\": {}}",
                          "WGS84 degrees");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_city_loads),       cmocka_unit_test(test_category_lookup),
        cmocka_unit_test(test_bounding_box),
        cmocka_unit_test(test_london_outline),
        cmocka_unit_test(test_bad_boundary_refused),           cmocka_unit_test(test_unknown_and_invalid_names),
        cmocka_unit_test(test_bad_definitions_are_refused),
    };
    return cmocka_run_group_tests_name("city", tests, NULL, NULL);
}
