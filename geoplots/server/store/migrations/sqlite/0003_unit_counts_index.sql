-- geoplots embedded store, schema 3: an index for the store's counting (Store.counts_by).
--
-- Coverage asks for records of one kind counted per sub-district, district or province
-- (GROUP BY in SQLite instead of loading every row). This index holds the kind and the
-- three unit codes: a count per sub-district reads it in order, a count per district or
-- province (or of distinct sub-districts per district) reads it alone, not the table.
-- Indexes on a feature table are allowed in a GeoPackage; GDAL and QGIS ignore them.
--
-- Applied by geoplots.server.store.sqlite.SQLiteStore.migrate() inside one transaction.

CREATE INDEX records_kind_units ON records(kind, subdistrict_code, district_code, province_code);
