-- Closed months: one row per region and month (`YYYY-MM`); `id` is
-- `<region>/<month>`, so lists by id go by region, then month. `body` is the
-- encoded xingji.v1.MonthClose with every statement.
CREATE TABLE month_closes (
    id     TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    month  TEXT NOT NULL,
    body   BLOB NOT NULL
);
