-- The kernel, not the schema, says which orders count toward an outlet's
-- and an engineer's load: `in_hand` is written with every order (the
-- kernel's `statuses` decide it), and the open-loads triggers follow that
-- column instead of comparing status numbers.
ALTER TABLE orders ADD COLUMN in_hand INTEGER NOT NULL DEFAULT 0;
UPDATE orders SET in_hand = 1 WHERE status BETWEEN 2 AND 5;

DROP TRIGGER open_loads_insert;
DROP TRIGGER open_loads_leave;
DROP TRIGGER open_loads_enter;
DROP TRIGGER open_loads_delete;

CREATE TRIGGER open_loads_insert AFTER INSERT ON orders
WHEN NEW.in_hand = 1
BEGIN
    INSERT INTO open_loads (region, outlet_id, engineer_id, open)
    VALUES (NEW.region, NEW.outlet_id, NEW.engineer_id, 1)
    ON CONFLICT (region, outlet_id, engineer_id) DO UPDATE SET open = open + 1;
END;

-- An update leaves the old row's count and enters the new row's (both when
-- an order stays in hand with the same outlet and engineer: no change).
CREATE TRIGGER open_loads_leave AFTER UPDATE OF in_hand, outlet_id, engineer_id, region ON orders
WHEN OLD.in_hand = 1
BEGIN
    UPDATE open_loads SET open = open - 1
    WHERE region = OLD.region AND outlet_id = OLD.outlet_id AND engineer_id = OLD.engineer_id;
END;

CREATE TRIGGER open_loads_enter AFTER UPDATE OF in_hand, outlet_id, engineer_id, region ON orders
WHEN NEW.in_hand = 1
BEGIN
    INSERT INTO open_loads (region, outlet_id, engineer_id, open)
    VALUES (NEW.region, NEW.outlet_id, NEW.engineer_id, 1)
    ON CONFLICT (region, outlet_id, engineer_id) DO UPDATE SET open = open + 1;
END;

CREATE TRIGGER open_loads_delete AFTER DELETE ON orders
WHEN OLD.in_hand = 1
BEGIN
    UPDATE open_loads SET open = open - 1
    WHERE region = OLD.region AND outlet_id = OLD.outlet_id AND engineer_id = OLD.engineer_id;
END;
