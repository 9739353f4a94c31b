-- stuck: leads in an open stage longer than that stage's limit, oldest
-- first (METRICS.md, "Lead aging", stuck leads).
--
-- Grain: one row per stuck lead. Open stage and age as in aging.sql (age
-- from the latest entry into the current stage).
-- $limits maps a stage to its limit in hours; a stage without a limit has
-- no stuck leads. A lead is stuck when its age is strictly greater than the
-- limit. Ordered by age, oldest first, then lead_id.
-- Parameters: $as_of, $limits (MAP(VARCHAR, DOUBLE)), $from/$to (on
-- created_at), $filters.
SELECT s.lead_id,
       s.current_stage AS stage,
       s.current_since AS entered_at,
       seconds_between(s.current_since, $as_of::TIMESTAMPTZ) / 86400 AS age_days,
       ($limits::MAP(VARCHAR, DOUBLE))[s.current_stage] / 24 AS limit_days,
       d.owner_id,
       d.owner,
       d.team,
       d.source
FROM lead_stages($as_of::TIMESTAMPTZ) s JOIN lead_dims() d USING (lead_id)
WHERE s.current_stage IN ('lead', 'mql', 'sql', 'opportunity')
  AND seconds_between(s.current_since, $as_of::TIMESTAMPTZ) / 3600 > ($limits::MAP(VARCHAR, DOUBLE))[s.current_stage]
  AND in_period(d.created_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
  AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry, d.owner_id, d.owner, d.team)
ORDER BY age_days DESC, s.lead_id;
