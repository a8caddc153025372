-- Each record is kept whole, protobuf-encoded, in `body`; the other columns
-- are copies of the fields that lists filter on. `product_lines` holds the
-- product-line numbers as ",1,4,": a LIKE '%,4,%' finds one.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE outlets (
    id            TEXT PRIMARY KEY,
    region        TEXT NOT NULL,
    number        TEXT NOT NULL,
    tier          INTEGER NOT NULL,
    status        INTEGER NOT NULL,
    grade         INTEGER NOT NULL,
    parent_id     TEXT NOT NULL,
    product_lines TEXT NOT NULL,
    version       INTEGER NOT NULL,
    body          BLOB NOT NULL,
    UNIQUE (region, number)
);
CREATE INDEX outlets_by_region ON outlets (region, id);
CREATE INDEX outlets_by_parent ON outlets (parent_id, id);

CREATE TABLE people (
    id            TEXT PRIMARY KEY,
    region        TEXT NOT NULL,
    outlet_id     TEXT NOT NULL,
    level         INTEGER NOT NULL,
    licence_state INTEGER NOT NULL,
    on_duty       INTEGER NOT NULL,
    product_lines TEXT NOT NULL,
    version       INTEGER NOT NULL,
    body          BLOB NOT NULL
);
CREATE INDEX people_by_region ON people (region, id);
CREATE INDEX people_by_outlet ON people (outlet_id, id);

CREATE TABLE orders (
    id           TEXT PRIMARY KEY,
    region       TEXT NOT NULL,
    kind         INTEGER NOT NULL,
    status       INTEGER NOT NULL,
    outlet_id    TEXT NOT NULL,
    engineer_id  TEXT NOT NULL,
    product_line INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    body         BLOB NOT NULL
);
CREATE INDEX orders_by_region ON orders (region, id);
CREATE INDEX orders_by_outlet ON orders (outlet_id, id);
CREATE INDEX orders_by_status ON orders (region, status, id);

-- One row per CreateOrder request id: what makes a retry return the first
-- order instead of making a second.
CREATE TABLE order_requests (
    request_id  TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL,
    fingerprint BLOB NOT NULL
);
