-- routing_history: each assignment up to $as_of with its first-touch SLA
-- status, for a routing dry run: who carried what load, and how often each
-- rep answered in time.
--
-- Grain: one row per assignment (sla_instances in base.sql, with the
-- configured first-touch clock and limit).
-- Parameters: $as_of, $ft_clock, $ft_limit_minutes, $ft_limit_workdays.
SELECT lead_id, coalesce(owner_id, '') AS owner_id, started_at AS assigned_at, status
FROM sla_instances($as_of::TIMESTAMPTZ, 'assignment', 'first_sales_touch', $ft_clock,
                   $ft_limit_minutes::DOUBLE, $ft_limit_workdays::DOUBLE)
ORDER BY assigned_at, lead_id;
