-- backtest_population: the leads a threshold backtest judges, each scored
-- as of its handoff (or creation + N days) with whether it then reached the
-- outcome stage (METRICS.md, "Scoring", threshold backtest).
--
-- Grain: one row per lead, in scored_at order. A lead is in when it was
-- scored (score_at in base.sql: at_mode 'handoff' or 'created') within
-- [$from, $to), its window has closed (scored_at + $window_seconds <=
-- $as_of, so the outcome is known), and it had not reached the outcome
-- stage at scored_at (a lead already there is no prediction). positive:
-- entered_at($outcome) after scored_at and within the window (skipped
-- stages count as passed, as in funnel). Scores are score's, from events
-- strictly before scored_at: nothing after it, outcome included, leaks in.
-- assigned: the lead was handed to someone at or before $as_of (the load
-- model scales history's load by the handed-off share).
-- Parameters: as score (rule lists, $at_mode, $at_days), $as_of, $from/$to
-- (on scored_at), $outcome ('mql', 'sql', 'opportunity' or 'customer'),
-- $window_seconds, $filter_dims/$filter_values (filter_map).
WITH scored AS (
    SELECT * FROM score_totals($as_of::TIMESTAMPTZ, $at_mode::VARCHAR, $at_days::DOUBLE,
        $fit_rule::VARCHAR[], $fit_points::DOUBLE[], $fit_size_min::DOUBLE[], $fit_size_max::DOUBLE[], $fit_title::VARCHAR[],
        $fit_in_rule::BIGINT[], $fit_in_dim::VARCHAR[], $fit_in_value::VARCHAR[],
        $eng_kind::VARCHAR[], $eng_points::DOUBLE[], $eng_half_life::DOUBLE[], $eng_max::DOUBLE[])
), judged AS (
    SELECT s.lead_id, s.scored_at, s.fit, s.engagement,
           CASE $outcome WHEN 'mql' THEN st.e_mql WHEN 'sql' THEN st.e_sql
                         WHEN 'opportunity' THEN st.e_opportunity WHEN 'customer' THEN st.e_customer END AS reached_at
    FROM scored s
    LEFT JOIN lead_stages($as_of::TIMESTAMPTZ) st USING (lead_id)
    WHERE in_period(s.scored_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
      AND s.scored_at + to_seconds($window_seconds::BIGINT) <= $as_of::TIMESTAMPTZ
)
SELECT j.lead_id, d.source, j.scored_at,
       round(j.fit + j.engagement, 4) AS total,
       j.lead_id IN (SELECT lead_id FROM assignments WHERE assigned_at <= $as_of::TIMESTAMPTZ) AS assigned,
       j.reached_at IS NOT NULL AND seconds_between(j.scored_at, j.reached_at) <= $window_seconds::BIGINT AS positive
FROM judged j JOIN lead_dims() d USING (lead_id)
WHERE (j.reached_at IS NULL OR j.reached_at > j.scored_at)
  AND dims_pass(filter_map($filter_dims::VARCHAR[], $filter_values::VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry, d.owner_id, d.owner, d.team)
ORDER BY j.scored_at, j.lead_id;
