-- Plugin decisions as recorded: an active plugin's with the order write
-- that applies it, a shadow's on its own. `record` is the encoded
-- xingji.v1.PluginDecision (its request_json empty), `request` the
-- request in the kernel's compact encoding.
CREATE TABLE plugin_decisions (
    seq BIGSERIAL PRIMARY KEY,
    order_id TEXT NOT NULL,
    region TEXT NOT NULL,
    slot INTEGER NOT NULL,
    plugin TEXT NOT NULL,
    role INTEGER NOT NULL,
    agrees BOOLEAN NOT NULL,
    failed BOOLEAN NOT NULL,
    record BYTEA NOT NULL,
    request BYTEA NOT NULL
);
CREATE INDEX plugin_decisions_order ON plugin_decisions (order_id, seq);
CREATE INDEX plugin_decisions_shadow ON plugin_decisions (region, slot, plugin, role, agrees, seq);
