-- aging: leads open in each stage now, by how long they have been there
-- (METRICS.md, "Lead aging", aging buckets).
--
-- Grain: one row per open stage (lead, mql, sql, opportunity) x breakdown
-- value. A lead is open in its current stage: the stage of its latest stage
-- change at or before $as_of, when that stage is an open one.
-- Age: from the entry into the current stage (the latest entry: a lead back
-- in mql after recycling ages from its return; choice: that is how long it
-- has been waiting now) to $as_of.
-- Buckets are half-open: lt_1d [0,1d), d1_3 [1d,3d), d3_7 [3d,7d),
-- d7_14 [7d,14d), d14_30 [14d,30d), d30_plus [30d,inf).
-- Parameters: $as_of, $from/$to (on the lead's created_at), $by, $filters.
WITH open_leads AS (
    SELECT s.lead_id, s.current_stage AS stage, stage_order(s.current_stage) AS ord,
           seconds_between(s.current_since, $as_of::TIMESTAMPTZ) / 86400 AS age_days, d.*
    FROM lead_stages($as_of::TIMESTAMPTZ) s JOIN lead_dims() d USING (lead_id)
    WHERE s.current_stage IN ('lead', 'mql', 'sql', 'opportunity')
      AND in_period(d.created_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
      AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry, d.owner_id, d.owner, d.team)
)
SELECT dim_value($by, source, campaign, segment, region, industry, owner, team) AS dim,
       stage,
       count(*) AS open,
       count(*) FILTER (WHERE age_days < 1) AS lt_1d,
       count(*) FILTER (WHERE age_days >= 1 AND age_days < 3) AS d1_3,
       count(*) FILTER (WHERE age_days >= 3 AND age_days < 7) AS d3_7,
       count(*) FILTER (WHERE age_days >= 7 AND age_days < 14) AS d7_14,
       count(*) FILTER (WHERE age_days >= 14 AND age_days < 30) AS d14_30,
       count(*) FILTER (WHERE age_days >= 30) AS d30_plus,
       quantile_cont(age_days, 0.5) AS p50_age_days
FROM open_leads
GROUP BY dim, stage, ord
ORDER BY dim, ord;
