-- strata's Supabase shim, part "storage" (docs/supabase-shim.md): the tables and
-- helper functions of Supabase Storage that migrations and storage policies use.
--
-- Migrations insert buckets (`insert into storage.buckets ...`), reference objects
-- from foreign keys, put triggers on storage.objects, and write policies on it with
-- storage.foldername(name), storage.filename(name) and storage.extension(name).
-- The columns are those of Supabase Storage's current schema; the storage server
-- itself (uploads, signed URLs) is not part of it. Row level security is enabled on
-- both tables, as on Supabase, and the API roles get Supabase's privileges.
-- Idempotent; no BEGIN/COMMIT.

CREATE SCHEMA IF NOT EXISTS storage;
COMMENT ON SCHEMA storage IS 'strata auth shim: stand-in for Supabase Storage''s schema';

CREATE TABLE IF NOT EXISTS storage.buckets (
    id                 text        NOT NULL PRIMARY KEY,
    name               text        NOT NULL,
    owner              uuid,
    created_at         timestamptz DEFAULT now(),
    updated_at         timestamptz DEFAULT now(),
    public             boolean     DEFAULT false,
    avif_autodetection boolean     DEFAULT false,
    file_size_limit    bigint,
    allowed_mime_types text[],
    owner_id           text
);
CREATE UNIQUE INDEX IF NOT EXISTS bname ON storage.buckets (name);

CREATE TABLE IF NOT EXISTS storage.objects (
    id               uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    bucket_id        text        REFERENCES storage.buckets (id),
    name             text,
    owner            uuid,
    created_at       timestamptz DEFAULT now(),
    updated_at       timestamptz DEFAULT now(),
    last_accessed_at timestamptz DEFAULT now(),
    metadata         jsonb,
    path_tokens      text[]      GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
    version          text,
    owner_id         text,
    user_metadata    jsonb
);
CREATE UNIQUE INDEX IF NOT EXISTS bucketid_objname ON storage.objects (bucket_id, name);
CREATE INDEX IF NOT EXISTS name_prefix_search ON storage.objects (name text_pattern_ops);

ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;

-- 'folder/sub/file.png' -> {folder,sub}
CREATE OR REPLACE FUNCTION storage.foldername(name text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    parts text[];
BEGIN
    SELECT string_to_array(name, '/') INTO parts;
    RETURN parts[1:array_length(parts, 1) - 1];
END
$$;

-- 'folder/sub/file.png' -> 'file.png'
CREATE OR REPLACE FUNCTION storage.filename(name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    parts text[];
BEGIN
    SELECT string_to_array(name, '/') INTO parts;
    RETURN parts[array_length(parts, 1)];
END
$$;

-- 'folder/sub/file.tar.gz' -> 'gz'
CREATE OR REPLACE FUNCTION storage.extension(name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    parts text[];
    file text;
BEGIN
    SELECT string_to_array(name, '/') INTO parts;
    SELECT parts[array_length(parts, 1)] INTO file;
    RETURN reverse(split_part(reverse(file), '.', 1));
END
$$;

GRANT USAGE ON SCHEMA storage TO anon, authenticated, service_role;
GRANT ALL ON ALL TABLES IN SCHEMA storage TO anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION storage.foldername(text), storage.filename(text), storage.extension(text)
    TO anon, authenticated, service_role;
