-- rejection_reasons: why sales rejected handed-off leads, ranked
-- (METRICS.md, "Lead quality feedback").
--
-- Grain: one row per reason (x breakdown value); a missing reason is
-- '(blank)'. Counts rejected dispositions at or before $as_of whose
-- decided_at falls in the period (choice: every rejection counts, including
-- one after a recycled lead came back). share = rejected / all rejections
-- of the same breakdown value. Ranked by count, then reason.
-- Breakdown owner and team: the owner who rejected.
-- Parameters: $as_of, $from/$to (on decided_at), $by, $filters.
WITH rejections AS (
    SELECT blank(x.reason) AS reason, d.source, d.campaign, d.segment, d.region, d.industry,
           x.owner_id, blank(owner_name(x.owner_id, u.name)) AS owner, blank(owner_team(x.owner_id, u.team)) AS team
    FROM dispositions x JOIN lead_dims() d USING (lead_id)
    LEFT JOIN users u ON u.user_id = x.owner_id
    WHERE x.outcome = 'rejected' AND x.decided_at <= $as_of::TIMESTAMPTZ
      AND in_period(x.decided_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
), counted AS (
    SELECT dim_value($by, source, campaign, segment, region, industry, owner, team) AS dim,
           reason, count(*) AS rejected
    FROM rejections
    WHERE dims_pass($filters::MAP(VARCHAR, VARCHAR[]), source, campaign, segment, region, industry, owner_id, owner, team)
    GROUP BY ALL
)
SELECT dim, reason, rejected,
       rejected / sum(rejected) OVER (PARTITION BY dim) AS share
FROM counted
ORDER BY dim, rejected DESC, reason;
