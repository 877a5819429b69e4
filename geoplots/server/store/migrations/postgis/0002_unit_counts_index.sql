-- geoplots PostGIS store, schema 2: an index for the store's counting (Store.counts_by).
--
-- Coverage asks for records of one kind counted per sub-district, district or province
-- (GROUP BY in PostgreSQL instead of loading every row). This index holds the kind and
-- the three unit codes, so those counts can be answered from it (index-only scans).
-- Applied by geoplots.server.store.postgis.PostGISStore.migrate() inside one transaction.

CREATE INDEX records_kind_units ON records (kind, subdistrict_code, district_code, province_code);
