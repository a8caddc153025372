-- Each plugin's private key-value store in each region. The plugin's name,
-- not its version, owns the data, so state survives upgrades.
CREATE TABLE plugin_kv (
    region TEXT NOT NULL,
    plugin TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (region, plugin, key)
) WITHOUT ROWID;
