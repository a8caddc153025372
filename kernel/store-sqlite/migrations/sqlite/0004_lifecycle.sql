-- The order lifecycle: SLA and complaint columns on orders, the order event
-- log that WatchOrders streams, licence events and mystery-customer audits.

-- The earliest due time (Unix seconds) of a running SLA clock; the largest
-- integer when none runs, so `due_at < now` finds the overdue orders.
ALTER TABLE orders ADD COLUMN due_at INTEGER NOT NULL DEFAULT 9223372036854775807;
-- For complaint orders: the order complained about.
ALTER TABLE orders ADD COLUMN original_order_id TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_by_due ON orders (region, due_at);
CREATE INDEX orders_by_original ON orders (original_order_id) WHERE original_order_id != '';

-- One row per order write, in commit order (SQLite has one writer at a time,
-- so `seq` order is commit order): the cursor of WatchOrders is `seq`.
-- `body` is the encoded xingji.v1.OrderEvent without its cursor.
CREATE TABLE order_events (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    region    TEXT NOT NULL,
    outlet_id TEXT NOT NULL,
    body      BLOB NOT NULL
);
CREATE INDEX order_events_by_region ON order_events (region, seq);

CREATE TABLE licence_events (
    id        TEXT PRIMARY KEY,
    person_id TEXT NOT NULL,
    version   INTEGER NOT NULL,
    body      BLOB NOT NULL
);
CREATE INDEX licence_events_by_person ON licence_events (person_id, id);

CREATE TABLE audits (
    id        TEXT PRIMARY KEY,
    region    TEXT NOT NULL,
    outlet_id TEXT NOT NULL,
    version   INTEGER NOT NULL,
    body      BLOB NOT NULL
);
CREATE INDEX audits_by_region ON audits (region, id);
CREATE INDEX audits_by_outlet ON audits (outlet_id, id);
