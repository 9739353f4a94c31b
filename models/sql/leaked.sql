-- leaked: the leads behind the leaks report, one row per MQL that fell
-- through a crack, with the evidence that put it there (docs/reports.md,
-- "leaked").
--
-- Grain: one row per leaked lead, in the order they fell (crack_at, then
-- lead_id). Population, cracks, periods, breakdown values and value as in
-- leaks.sql. $what narrows to one crack ('' for all). age_days: days from
-- entered_at(mql) to $as_of. revenue_at_risk: the lead's own value (NULL:
-- its source has no won deal). evidence: the timestamps, in UTC.
-- Parameters: as leaks.sql, plus $what.
SELECT c.lead_id, l.company, c.crack,
       c.mql_at, c.crack_at,
       seconds_between(c.mql_at, $as_of::TIMESTAMPTZ) / 86400 AS age_days,
       blank(owner_name(coalesce(c.handoff_owner_id, d.owner_id), u.name)) AS owner, blank(owner_team(coalesce(c.handoff_owner_id, d.owner_id), u.team)) AS team,
       d.source, d.campaign, d.segment,
       c.recovered_at IS NOT NULL AS recovered, c.recovered_at,
       c.value AS revenue_at_risk,
       c.evidence
FROM leak_cases($as_of::TIMESTAMPTZ, $handoff_seconds::DOUBLE, $touch_seconds::DOUBLE, $disposition_workdays::DOUBLE,
                $recycle_seconds::DOUBLE, $duplicate_seconds::DOUBLE, $stuck_limits::MAP(VARCHAR, DOUBLE)) c
JOIN lead_dims() d USING (lead_id)
JOIN leads l USING (lead_id)
LEFT JOIN users u ON u.user_id = coalesce(c.handoff_owner_id, d.owner_id)
WHERE c.crack IS NOT NULL
  AND ($what = '' OR c.crack = $what)
  AND in_period(c.mql_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
  AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry,
                coalesce(c.handoff_owner_id, d.owner_id), blank(owner_name(coalesce(c.handoff_owner_id, d.owner_id), u.name)), blank(owner_team(coalesce(c.handoff_owner_id, d.owner_id), u.team)))
ORDER BY c.crack_at, c.lead_id;
