-- leaks: the MQLs that fell through a crack in the handoff, per crack and
-- period, with the revenue at risk (docs/reports.md, "leaks").
--
-- Grain: one row per period x crack (x breakdown value), every crack on
-- every period that has MQLs, so a crack nobody fell into reads 0.
-- The population is the MQLs (entered_at(mql) <= $as_of; a skipped mql
-- counts), cut into periods by entered_at(mql) in $tz with $grain; $from
-- and $to bound entered_at(mql). Each MQL is in at most one crack, the
-- first it fell into (leak_cases in base.sql defines the cracks, their
-- limits and their order), so a period's cracks add up to its leaks.
-- leads: MQLs in the crack. mqls: the period's MQLs (in the breakdown
-- group). share = leads / mqls. recovered: of leads, those whose missing
-- step came late (still leaks, shown as recovered).
-- revenue_at_risk: the sum over the crack's leads of their source's
-- MQL -> customer rate x average won amount (both as of $as_of), over the
-- leads whose source has a won deal; unknown_value_leads counts the rest.
-- NULL (unknown, never 0) when every lead in the crack is of such a
-- source; 0 when the crack is empty.
-- Breakdowns: source, campaign, segment, region, industry of the lead;
-- owner and team of the handoff owner (else the lead's owner).
-- Parameters: $as_of, $from/$to, $tz, $grain, $by, $filters, and the
-- limits $handoff_seconds, $touch_seconds, $disposition_workdays,
-- $recycle_seconds, $duplicate_seconds, $stuck_limits (MAP stage -> hours).
WITH cases AS (
    SELECT c.*, d.source, d.campaign, d.segment, d.region, d.industry,
           coalesce(c.handoff_owner_id, d.owner_id) AS owner_id,
           blank(owner_name(coalesce(c.handoff_owner_id, d.owner_id), u.name)) AS owner, blank(owner_team(coalesce(c.handoff_owner_id, d.owner_id), u.team)) AS team
    FROM leak_cases($as_of::TIMESTAMPTZ, $handoff_seconds::DOUBLE, $touch_seconds::DOUBLE, $disposition_workdays::DOUBLE,
                    $recycle_seconds::DOUBLE, $duplicate_seconds::DOUBLE, $stuck_limits::MAP(VARCHAR, DOUBLE)) c
    JOIN lead_dims() d USING (lead_id)
    LEFT JOIN users u ON u.user_id = coalesce(c.handoff_owner_id, d.owner_id)
    WHERE in_period(c.mql_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
), kept AS (
    SELECT strftime(period_start(mql_at, $grain, $tz), '%Y-%m-%d') AS period,
           dim_value($by, source, campaign, segment, region, industry, owner, team) AS dim,
           crack, recovered_at, value
    FROM cases
    WHERE dims_pass($filters::MAP(VARCHAR, VARCHAR[]), source, campaign, segment, region, industry, owner_id, owner, team)
), totals AS (
    SELECT period, dim, count(*) AS mqls FROM kept GROUP BY ALL
), grouped AS (
    SELECT period, dim, crack, count(*) AS leads, count(recovered_at) AS recovered,
           sum(value) AS revenue, count(*) FILTER (WHERE value IS NULL) AS unknown_value_leads
    FROM kept WHERE crack IS NOT NULL
    GROUP BY ALL
), cracks(crack, ord) AS (
    VALUES ('never_handed_off', 1), ('inactive_owner', 2), ('never_touched', 3), ('never_dispositioned', 4),
           ('rejected_without_reason', 5), ('stuck', 6), ('recycled_forgotten', 7), ('duplicate', 8)
)
SELECT t.period, t.dim, k.crack,
       coalesce(g.leads, 0) AS leads,
       t.mqls,
       coalesce(g.leads, 0) / t.mqls AS share,
       coalesce(g.recovered, 0) AS recovered,
       CASE WHEN g.leads IS NULL THEN 0 ELSE g.revenue END AS revenue_at_risk,
       coalesce(g.unknown_value_leads, 0) AS unknown_value_leads
FROM totals t CROSS JOIN cracks k
LEFT JOIN grouped g ON g.period = t.period AND g.dim IS NOT DISTINCT FROM t.dim AND g.crack = k.crack
ORDER BY t.period, t.dim, k.ord;
