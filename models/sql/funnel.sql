-- funnel: cohort conversion between funnel stages (METRICS.md, "Funnel
-- conversion", cohort view).
--
-- Grain: one row per cohort period x step (x breakdown value).
-- Cohort: the period of entered_at(lead), cut in $tz with $grain (day, week
-- starting Monday, month, quarter). Steps: lead->mql, mql->sql,
-- sql->opportunity, opportunity->customer, and lead->customer overall.
-- reached_from: cohort leads that reached the step's first stage by $as_of.
-- reached_to: of those, the leads that reached the second stage no later
-- than $window_seconds after entered_at(first stage). rate = reached_to /
-- reached_from, NULL when reached_from is 0.
-- open: the end of the cohort's period plus the window lies after $as_of,
-- so the rate can still rise.
-- Skipped stages count as passed, entered when the next stage reached was;
-- a backwards move keeps the first entry times (lead_stages in base.sql).
-- Parameters: $as_of (TIMESTAMPTZ), $from/$to (TIMESTAMPTZ or NULL, on
-- entered_at(lead)), $tz, $grain, $window_seconds (BIGINT), $by, $filters.
-- Leads with no stage change at or before $as_of are in no cohort.
WITH cohort_leads AS (
    SELECT s.*, d.*, period_start(s.e_lead, $grain, $tz) AS cohort_start
    FROM lead_stages($as_of::TIMESTAMPTZ) s JOIN lead_dims() d USING (lead_id)
    WHERE s.e_lead IS NOT NULL
      AND in_period(s.e_lead, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
      AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry, d.owner_id, d.owner, d.team)
), steps(step, from_stage, to_stage) AS (
    VALUES (1, 'lead', 'mql'), (2, 'mql', 'sql'), (3, 'sql', 'opportunity'),
           (4, 'opportunity', 'customer'), (5, 'lead', 'customer')
), pairs AS (
    SELECT c.cohort_start,
           dim_value($by, c.source, c.campaign, c.segment, c.region, c.industry, c.owner, c.team, score_band := c.score_band) AS dim,
           st.step, st.from_stage, st.to_stage,
           CASE st.from_stage WHEN 'lead' THEN c.e_lead WHEN 'mql' THEN c.e_mql
                WHEN 'sql' THEN c.e_sql WHEN 'opportunity' THEN c.e_opportunity END AS from_at,
           CASE st.to_stage WHEN 'mql' THEN c.e_mql WHEN 'sql' THEN c.e_sql
                WHEN 'opportunity' THEN c.e_opportunity WHEN 'customer' THEN c.e_customer END AS to_at
    FROM cohort_leads c CROSS JOIN steps st
)
SELECT strftime(cohort_start, '%Y-%m-%d') AS cohort,
       dim,
       from_stage,
       to_stage,
       count(from_at) AS reached_from,
       count(*) FILTER (WHERE from_at IS NOT NULL AND to_at IS NOT NULL
                          AND seconds_between(from_at, to_at) <= $window_seconds::BIGINT) AS reached_to,
       reached_to / nullif(reached_from, 0) AS rate,
       period_end_utc(cohort_start, $grain, $tz) + to_seconds($window_seconds::BIGINT) > $as_of::TIMESTAMPTZ AS open
FROM pairs
GROUP BY cohort_start, dim, step, from_stage, to_stage
ORDER BY cohort_start, dim, step;
