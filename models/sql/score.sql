-- score: each lead's fit, engagement and total score as of a time, its
-- quadrant and whether it passes the MQL threshold (METRICS.md, "Scoring").
--
-- Grain: one row per scored lead (score_at in base.sql: every lead created
-- before $as_of with at_mode 'as_of'), highest total first.
-- fit: sum of the points of the fit rules the lead matches; engagement: sum
-- over the configured activity kinds of their decayed, capped points from
-- events strictly before scored_at (score_totals over score_parts in
-- base.sql). total = fit + engagement. A lead no rule fired for scores 0
-- and 0.
-- quadrant: fit >= $fit_threshold is high fit, engagement >=
-- $engagement_threshold high engagement; high/high 'sales' (route to
-- sales), high fit/low engagement 'nurture', low fit/high engagement
-- 'watch', low/low 'no_action'. mql: total >= $mql_threshold.
-- Parameters: $as_of, $at_mode, $at_days, the rule lists of score_parts,
-- $fit_threshold, $engagement_threshold, $mql_threshold, $filter_dims and $filter_values
-- (pairs, filter_map in base.sql; on the lead's dimensions).
WITH scored AS (
    SELECT * FROM score_totals($as_of::TIMESTAMPTZ, $at_mode::VARCHAR, $at_days::DOUBLE,
        $fit_rule::VARCHAR[], $fit_points::DOUBLE[], $fit_size_min::DOUBLE[], $fit_size_max::DOUBLE[], $fit_title::VARCHAR[],
        $fit_in_rule::BIGINT[], $fit_in_dim::VARCHAR[], $fit_in_value::VARCHAR[],
        $eng_kind::VARCHAR[], $eng_points::DOUBLE[], $eng_half_life::DOUBLE[], $eng_max::DOUBLE[])
)
SELECT s.lead_id, d.source, d.campaign, d.segment, d.region, d.owner, d.team,
       s.scored_at,
       round(s.fit, 2) AS fit, round(s.engagement, 2) AS engagement, round(s.fit + s.engagement, 2) AS total,
       CASE WHEN s.fit >= $fit_threshold::DOUBLE AND s.engagement >= $engagement_threshold::DOUBLE THEN 'sales'
            WHEN s.fit >= $fit_threshold::DOUBLE THEN 'nurture'
            WHEN s.engagement >= $engagement_threshold::DOUBLE THEN 'watch'
            ELSE 'no_action' END AS quadrant,
       s.fit + s.engagement >= $mql_threshold::DOUBLE AS mql
FROM scored s JOIN lead_dims() d USING (lead_id)
WHERE dims_pass(filter_map($filter_dims::VARCHAR[], $filter_values::VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry, d.owner_id, d.owner, d.team)
ORDER BY total DESC, s.lead_id;
