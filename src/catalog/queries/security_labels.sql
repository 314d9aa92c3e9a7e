-- Security labels (SECURITY LABEL FOR provider ON …) on objects in scope, or on objects in no
-- schema (event triggers, publications); labels on cluster objects (roles, databases) are not
-- read. There are none unless a label provider (such as sepgsql) is loaded.
SELECT l.provider,
       upper(CASE i.type WHEN 'table column' THEN 'column' ELSE i.type END) AS object_type,
       i.identity AS object,
       l.label
  FROM pg_seclabel l
  CROSS JOIN LATERAL pg_identify_object(l.classoid, l.objoid, l.objsubid) i
  LEFT JOIN pg_namespace sn ON l.classoid = 'pg_namespace'::regclass AND sn.oid = l.objoid
 WHERE CASE WHEN sn.oid IS NOT NULL THEN sn.nspname = ANY($1) AND sn.nspname <> ALL($2)
            WHEN i.schema IS NULL THEN l.classoid IN ('pg_event_trigger'::regclass, 'pg_publication'::regclass)
            ELSE i.schema = ANY($1) AND i.schema <> ALL($2) END
 ORDER BY 1, 2, 3
