-- A month close no longer rewrites the orders it settles (a million order
-- rows rewritten in one transaction was most of a big close): it records
-- each in a narrow row, and the settlement history entry once, on its
-- close. Reads present the order settled (`xingji_store::settle`); the
-- order's next update writes it whole and removes its row here. An order
-- with a row here has QUALITY_CHECKED in its own status column.
CREATE TABLE settled_orders (
    order_id TEXT PRIMARY KEY,
    close_id TEXT NOT NULL
) WITHOUT ROWID;

-- The encoded xingji.v1.HistoryEntry the close appends to each order it
-- settled.
ALTER TABLE month_closes ADD COLUMN settlement BLOB;
