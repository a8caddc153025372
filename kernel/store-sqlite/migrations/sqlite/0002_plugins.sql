-- Installed plugin versions, content-addressed by the SHA-256 of their
-- bytes; `body` is the encoded xingji.v1.Plugin.
CREATE TABLE plugins (
    sha256    TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    version   TEXT NOT NULL,
    slot      INTEGER NOT NULL,
    body      BLOB NOT NULL,
    component BLOB NOT NULL,
    UNIQUE (name, version)
);

-- Every activation and rollback, in order; the last row of a region and
-- slot is what the region runs. `body` is the encoded xingji.v1.Activation.
CREATE TABLE activations (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    region TEXT NOT NULL,
    slot   INTEGER NOT NULL,
    body   BLOB NOT NULL
);
CREATE INDEX activations_by_region ON activations (region, seq);
