-- pg_indexes: what a team tuning this warehouse would add after loading:
-- keys on the event tables in lead and time order, then fresh statistics
-- and a visibility map (VACUUM) so index-only scans are possible.
ALTER TABLE activities ADD PRIMARY KEY (activity_id);
CREATE INDEX activities_lead_time ON activities (lead_id, occurred_at);
CREATE INDEX stage_changes_lead_time ON stage_changes (lead_id, changed_at);
CREATE INDEX assignments_lead_time ON assignments (lead_id, assigned_at);
VACUUM ANALYZE;
