-- Plugin identity (issue 13): a plugin name belongs to the publisher who
-- first installed it, for good (uninstalling its versions does not free
-- it), and another publisher's component of that name is refused.
-- Publishers are the names of the deployment's trusted keys, `xingji` for
-- the bundled plugins, and `unsigned` for components installed without a
-- signature where the deployment allows them.
CREATE TABLE plugin_publishers (
    name      TEXT PRIMARY KEY,
    publisher TEXT NOT NULL
) WITHOUT ROWID;

-- Each version's publisher: always its name's.
ALTER TABLE plugins ADD COLUMN publisher TEXT NOT NULL DEFAULT 'unsigned';

-- The names installed so far belong to their installer: `xingji` if the
-- kernel bundles a version of it, else `unsigned`. `bundled` (field 11, the
-- last of xingji.v1.Plugin before this migration) is encoded last in the
-- body, as the two bytes 0x58 0x01 when true, and omitted when false.
INSERT INTO plugin_publishers (name, publisher)
SELECT name, CASE WHEN MAX(substr(body, -2) = X'5801') THEN 'xingji' ELSE 'unsigned' END
FROM plugins
GROUP BY name;

UPDATE plugins
SET publisher = (SELECT n.publisher FROM plugin_publishers n WHERE n.name = plugins.name);

-- A plugin's key-value data is bound to its publisher and name
-- (`xingji/warranty-jiujiu`), not to whatever name a component declares.
UPDATE plugin_kv
SET plugin = COALESCE(
    (SELECT n.publisher FROM plugin_publishers n WHERE n.name = plugin_kv.plugin),
    'unsigned'
) || '/' || plugin;

-- So are the request keys of the orders a plugin's order-writer made
-- (`plugin:<name>:<key>` becomes `plugin:<publisher>/<name>:<key>`), so
-- that a key already used still finds its order.
UPDATE order_requests
SET request_id = 'plugin:' || (
    SELECT n.publisher FROM plugin_publishers n
    WHERE substr(order_requests.request_id, 1, length(n.name) + 8) = 'plugin:' || n.name || ':'
) || '/' || substr(request_id, 8)
WHERE EXISTS (
    SELECT 1 FROM plugin_publishers n
    WHERE substr(order_requests.request_id, 1, length(n.name) + 8) = 'plugin:' || n.name || ':'
);
