-- The scan counts this backend holds but has not flushed to the shared statistics yet, read
-- when a transaction begins (strata lint) on servers before PostgreSQL 15, which flush them at
-- most every half second, so a new transaction can start with the counts of the one before.
-- (From 15 on, pg_stat_force_next_flush() empties them between transactions instead.)
SELECT coalesce(json_agg(json_build_object('relation', s.relation, 'seq', s.seq, 'idx', s.idx)), '[]')::text
FROM (
    SELECT c.oid::bigint AS relation, pg_stat_get_xact_numscans(c.oid) AS seq,
           coalesce((SELECT sum(pg_stat_get_xact_numscans(i.indexrelid))
                     FROM pg_index i WHERE i.indrelid = c.oid), 0)::bigint AS idx
    FROM pg_class c
    WHERE c.relkind IN ('r', 'm')
) s
WHERE s.seq > 0 OR s.idx > 0
