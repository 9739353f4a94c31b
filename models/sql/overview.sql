-- overview: the handful of numbers leadership asks for, one row per period
-- (cut in $tz with $grain), so a page shows each with its trend and its
-- change against the previous period.
--
-- Grain: one row per period in which anything below happened.
-- leads: leads created in the period (as in sources). mqls, sqls: leads
-- whose entered_at(mql), entered_at(sql) falls in the period (skipped
-- stages count as passed, as in funnel).
-- mqls_reached_sql: of the period's MQLs (a cohort), those that reached
-- sql within $window_seconds of becoming an MQL; unlike sqls (a flow: leads
-- entering sql in the period, whenever they became MQLs).
-- mql_to_sql: of the period's MQLs, the share that reached sql within
-- $window_seconds of becoming an MQL: the funnel's mql->sql step with the
-- MQL's period as the cohort. mql_to_sql_open: the period's end plus the
-- window lies after $as_of, so that rate can still rise.
-- median_response_minutes: over the assignments made in the period that
-- got a sales touch, the median calendar minutes to it (as response).
-- first_touch_met / _breached / _compliance: the configured first-touch SLA
-- ($ft_* parameters, clock and limit as configured), counted as in sla,
-- by the period of the assignment.
-- pipeline: amounts of opportunities tied to a lead and created in the
-- period; won_revenue: amounts of won opportunities tied to a lead and
-- closed in the period. Summed as they are (one currency assumed).
-- complete: the period ended at or before $as_of.
-- Filters: on the lead's dimensions, except owner and team, which are the
-- assignee's for the response and SLA numbers (as in response and sla).
-- Parameters: $as_of, $from/$to (on each number's own time), $tz, $grain,
-- $window_seconds, $filters, $ft_clock, $ft_limit_minutes,
-- $ft_limit_workdays.
WITH dims AS (
    SELECT * FROM lead_dims()
    WHERE dims_pass($filters::MAP(VARCHAR, VARCHAR[]), source, campaign, segment, region, industry, owner_id, owner, team)
), stages AS (
    SELECT s.* FROM lead_stages($as_of::TIMESTAMPTZ) s SEMI JOIN dims d USING (lead_id)
), created AS (
    SELECT period_start(created_at, $grain, $tz) AS period, count(*) AS leads
    FROM dims
    WHERE created_at <= $as_of::TIMESTAMPTZ AND in_period(created_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
    GROUP BY period
), mql AS (
    SELECT period_start(e_mql, $grain, $tz) AS period, count(*) AS mqls,
           count(*) FILTER (WHERE e_sql IS NOT NULL AND seconds_between(e_mql, e_sql) <= $window_seconds::BIGINT) AS mql_reached_sql
    FROM stages
    WHERE e_mql IS NOT NULL AND in_period(e_mql, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
    GROUP BY period
), sq AS (
    SELECT period_start(e_sql, $grain, $tz) AS period, count(*) AS sqls
    FROM stages
    WHERE e_sql IS NOT NULL AND in_period(e_sql, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
    GROUP BY period
), inst_dims AS (
    SELECT d.lead_id, d.source, d.campaign, d.segment, d.region, d.industry
    FROM lead_dims() d
), response AS (
    SELECT period_start(i.started_at, $grain, $tz) AS period,
           quantile_cont(i.elapsed_min, 0.5) FILTER (WHERE i.stopped_at IS NOT NULL) AS median_response_minutes
    FROM sla_instances($as_of::TIMESTAMPTZ, 'assignment', 'first_sales_touch', 'calendar', 0::DOUBLE, NULL) i
    JOIN inst_dims d USING (lead_id) LEFT JOIN users u ON u.user_id = i.owner_id
    WHERE in_period(i.started_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
      AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry,
                    i.owner_id, blank(owner_name(i.owner_id, u.name)), blank(owner_team(i.owner_id, u.team)))
    GROUP BY period
), first_touch AS (
    SELECT period_start(i.started_at, $grain, $tz) AS period,
           count(*) FILTER (WHERE i.status = 'met') AS first_touch_met,
           count(*) FILTER (WHERE i.status = 'breached') AS first_touch_breached
    FROM sla_instances($as_of::TIMESTAMPTZ, 'assignment', 'first_sales_touch', $ft_clock,
                       $ft_limit_minutes::DOUBLE, $ft_limit_workdays::DOUBLE) i
    JOIN inst_dims d USING (lead_id) LEFT JOIN users u ON u.user_id = i.owner_id
    WHERE in_period(i.started_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
      AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry,
                    i.owner_id, blank(owner_name(i.owner_id, u.name)), blank(owner_team(i.owner_id, u.team)))
    GROUP BY period
), opps AS (
    SELECT o.* FROM opportunities o SEMI JOIN dims d USING (lead_id)
), pipeline AS (
    SELECT period_start(created_at, $grain, $tz) AS period, sum(amount) AS pipeline
    FROM opps
    WHERE created_at <= $as_of::TIMESTAMPTZ AND in_period(created_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
    GROUP BY period
), won AS (
    SELECT period_start(closed_at, $grain, $tz) AS period, sum(amount) AS won_revenue
    FROM opps
    WHERE won AND closed_at <= $as_of::TIMESTAMPTZ AND in_period(closed_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
    GROUP BY period
), periods AS (
    SELECT period FROM created UNION SELECT period FROM mql UNION SELECT period FROM sq
    UNION SELECT period FROM response UNION SELECT period FROM first_touch
    UNION SELECT period FROM pipeline UNION SELECT period FROM won
)
SELECT strftime(p.period, '%Y-%m-%d') AS period,
       coalesce(c.leads, 0) AS leads,
       coalesce(m.mqls, 0) AS mqls,
       coalesce(s.sqls, 0) AS sqls,
       coalesce(m.mql_reached_sql, 0) AS mqls_reached_sql,
       m.mql_reached_sql / nullif(m.mqls, 0) AS mql_to_sql,
       period_end_utc(p.period, $grain, $tz) + to_seconds($window_seconds::BIGINT) > $as_of::TIMESTAMPTZ AS mql_to_sql_open,
       r.median_response_minutes,
       coalesce(f.first_touch_met, 0) AS first_touch_met,
       coalesce(f.first_touch_breached, 0) AS first_touch_breached,
       f.first_touch_met / nullif(f.first_touch_met + f.first_touch_breached, 0) AS first_touch_compliance,
       coalesce(pl.pipeline, 0) AS pipeline,
       coalesce(w.won_revenue, 0) AS won_revenue,
       period_end_utc(p.period, $grain, $tz) <= $as_of::TIMESTAMPTZ AS complete
FROM periods p
LEFT JOIN created c USING (period) LEFT JOIN mql m USING (period) LEFT JOIN sq s USING (period)
LEFT JOIN response r USING (period) LEFT JOIN first_touch f USING (period)
LEFT JOIN pipeline pl USING (period) LEFT JOIN won w USING (period)
WHERE p.period <= $as_of::TIMESTAMPTZ AT TIME ZONE $tz
ORDER BY p.period;
