-- backtest_capacity: what the team can take and how fast it answers, for
-- the backtest's capacity check (METRICS.md, "Scoring").
--
-- Grain: one row. capacity: the sum of users.capacity (new leads a rep
-- takes per month) over active sdr and ae users. first_touch_met /
-- first_touch_breached: the first-touch clocks of assignments made in
-- [$from, $to), counted as in sla with the configured clock and limit
-- ($ft_*), so breach share = breached / (met + breached).
-- Parameters: $as_of, $from/$to, $ft_clock, $ft_limit_minutes,
-- $ft_limit_workdays.
SELECT (SELECT CAST(coalesce(sum(capacity), 0) AS DOUBLE) FROM users WHERE coalesce(active, true) AND role IN ('sdr', 'ae')) AS capacity,
       count(*) FILTER (WHERE status = 'met') AS first_touch_met,
       count(*) FILTER (WHERE status = 'breached') AS first_touch_breached
FROM sla_instances($as_of::TIMESTAMPTZ, 'assignment', 'first_sales_touch', $ft_clock,
                   $ft_limit_minutes::DOUBLE, $ft_limit_workdays::DOUBLE)
WHERE in_period(started_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ);
