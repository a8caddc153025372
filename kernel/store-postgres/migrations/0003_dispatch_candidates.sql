-- A dispatch's candidates as the region's network stood (every field but
-- the loads), kept once by the SHA-256 of their encoding: decisions made
-- while the network is unchanged share them, and each decision keeps only
-- its own part in `plugin_decisions.request` (the order, the loads, the
-- time, the parameters). Decisions recorded before have no `candidates`.
CREATE TABLE dispatch_candidates (
    digest BYTEA PRIMARY KEY,
    body BYTEA NOT NULL
);
ALTER TABLE plugin_decisions ADD COLUMN candidates BYTEA;
