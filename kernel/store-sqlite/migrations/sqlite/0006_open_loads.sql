-- Open orders (DISPATCHED 2 to ON_SITE 5) per outlet and engineer, kept by
-- triggers in the transaction of every order write, so that dispatch reads
-- a region's loads in O(engineers) instead of counting its open orders.
CREATE TABLE open_loads (
    region      TEXT    NOT NULL,
    outlet_id   TEXT    NOT NULL,
    engineer_id TEXT    NOT NULL,
    open        INTEGER NOT NULL,
    PRIMARY KEY (region, outlet_id, engineer_id)
) WITHOUT ROWID;

INSERT INTO open_loads (region, outlet_id, engineer_id, open)
SELECT region, outlet_id, engineer_id, COUNT(*) FROM orders
WHERE status BETWEEN 2 AND 5
GROUP BY region, outlet_id, engineer_id;

CREATE TRIGGER open_loads_insert AFTER INSERT ON orders
WHEN NEW.status BETWEEN 2 AND 5
BEGIN
    INSERT INTO open_loads (region, outlet_id, engineer_id, open)
    VALUES (NEW.region, NEW.outlet_id, NEW.engineer_id, 1)
    ON CONFLICT (region, outlet_id, engineer_id) DO UPDATE SET open = open + 1;
END;

-- An update leaves the old row's count and enters the new row's (both when
-- an order stays open with the same outlet and engineer: no change).
CREATE TRIGGER open_loads_leave AFTER UPDATE OF status, outlet_id, engineer_id, region ON orders
WHEN OLD.status BETWEEN 2 AND 5
BEGIN
    UPDATE open_loads SET open = open - 1
    WHERE region = OLD.region AND outlet_id = OLD.outlet_id AND engineer_id = OLD.engineer_id;
END;

CREATE TRIGGER open_loads_enter AFTER UPDATE OF status, outlet_id, engineer_id, region ON orders
WHEN NEW.status BETWEEN 2 AND 5
BEGIN
    INSERT INTO open_loads (region, outlet_id, engineer_id, open)
    VALUES (NEW.region, NEW.outlet_id, NEW.engineer_id, 1)
    ON CONFLICT (region, outlet_id, engineer_id) DO UPDATE SET open = open + 1;
END;

CREATE TRIGGER open_loads_delete AFTER DELETE ON orders
WHEN OLD.status BETWEEN 2 AND 5
BEGIN
    UPDATE open_loads SET open = open - 1
    WHERE region = OLD.region AND outlet_id = OLD.outlet_id AND engineer_id = OLD.engineer_id;
END;
