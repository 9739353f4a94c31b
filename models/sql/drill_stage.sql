-- drill_stage: the leads behind a stage count: entered_at($stage) in
-- [$from, $to) (skipped stages count as passed, as in funnel). $stage
-- 'lead' lists a funnel cohort; 'mql' the overview's MQLs and its
-- MQL -> SQL conversion; 'sql' its SQLs.
--
-- Grain: one row per lead, newest entry first; columns as drill_created.
-- event_at: entered_at($stage). outcome: the next stage reached within
-- $window_seconds ('reached sql'), else 'not yet' while the window is still
-- running at $as_of, else 'did not reach sql'; for $stage 'sql' the next
-- stage is opportunity. minutes: from entering $stage to the next stage,
-- when reached within the window.
-- Parameters: $as_of, $from/$to, $stage, $window_seconds, $filters.
WITH s AS (
    SELECT lead_id,
           CASE $stage WHEN 'lead' THEN e_lead WHEN 'mql' THEN e_mql WHEN 'sql' THEN e_sql END AS entered,
           CASE $stage WHEN 'lead' THEN e_mql WHEN 'mql' THEN e_sql WHEN 'sql' THEN e_opportunity END AS next_at,
           CASE $stage WHEN 'lead' THEN 'mql' WHEN 'mql' THEN 'sql' WHEN 'sql' THEN 'opportunity' END AS next_stage
    FROM lead_stages($as_of::TIMESTAMPTZ)
), kept AS (
    SELECT d.lead_id, d.company, d.source, d.campaign, d.segment, d.region, d.owner, d.team, d.stage,
           s.entered AS event_at, s.next_stage,
           CASE WHEN s.next_at IS NOT NULL AND seconds_between(s.entered, s.next_at) <= $window_seconds::BIGINT
                THEN seconds_between(s.entered, s.next_at) / 60 END AS minutes,
           s.entered + to_seconds($window_seconds::BIGINT) > $as_of::TIMESTAMPTZ AS running
    FROM s JOIN drill_dims($as_of::TIMESTAMPTZ) d USING (lead_id)
    WHERE s.entered IS NOT NULL
      AND in_period(s.entered, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
      AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry, d.owner_id, d.owner, d.team)
)
SELECT lead_id, company, source, campaign, segment, region, owner, team, stage, event_at,
       CASE WHEN minutes IS NOT NULL THEN 'reached ' || next_stage
            WHEN running THEN 'not yet'
            ELSE 'did not reach ' || next_stage END AS outcome,
       minutes, NULL::DOUBLE AS amount
FROM kept
ORDER BY event_at DESC, lead_id;
