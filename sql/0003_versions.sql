-- Room history: the text and language at checkpoints, named or not.
-- Independent of the update log, so compaction never touches it.

CREATE TABLE room_versions (
    id            bigserial   PRIMARY KEY,
    room_id       text        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL,
    -- 'auto' (after a burst of editing), 'manual' or 'restore'.
    kind          text        NOT NULL,
    name          text,
    -- Who was connected while the changes were made.
    authors       text[]      NOT NULL,
    -- Changes made since the previous checkpoint.
    changes       int8        NOT NULL,
    -- Bytes of `code`, so listing never reads the texts.
    size          int8        NOT NULL,
    language      text        NOT NULL,
    -- The exact text as UTF-8 bytes (a `text` column cannot hold NUL).
    code          bytea       NOT NULL,
    -- For a restore: the version restored (kept as a number: it may be
    -- pruned later).
    restored_from int8
);

CREATE INDEX room_versions_room_created ON room_versions (room_id, created_at, id);
