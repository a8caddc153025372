-- The bytes (keys and values) each plugin keeps in each region, kept by
-- triggers in the transaction of every key-value write, so that a plugin
-- call checks its quota by reading one row instead of summing the plugin's
-- rows (up to 16 MiB of them, a read of seconds at one-byte keys).
CREATE TABLE plugin_kv_usage (
    region TEXT    NOT NULL,
    plugin TEXT    NOT NULL,
    bytes  INTEGER NOT NULL,
    PRIMARY KEY (region, plugin)
) WITHOUT ROWID;

INSERT INTO plugin_kv_usage (region, plugin, bytes)
SELECT region, plugin, SUM(LENGTH(CAST(key AS BLOB)) + LENGTH(value)) FROM plugin_kv
GROUP BY region, plugin;

CREATE TRIGGER plugin_kv_usage_insert AFTER INSERT ON plugin_kv
BEGIN
    INSERT INTO plugin_kv_usage (region, plugin, bytes)
    VALUES (NEW.region, NEW.plugin, LENGTH(CAST(NEW.key AS BLOB)) + LENGTH(NEW.value))
    ON CONFLICT (region, plugin) DO UPDATE SET bytes = bytes + excluded.bytes;
END;

-- An upsert that finds the key updates it: this trigger, not the insert's.
CREATE TRIGGER plugin_kv_usage_update AFTER UPDATE ON plugin_kv
BEGIN
    UPDATE plugin_kv_usage
    SET bytes = bytes - (LENGTH(CAST(OLD.key AS BLOB)) + LENGTH(OLD.value))
    WHERE region = OLD.region AND plugin = OLD.plugin;
    INSERT INTO plugin_kv_usage (region, plugin, bytes)
    VALUES (NEW.region, NEW.plugin, LENGTH(CAST(NEW.key AS BLOB)) + LENGTH(NEW.value))
    ON CONFLICT (region, plugin) DO UPDATE SET bytes = bytes + excluded.bytes;
END;

CREATE TRIGGER plugin_kv_usage_delete AFTER DELETE ON plugin_kv
BEGIN
    UPDATE plugin_kv_usage
    SET bytes = bytes - (LENGTH(CAST(OLD.key AS BLOB)) + LENGTH(OLD.value))
    WHERE region = OLD.region AND plugin = OLD.plugin;
END;
