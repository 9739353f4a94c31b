-- routing_history: each assignment up to $as_of with its first-touch SLA
-- clock, for routing: who carried what load, how often each rep answered in
-- time, and which clocks the SLA timers fire on.
--
-- Grain: one row per assignment (sla_instances in base.sql, with the
-- configured first-touch clock and limit), in time order. stopped_at: the
-- first sales touch inside the assignment's span (NULL: none yet);
-- superseded_at: the next assignment of the lead (NULL: none).
-- Parameters: $as_of, $ft_clock, $ft_limit_minutes, $ft_limit_workdays.
SELECT lead_id, coalesce(owner_id, '') AS owner_id, started_at AS assigned_at, status,
       stopped_at, superseded_at
FROM sla_instances($as_of::TIMESTAMPTZ, 'assignment', 'first_sales_touch', $ft_clock,
                   $ft_limit_minutes::DOUBLE, $ft_limit_workdays::DOUBLE)
ORDER BY assigned_at, lead_id;
