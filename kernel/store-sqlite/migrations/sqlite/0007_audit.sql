-- The audit trail (issue 12): one row per audited action, appended in the
-- transaction of the change it records. `body` is the encoded
-- xingji.v1.AuditEvent with `seq` set and `prev_hash` and `hash` empty,
-- exactly as it was hashed: `hash` = hex(SHA-256(`prev_hash` || `body`)),
-- where `prev_hash` is the `hash` of the row before (64 zeros for seq 1).
-- The other columns copy fields of the body for filters (`time_ns`:
-- nanoseconds since the Unix epoch); `xingji audit verify` checks that they
-- agree with it and that the chain holds.
CREATE TABLE audit_events (
    seq       INTEGER PRIMARY KEY,
    time_ns   INTEGER NOT NULL,
    region    TEXT    NOT NULL,
    principal TEXT    NOT NULL,
    operation TEXT    NOT NULL,
    outcome   INTEGER NOT NULL,
    body      BLOB    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);
CREATE INDEX audit_events_by_region ON audit_events (region, seq);
CREATE INDEX audit_events_by_principal ON audit_events (principal, seq);
CREATE INDEX audit_events_by_operation ON audit_events (operation, seq);
CREATE INDEX audit_events_by_time ON audit_events (time_ns);

-- Append-only: the kernel never changes or removes an entry, and a bug that
-- tried would fail here. (Whoever can drop these triggers can edit rows;
-- the hash chain is what shows that they did.)
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
