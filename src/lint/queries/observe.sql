-- What the statement just run did, read from inside its own transaction (strata lint).
--
-- $1: the highest command id already observed in this transaction (-1 at its start).
--
-- Catalog rows this transaction wrote have xmin = its xid or one of its subtransactions' xids,
-- which are never older than the transaction's stable xid: age(xmin) <= 0. Rows written by the
-- statement just run have a command id above every one observed before it: cmin > $1.
-- Rows deleted by the transaction are invisible; a dropped relation shows up as a lock on an
-- oid that pg_class no longer has. Columns, constraints, policies and view queries change only
-- under a lock on their relation, so only the locked relations' rows are looked at (through
-- the catalogs' indexes); relations (GRANT takes no lock) and functions are scanned.
WITH user_ns AS (
    SELECT n.oid, n.nspname
    FROM pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND n.nspname NOT LIKE 'pg\_temp\_%'
      AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
),
locks AS (
    SELECT l.relation::bigint AS oid, l.mode
    FROM pg_locks l
    WHERE l.pid = pg_backend_pid()
      AND l.locktype = 'relation'
      AND l.granted
      AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
      AND l.relation >= 16384
),
locked AS (
    SELECT DISTINCT oid FROM locks
),
-- Each catalog is filtered on its own first (MATERIALIZED): joining before filtering makes the
-- planner walk every user relation's attributes.
classes AS MATERIALIZED (
    SELECT c.oid::bigint AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
           c.relfilenode::bigint AS filenode, c.relrowsecurity AS rls,
           c.relforcerowsecurity AS rls_forced,
           coalesce(c.relacl, acldefault('r', c.relowner))::text[] AS acl,
           coalesce(c.reloptions, '{}') AS options, c.relispartition AS partition,
           i.indrelid::bigint AS index_of, c.cmin::text::bigint AS cid
    FROM pg_class c
    JOIN user_ns n ON n.oid = c.relnamespace
    LEFT JOIN pg_index i ON i.indexrelid = c.oid
    WHERE age(c.xmin) <= 0 AND c.cmin::text::bigint > $1
      AND c.relkind IN ('r', 'p', 'v', 'm', 'i', 'I', 'S', 'f')
),
changed_attributes AS MATERIALIZED (
    SELECT a.*, a.cmin::text::bigint AS cid
    FROM locked l
    JOIN pg_attribute a ON a.attrelid = l.oid::oid AND a.attnum > 0
    WHERE age(a.xmin) <= 0 AND a.cmin::text::bigint > $1
),
columns AS (
    SELECT a.attrelid::bigint AS relation, a.attnum AS num, a.attname AS name,
           format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
           a.atthasdef AS has_default, a.attisdropped AS dropped,
           a.attidentity <> '' AS identity, a.attgenerated <> '' AS generated, a.cid
    FROM changed_attributes a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN user_ns n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
),
constraints AS (
    SELECT co.oid::bigint AS oid, co.conname AS name, co.contype::text AS kind, co.convalidated AS validated,
           co.conrelid::bigint AS relation, nullif(co.confrelid, 0)::bigint AS "references",
           co.cmin::text::bigint AS cid
    FROM locked l
    JOIN pg_constraint co ON co.conrelid = l.oid::oid
    WHERE age(co.xmin) <= 0 AND co.cmin::text::bigint > $1
),
policies AS (
    SELECT p.oid::bigint AS oid, p.polrelid::bigint AS relation, p.polname AS name, p.cmin::text::bigint AS cid
    FROM locked l
    JOIN pg_policy p ON p.polrelid = l.oid::oid
    WHERE age(p.xmin) <= 0 AND p.cmin::text::bigint > $1
),
functions AS (
    SELECT p.oid::bigint AS oid, n.nspname AS schema, p.oid::regprocedure::text AS signature,
           p.prosecdef AS security_definer, coalesce(p.proconfig, '{}') AS config,
           coalesce(p.proacl, acldefault('f', p.proowner))::text[] AS acl,
           p.cmin::text::bigint AS cid
    FROM pg_proc p
    JOIN user_ns n ON n.oid = p.pronamespace
    WHERE age(p.xmin) <= 0 AND p.cmin::text::bigint > $1
),
schemas AS (
    SELECT n.oid::bigint AS oid, n.nspname AS name, coalesce(n.nspacl, acldefault('n', n.nspowner))::text[] AS acl,
           n.cmin::text::bigint AS cid
    FROM pg_namespace n
    WHERE age(n.xmin) <= 0 AND n.cmin::text::bigint > $1
),
rewrites AS (
    SELECT r.ev_class::bigint AS relation, r.cmin::text::bigint AS cid
    FROM locked l
    JOIN pg_rewrite r ON r.ev_class = l.oid::oid
    WHERE age(r.xmin) <= 0 AND r.cmin::text::bigint > $1
),
-- Scans counted by this backend and not yet flushed to the shared statistics (a table can only
-- be scanned under a lock, so the locked tables are the ones to look at). The counts are not
-- per transaction: they start from the baseline read when the transaction began.
scans AS (
    SELECT l.oid AS relation, pg_stat_get_xact_numscans(l.oid) AS seq,
           coalesce((SELECT sum(pg_stat_get_xact_numscans(i.indexrelid))
                     FROM pg_index i WHERE i.indrelid = l.oid), 0)::bigint AS idx
    FROM locked l
    JOIN pg_class c ON c.oid = l.oid AND c.relkind IN ('r', 'm')
),
gone AS (
    SELECT l.oid FROM locked l WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = l.oid)
)
SELECT json_build_object(
    'locks', coalesce((SELECT json_agg(json_build_object('relation', oid, 'mode', mode)) FROM locks), '[]'),
    'classes', coalesce((SELECT json_agg(c) FROM classes c), '[]'),
    'columns', coalesce((SELECT json_agg(c) FROM columns c), '[]'),
    'constraints', coalesce((SELECT json_agg(c) FROM constraints c), '[]'),
    'policies', coalesce((SELECT json_agg(p) FROM policies p), '[]'),
    'functions', coalesce((SELECT json_agg(f) FROM functions f), '[]'),
    'schemas', coalesce((SELECT json_agg(s) FROM schemas s), '[]'),
    'rewrites', coalesce((SELECT json_agg(r) FROM rewrites r), '[]'),
    'scans', coalesce((SELECT json_agg(s) FROM scans s), '[]'),
    'gone', coalesce((SELECT json_agg(oid) FROM gone), '[]')
)::text
