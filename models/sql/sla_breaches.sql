-- sla_breaches: the breached instances of one named SLA, worst first
-- (METRICS.md, "SLA compliance", breach list).
--
-- Grain: one row per breached instance (see sla.sql and sla_instances in
-- base.sql for what breached means). late_minutes = elapsed - limit, in the
-- SLA's clock; an instance still running is measured to $as_of and its
-- stopped_at is NULL. queued_at: the clock started when the lead entered
-- the queue the owner took it from (then started_at is that time too), so
-- the wait in the queue is part of elapsed_minutes; NULL otherwise.
-- Ordered by late_minutes descending, then start time and lead_id.
-- Parameters: as sla.sql.
SELECT $sla_name::VARCHAR AS sla,
       i.lead_id,
       i.owner_id,
       blank(owner_name(i.owner_id, u.name)) AS owner,
       blank(owner_team(i.owner_id, u.team)) AS team,
       d.source,
       i.started_at,
       i.stopped_at,
       i.limit_min AS limit_minutes,
       i.elapsed_min AS elapsed_minutes,
       i.late_min AS late_minutes,
       i.queued_at
FROM sla_instances($as_of::TIMESTAMPTZ, $start_event, $stop_event, $clock,
                   $limit_minutes::DOUBLE, $limit_workdays::DOUBLE) i
JOIN lead_dims() d USING (lead_id)
LEFT JOIN users u ON u.user_id = i.owner_id
WHERE i.status = 'breached'
  AND in_period(i.started_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
  AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry,
                i.owner_id, blank(owner_name(i.owner_id, u.name)), blank(owner_team(i.owner_id, u.team)))
ORDER BY late_minutes DESC, i.started_at, i.lead_id;
