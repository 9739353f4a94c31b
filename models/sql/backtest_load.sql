-- backtest_load: what the backtest's load model learns from: each rep's
-- first-touch clocks by how busy the rep's day was (docs/scoring.md, "The
-- load model").
--
-- Grain: one row per (owner, load, answerable). A clock is an instance of
-- the first-touch SLA (sla_instances, with the configured clock and limit
-- $ft_*) started in [$from, $to) by an assignment to a person (queues are
-- left out: nobody in a queue answers). Its working day is the owner's
-- local date of the first working minute at or after the start (a lead
-- assigned after hours counts on the morning it can first be answered);
-- load is how many new leads the owner's working day brought: clocks that
-- were their lead's first, whatever became of them (a reassigned lead is
-- judged on the day it came, but is not a new lead that day). answerable: the clock's whole limit lies in the owner's
-- working hours, so only the rep's speed decides it (always, on a business
-- clock); a calendar clock started at night is breached by the hour, not
-- by the load. received counts every clock; judged the met and breached
-- ones (pending and superseded clocks are neither), breached the late,
-- untouched the breached ones the owner never touched at all.
-- first_started and last_started bound the clocks' span.
-- Parameters: $as_of, $from/$to, $ft_clock, $ft_limit_minutes,
-- $ft_limit_workdays.
WITH clocks AS (
    SELECT i.owner_id, i.started_at, i.status,
           i.started_at = min(i.started_at) OVER (PARTITION BY i.lead_id) AS new_lead, i.stopped_at IS NULL AS untouched, i.limit_min,
           coalesce(h.tz, 'UTC') AS tz, coalesce(h.d1, 1) AS d1, coalesce(h.d2, 5) AS d2,
           coalesce(h.ws, 540) AS ws, coalesce(h.we, 1020) AS we
    FROM sla_instances($as_of::TIMESTAMPTZ, 'assignment', 'first_sales_touch', $ft_clock,
                       $ft_limit_minutes::DOUBLE, $ft_limit_workdays::DOUBLE) i
    LEFT JOIN user_hours() h ON h.user_id = i.owner_id
    WHERE in_period(i.started_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
      AND i.owner_id IS NOT NULL AND NOT is_queue(i.owner_id)
), localized AS (
    SELECT *, started_at AT TIME ZONE tz AS local_start,
           (started_at + to_microseconds(CAST(limit_min * 60000000 AS BIGINT))) AT TIME ZONE tz AS local_deadline
    FROM clocks
), clocked AS (
    SELECT *, work_clock(local_start, d1, d2, ws, we) AS start_clock,
           work_clock(local_deadline, d1, d2, ws, we) AS deadline_clock
    FROM localized
), dayed AS (
    -- a thousandth of a working minute past the start: the day it runs on,
    -- not the working day a boundary reading closes
    SELECT owner_id, started_at, status, untouched, new_lead,
           CAST(work_instant(start_clock + 0.001, d1, d2, ws, we) AS DATE) AS workday,
           $ft_clock = 'business' OR deadline_clock - start_clock >= limit_min - 0.001 AS answerable
    FROM clocked
), loaded AS (
    -- at least 1: a reassigned lead may land on a day that brought none
    SELECT *, greatest(count(*) FILTER (WHERE new_lead) OVER (PARTITION BY owner_id, workday), 1) AS load FROM dayed
)
SELECT x.owner_id, blank(owner_name(x.owner_id, u.name)) AS owner, blank(owner_team(x.owner_id, u.team)) AS team,
       x.load, x.answerable,
       count(*) AS received,
       count(*) FILTER (WHERE x.status IN ('met', 'breached')) AS judged,
       count(*) FILTER (WHERE x.status = 'breached') AS breached,
       count(*) FILTER (WHERE x.status = 'breached' AND x.untouched) AS untouched,
       min(x.started_at) AS first_started, max(x.started_at) AS last_started
FROM loaded x LEFT JOIN users u ON u.user_id = x.owner_id
GROUP BY ALL
ORDER BY x.owner_id, x.load, x.answerable;
