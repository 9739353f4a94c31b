-- response_curve: conversion by response bucket, the speed-to-lead curve
-- (METRICS.md, "Response time", conversion by response bucket).
--
-- Grain: one row per response bucket (x breakdown value).
-- Choice: the unit is the lead, not the assignment: a lead's response time
-- runs from its first assignment to the first sales touch after it, by
-- anyone, across reassignments (what the prospect experienced). A lead with
-- no touch by $as_of is in 'no_response' (pending ones included: the curve
-- asks what waiting cost). Calendar minutes.
-- reached_sql / reached_opportunity: of the bucket's leads, those that
-- reached the stage by $as_of (skipped stages count as passed); rates carry
-- the leads as denominator.
-- Parameters: $as_of, $from/$to (on the first assignment), $by, $filters.
WITH firsts AS (
    SELECT lead_id, min(assigned_at) AS assigned_at
    FROM assignments WHERE assigned_at <= $as_of::TIMESTAMPTZ
    GROUP BY lead_id
), timed AS (
    SELECT f.lead_id, seconds_between(f.assigned_at, min(t.occurred_at)) / 60 AS minutes
    FROM firsts f LEFT JOIN sales_touches($as_of::TIMESTAMPTZ) t
      ON t.lead_id = f.lead_id AND t.occurred_at >= f.assigned_at
    WHERE in_period(f.assigned_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
    GROUP BY f.lead_id, f.assigned_at
), bucketed AS (
    SELECT t.lead_id,
           CASE WHEN minutes IS NULL THEN 8 WHEN minutes < 5 THEN 1 WHEN minutes < 30 THEN 2
                WHEN minutes < 60 THEN 3 WHEN minutes < 240 THEN 4 WHEN minutes < 1440 THEN 5
                WHEN minutes < 4320 THEN 6 ELSE 7 END AS ord,
           s.e_sql, s.e_opportunity, d.*
    FROM timed t JOIN lead_dims() d USING (lead_id)
    LEFT JOIN lead_stages($as_of::TIMESTAMPTZ) s USING (lead_id)
    WHERE dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry, d.owner_id, d.owner, d.team)
)
SELECT dim_value($by, source, campaign, segment, region, industry, owner, team, score_band := score_band) AS dim,
       ['<5m', '5-30m', '30-60m', '1-4h', '4-24h', '1-3d', '3d+', 'no_response'][ord] AS bucket,
       count(*) AS leads,
       count(e_sql) AS reached_sql,
       count(e_sql) / count(*) AS sql_rate,
       count(e_opportunity) AS reached_opportunity,
       count(e_opportunity) / count(*) AS opportunity_rate
FROM bucketed
GROUP BY dim, ord
ORDER BY dim, ord;
