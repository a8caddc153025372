-- The kernel's schema on PostgreSQL. Each record is kept whole (`body`, the
-- encoded protobuf message) beside the columns lists filter on.
--
-- Keys that lists page by (`id > after ORDER BY id`) or scan by prefix are
-- COLLATE "C": byte order, whatever the database's own collation.
--
-- Region leads the key of every table of regional records, and every query
-- of them filters on it where the caller knows it: the path to sharding by
-- region (Citus's distribution column) without a redesign. ARCHITECTURE.md
-- and the README say what such a deployment would still change.

-- Settings that survive restarts (the page-token key, ...).
CREATE TABLE meta (
    key   text COLLATE "C" PRIMARY KEY,
    value bytea NOT NULL
);

-- Counters that move on writes every kernel caches: `network` (outlets,
-- people, licence events, month closes) and `registry` (plugins and
-- activations). Kernels poll them, and hear NOTIFY xingji_changes.
CREATE TABLE versions (
    name    text PRIMARY KEY,
    version bigint NOT NULL
);
INSERT INTO versions (name, version) VALUES ('network', 0), ('registry', 0);

CREATE TABLE outlets (
    region        text COLLATE "C"    NOT NULL,
    id            text COLLATE "C"    NOT NULL,
    number        text    NOT NULL,
    tier          integer NOT NULL,
    status        integer NOT NULL,
    grade         integer NOT NULL,
    parent_id     text    NOT NULL,
    product_lines integer[] NOT NULL,
    version       bigint  NOT NULL,
    body          bytea   NOT NULL,
    PRIMARY KEY (region, id),
    UNIQUE (region, number)
);
-- Reads by id alone (the API's Get calls carry no region).
CREATE UNIQUE INDEX outlets_by_id ON outlets (id);
CREATE INDEX outlets_by_parent ON outlets (parent_id, id) WHERE parent_id <> '';

CREATE TABLE people (
    region        text COLLATE "C"    NOT NULL,
    id            text COLLATE "C"    NOT NULL,
    outlet_id     text    NOT NULL,
    level         integer NOT NULL,
    licence_state integer NOT NULL,
    on_duty       boolean NOT NULL,
    product_lines integer[] NOT NULL,
    version       bigint  NOT NULL,
    body          bytea   NOT NULL,
    PRIMARY KEY (region, id)
);
CREATE UNIQUE INDEX people_by_id ON people (id);
CREATE INDEX people_by_outlet ON people (region, outlet_id, id);

CREATE TABLE orders (
    region            text COLLATE "C"    NOT NULL,
    id                text COLLATE "C"    NOT NULL,
    kind              integer NOT NULL,
    status            integer NOT NULL,
    outlet_id         text    NOT NULL,
    engineer_id       text    NOT NULL,
    product_line      integer NOT NULL,
    original_order_id text    NOT NULL,
    -- The kernel's: when the earliest running SLA clock falls due, and
    -- whether the order counts toward its outlet's and engineer's load.
    due_at            bigint  NOT NULL,
    in_hand           boolean NOT NULL,
    version           bigint  NOT NULL,
    body              bytea   NOT NULL,
    PRIMARY KEY (region, id)
);
CREATE UNIQUE INDEX orders_by_id ON orders (id);
CREATE INDEX orders_by_status ON orders (region, status, id);
CREATE INDEX orders_by_outlet ON orders (region, outlet_id, id);
CREATE INDEX orders_by_engineer ON orders (region, engineer_id, id) WHERE engineer_id <> '';
CREATE INDEX orders_by_due ON orders (region, due_at);
CREATE INDEX orders_by_original ON orders (original_order_id) WHERE original_order_id <> '';

-- Request ids are the partner's idempotency keys, one order each, whatever
-- the region: global, as on SQLite.
CREATE TABLE order_requests (
    request_id  text COLLATE "C"  PRIMARY KEY,
    region      text COLLATE "C"  NOT NULL,
    order_id    text  NOT NULL,
    fingerprint bytea NOT NULL
);

-- Orders in hand per outlet and engineer, kept by the writes (the store
-- moves a row when an order's `in_hand`, outlet or engineer moves).
CREATE TABLE open_loads (
    region      text COLLATE "C"   NOT NULL,
    outlet_id   text   NOT NULL,
    engineer_id text   NOT NULL,
    open        bigint NOT NULL,
    PRIMARY KEY (region, outlet_id, engineer_id)
);

-- The change feed WatchOrders follows. `seq` is given under the commit
-- lock (see src/commit.rs), so it is commit order across every kernel.
CREATE TABLE order_events (
    seq       bigint PRIMARY KEY,
    region    text COLLATE "C"   NOT NULL,
    outlet_id text   NOT NULL,
    body      bytea  NOT NULL
);
CREATE INDEX order_events_by_region ON order_events (region, seq);

CREATE TABLE licence_events (
    region    text COLLATE "C"  NOT NULL,
    id        text COLLATE "C"  NOT NULL,
    person_id text  NOT NULL,
    body      bytea NOT NULL,
    PRIMARY KEY (region, id)
);
CREATE INDEX licence_events_by_person ON licence_events (person_id, id);
CREATE INDEX licence_events_by_id ON licence_events (id);

CREATE TABLE audits (
    region    text COLLATE "C"  NOT NULL,
    id        text COLLATE "C"  NOT NULL,
    outlet_id text  NOT NULL,
    body      bytea NOT NULL,
    PRIMARY KEY (region, id)
);
CREATE INDEX audits_by_outlet ON audits (region, outlet_id, id);
CREATE INDEX audits_by_id ON audits (id);

CREATE TABLE month_closes (
    region text COLLATE "C"  NOT NULL,
    month  text COLLATE "C"  NOT NULL,
    body   bytea NOT NULL,
    PRIMARY KEY (region, month)
);

-- Plugins are global (every region may activate any), as are their
-- publishers: on a sharded deployment these are reference tables.
CREATE TABLE plugins (
    sha256    text    PRIMARY KEY,
    name      text    NOT NULL,
    version   text    NOT NULL,
    slot      integer NOT NULL,
    publisher text    NOT NULL,
    body      bytea   NOT NULL,
    -- The component itself, so that every kernel can load what another
    -- installed. Compiled artifacts stay each kernel's local cache.
    component bytea   NOT NULL,
    UNIQUE (name, version)
);

CREATE TABLE plugin_publishers (
    name      text PRIMARY KEY,
    publisher text NOT NULL
);

CREATE TABLE activations (
    region text COLLATE "C"    NOT NULL,
    seq    bigint  NOT NULL,
    slot   integer NOT NULL,
    body   bytea   NOT NULL,
    PRIMARY KEY (region, seq)
);
CREATE UNIQUE INDEX activations_by_seq ON activations (seq);

CREATE TABLE plugin_kv (
    region text COLLATE "C"  NOT NULL,
    plugin text  NOT NULL,
    key    text COLLATE "C"  NOT NULL,
    value  bytea NOT NULL,
    PRIMARY KEY (region, plugin, key)
);

-- The bytes each plugin keeps per region, kept by the trigger below so that
-- the quota check reads one row.
CREATE TABLE plugin_kv_usage (
    region text COLLATE "C"   NOT NULL,
    plugin text   NOT NULL,
    bytes  bigint NOT NULL,
    PRIMARY KEY (region, plugin)
);

CREATE FUNCTION plugin_kv_usage_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE plugin_kv_usage
        SET bytes = bytes - (octet_length(OLD.key) + octet_length(OLD.value))
        WHERE region = OLD.region AND plugin = OLD.plugin;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO plugin_kv_usage (region, plugin, bytes)
        VALUES (NEW.region, NEW.plugin, octet_length(NEW.key) + octet_length(NEW.value))
        ON CONFLICT (region, plugin) DO UPDATE SET bytes = plugin_kv_usage.bytes + excluded.bytes;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER plugin_kv_usage_follow AFTER INSERT OR UPDATE OR DELETE ON plugin_kv
FOR EACH ROW EXECUTE FUNCTION plugin_kv_usage_follow();

-- The audit trail: a hash chain, `seq` given under the commit lock.
CREATE TABLE audit_events (
    seq       bigint  PRIMARY KEY,
    time_ns   bigint  NOT NULL,
    region    text COLLATE "C"    NOT NULL,
    principal text    NOT NULL,
    operation text    NOT NULL,
    outcome   integer NOT NULL,
    body      bytea   NOT NULL,
    prev_hash text    NOT NULL,
    hash      text    NOT NULL
);
CREATE INDEX audit_events_by_region ON audit_events (region, seq);
CREATE INDEX audit_events_by_principal ON audit_events (principal, seq);
CREATE INDEX audit_events_by_operation ON audit_events (operation, seq);
CREATE INDEX audit_events_by_time ON audit_events (time_ns);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END $$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
