-- Event triggers (not an extension's). `in_scope`: its function is in a schema in scope (the
-- others are only named, as not compared).
SELECT e.oid::int8 AS oid,
       quote_ident(e.evtname) AS key,
       e.evtname AS name,
       e.evtevent AS event,
       e.evtfoid::regprocedure::text AS function,
       coalesce((SELECT array_agg(t ORDER BY t) FROM unnest(e.evttags) t), '{}') AS tags,
       e.evtenabled::text AS enabled,
       quote_ident(pg_get_userbyid(e.evtowner)) AS owner,
       (SELECT d.description FROM pg_description d WHERE d.objoid = e.oid AND d.classoid = 'pg_event_trigger'::regclass AND d.objsubid = 0) AS comment,
       n.nspname = ANY($1) AND n.nspname <> ALL($2) AS in_scope
  FROM pg_event_trigger e
  JOIN pg_proc p ON p.oid = e.evtfoid
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_event_trigger'::regclass AND d.objid = e.oid AND d.deptype = 'e')
 ORDER BY 2
