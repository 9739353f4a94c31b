-- lead_sla_clocks: one SLA's clocks for one lead: each instance with its
-- state as of $as_of (sla_instances in base.sql: met, breached, pending,
-- superseded), so sales sees which clock is running and how long is left.
--
-- Grain: one row per instance of the SLA for $lead_id, oldest first.
-- left_minutes: limit - elapsed on the SLA's clock for a pending instance,
-- else NULL. Parameters: as sla.sql, plus $lead_id.
SELECT $sla_name::VARCHAR AS sla, i.owner_id, blank(owner_name(i.owner_id, u.name)) AS owner,
       i.started_at, i.stopped_at, i.status, i.limit_min AS limit_minutes, i.elapsed_min AS elapsed_minutes,
       CASE WHEN i.status = 'pending' THEN i.limit_min - i.elapsed_min END AS left_minutes
FROM sla_instances($as_of::TIMESTAMPTZ, $start_event, $stop_event, $clock,
                   $limit_minutes::DOUBLE, $limit_workdays::DOUBLE) i
LEFT JOIN users u ON u.user_id = i.owner_id
WHERE i.lead_id = $lead_id::VARCHAR
ORDER BY i.started_at;
