-- Every room gets a second, view-only id (see docs/operations.md): unique,
-- and unrelated to the edit id. Rooms created before this migration get a
-- random one of 32 hex characters (gen_random_uuid draws from a
-- cryptographic source, 122 bits); new rooms get 16 base62 characters
-- from the server.

ALTER TABLE rooms ADD COLUMN view_id text;
UPDATE rooms SET view_id = replace(gen_random_uuid()::text, '-', '') WHERE view_id IS NULL;
ALTER TABLE rooms ALTER COLUMN view_id SET NOT NULL;
CREATE UNIQUE INDEX rooms_view_id ON rooms (view_id);
