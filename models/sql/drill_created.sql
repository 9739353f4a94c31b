-- drill_created: the leads behind sources' and overview's `leads`: created
-- in [$from, $to) and at or before $as_of.
--
-- Grain: one row per lead, newest first. Columns shared by every drill_*
-- model: lead_id, company, source, campaign, segment, region, owner, team,
-- stage (current stage at $as_of), event_at (the time that put the lead in the
-- list), outcome, minutes, amount. Here event_at is created_at and outcome the
-- current stage.
-- Parameters: $as_of, $from/$to, $filters.
SELECT lead_id, company, source, campaign, segment, region, owner, team, stage,
       created_at AS event_at, coalesce(stage, 'no stage yet') AS outcome,
       NULL::DOUBLE AS minutes, NULL::DOUBLE AS amount
FROM drill_dims($as_of::TIMESTAMPTZ)
WHERE created_at <= $as_of::TIMESTAMPTZ
  AND in_period(created_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
  AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), source, campaign, segment, region, industry, owner_id, owner, team)
ORDER BY event_at DESC, lead_id;
