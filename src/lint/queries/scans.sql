-- The scan counts this backend holds but has not flushed to the shared statistics yet, read
-- when a transaction begins (strata lint): PostgreSQL flushes them at most once a second, so a
-- new transaction can start with the counts of the one before.
SELECT coalesce(json_agg(json_build_object(
    'relation', relid::bigint, 'seq', seq_scan, 'idx', coalesce(idx_scan, 0))), '[]')::text
FROM pg_stat_xact_user_tables
WHERE seq_scan > 0 OR idx_scan > 0
