-- response: speed to lead, from each assignment to the first sales touch
-- after it (METRICS.md, "Response time (speed to lead)").
--
-- Grain: one row per breakdown value (one row without a breakdown).
-- Instances: sla_instances('assignment', 'first_sales_touch') in base.sql.
-- Each assignment is a clock for its owner; the next assignment of the same
-- lead ends it. Marketing touches never stop it.
-- n: assignments that got a sales touch; the percentiles (p50..p99,
-- quantile_cont, minutes) and the buckets are over these. Buckets are
-- half-open: lt_5m, m5_30, m30_60, h1_4, h4_24, d1_3, d3_plus.
-- pending: no touch yet and younger than $limit_minutes at $as_of.
-- no_response: no touch and older than the limit, or reassigned with no
-- touch (choice: nobody answered that owner's assignment, whether or not
-- the reassignment came inside the limit).
-- $clock 'business' measures in the assignee's working minutes (user_hours
-- in base.sql); 'calendar' in wall-clock minutes.
-- Breakdowns: owner and team are the assignee's, not the lead's current
-- owner; week, hour and weekday_hour ('Mon 09') are of assigned_at in $tz
-- (week starts Monday; weekday_hour rows in week order); the rest are the
-- lead's.
-- Parameters: $as_of, $from/$to (on assigned_at), $tz, $clock,
-- $limit_minutes, $by, $filters (owner and team filter the assignee).
WITH inst AS (
    SELECT i.*, d.source, d.campaign, d.segment, d.region, d.industry, d.score_band,
           blank(owner_name(i.owner_id, u.name)) AS owner, blank(owner_team(i.owner_id, u.team)) AS team
    FROM sla_instances($as_of::TIMESTAMPTZ, 'assignment', 'first_sales_touch', $clock, $limit_minutes::DOUBLE, NULL) i
    JOIN lead_dims() d USING (lead_id)
    LEFT JOIN users u ON u.user_id = i.owner_id
    WHERE in_period(i.started_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
), kept AS (
    SELECT *,
           CASE $by WHEN 'week' THEN strftime(period_start(started_at, 'week', $tz), '%Y-%m-%d')
                    WHEN 'hour' THEN lpad(CAST(hour(started_at AT TIME ZONE $tz) AS VARCHAR), 2, '0')
                    WHEN 'weekday_hour' THEN strftime(started_at AT TIME ZONE $tz, '%a %H')
                    ELSE dim_value($by, source, campaign, segment, region, industry, owner, team, score_band := score_band) END AS dim,
           -- weekday_hour sorts by the week, Monday 00 first, not by name
           CASE $by WHEN 'weekday_hour' THEN isodow(started_at AT TIME ZONE $tz) * 100 + hour(started_at AT TIME ZONE $tz) END AS dim_order
    FROM inst
    WHERE dims_pass($filters::MAP(VARCHAR, VARCHAR[]), source, campaign, segment, region, industry, owner_id, owner, team)
)
SELECT dim,
       count(stopped_at) AS n,
       quantile_cont(elapsed_min, 0.5) FILTER (WHERE stopped_at IS NOT NULL) AS p50_minutes,
       quantile_cont(elapsed_min, 0.75) FILTER (WHERE stopped_at IS NOT NULL) AS p75_minutes,
       quantile_cont(elapsed_min, 0.9) FILTER (WHERE stopped_at IS NOT NULL) AS p90_minutes,
       quantile_cont(elapsed_min, 0.99) FILTER (WHERE stopped_at IS NOT NULL) AS p99_minutes,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min < 5) AS lt_5m,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min >= 5 AND elapsed_min < 30) AS m5_30,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min >= 30 AND elapsed_min < 60) AS m30_60,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min >= 60 AND elapsed_min < 240) AS h1_4,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min >= 240 AND elapsed_min < 1440) AS h4_24,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min >= 1440 AND elapsed_min < 4320) AS d1_3,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min >= 4320) AS d3_plus,
       count(*) FILTER (WHERE stopped_at IS NULL AND status = 'pending') AS pending,
       count(*) FILTER (WHERE stopped_at IS NULL AND status <> 'pending') AS no_response
FROM kept
GROUP BY dim
ORDER BY min(dim_order), dim;
