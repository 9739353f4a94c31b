-- time_in_stage: how long leads spend in each open funnel stage (METRICS.md,
-- "Lead aging", time in stage).
--
-- Grain: one row per period of entry x stage (x breakdown value), for the
-- stages lead, mql, sql and opportunity.
-- A lead's time in stage S runs from its first entry into S to its next
-- stage change into any other stage (the next stage it reached, including
-- disqualified, recycled or nurture); if there is none by $as_of, it runs to
-- $as_of and the lead counts in still_in_stage (the time is censored: the
-- true figure is at least this).
-- Choice: a skipped stage has no time in stage (it would add zeros that say
-- nothing about how long leads wait), so its lead is not in that stage's n.
-- p50/p75/p90 interpolate linearly (quantile_cont), in hours.
-- Period: of the first entry into S, cut in $tz with $grain.
-- Parameters: $as_of, $from/$to (on the entry), $tz, $grain, $by, $filters.
-- A lead's first entry into each stage and when it left it come with
-- lead_stages (left_*: the lake keeps them per lead).
WITH spans AS (
    SELECT s.lead_id, st.stage, st.ord,
           CASE st.stage WHEN 'lead' THEN s.f_lead WHEN 'mql' THEN s.f_mql
                WHEN 'sql' THEN s.f_sql WHEN 'opportunity' THEN s.f_opportunity END AS entered_at,
           CASE st.stage WHEN 'lead' THEN s.left_lead WHEN 'mql' THEN s.left_mql
                WHEN 'sql' THEN s.left_sql WHEN 'opportunity' THEN s.left_opportunity END AS left_at
    FROM lead_stages($as_of::TIMESTAMPTZ) s
    CROSS JOIN (VALUES ('lead', 1), ('mql', 2), ('sql', 3), ('opportunity', 4)) st(stage, ord)
)
SELECT strftime(period_start(sp.entered_at, $grain, $tz), '%Y-%m-%d') AS period,
       dim_value($by, d.source, d.campaign, d.segment, d.region, d.industry, d.owner, d.team) AS dim,
       sp.stage,
       count(*) AS n,
       count(*) FILTER (WHERE sp.left_at IS NULL) AS still_in_stage,
       quantile_cont(seconds_between(sp.entered_at, coalesce(sp.left_at, $as_of::TIMESTAMPTZ)) / 3600, 0.5) AS p50_hours,
       quantile_cont(seconds_between(sp.entered_at, coalesce(sp.left_at, $as_of::TIMESTAMPTZ)) / 3600, 0.75) AS p75_hours,
       quantile_cont(seconds_between(sp.entered_at, coalesce(sp.left_at, $as_of::TIMESTAMPTZ)) / 3600, 0.9) AS p90_hours
FROM spans sp JOIN lead_dims() d USING (lead_id)
WHERE sp.entered_at IS NOT NULL
  AND in_period(sp.entered_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
  AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry, d.owner_id, d.owner, d.team)
GROUP BY period, dim, sp.stage, sp.ord
ORDER BY period, dim, sp.ord;
