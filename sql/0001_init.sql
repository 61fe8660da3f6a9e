-- Rooms, their compacted document snapshot and the update log since it.
-- Applied once at start-up (see src/store/postgres.rs); never edit a
-- released migration, add the next numbered file instead.

CREATE TABLE rooms (
    id         text        PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    language   text        NOT NULL,
    -- The plain text of the document, for readers without a CRDT.
    code       text        NOT NULL
);

CREATE TABLE room_snapshots (
    room_id    text        PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    -- A v1 update holding the whole document as of the last compaction.
    state      bytea       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE room_updates (
    id         bigserial   PRIMARY KEY,
    room_id    text        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    -- One v1 update, appended since the snapshot.
    data       bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX room_updates_room_id_id ON room_updates (room_id, id);
