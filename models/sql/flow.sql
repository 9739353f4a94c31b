-- flow: stage entries per period (METRICS.md, "Funnel conversion", flow
-- view).
--
-- Grain: one row per period x stage (x breakdown value), for every stage
-- including disqualified, recycled and nurture.
-- entries: stage changes into the stage whose changed_at falls in the period
-- (cut in $tz with $grain) and at or before $as_of. Re-entries count; a
-- skipped stage has no entry. No ratio here is a conversion rate.
-- leads: distinct leads behind those entries.
-- Parameters: $as_of, $from/$to (on changed_at), $tz, $grain, $by, $filters.
SELECT strftime(period_start(c.changed_at, $grain, $tz), '%Y-%m-%d') AS period,
       dim_value($by, d.source, d.campaign, d.segment, d.region, d.industry, d.owner, d.team) AS dim,
       c.stage,
       count(*) AS entries,
       count(DISTINCT c.lead_id) AS leads
FROM stage_changes c JOIN lead_dims() d USING (lead_id)
WHERE c.changed_at <= $as_of::TIMESTAMPTZ
  AND in_period(c.changed_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
  AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry, d.owner_id, d.owner, d.team)
GROUP BY period, dim, c.stage
ORDER BY period, dim, stage_order(c.stage);
