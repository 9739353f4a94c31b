-- drill_opportunity: the opportunities behind pipeline ($won_only false:
-- created in [$from, $to)) and won revenue ($won_only true: won and closed
-- in [$from, $to)), both at or before $as_of and tied to a lead.
--
-- Grain: one row per opportunity, largest first; columns as drill_created.
-- event_at: created_at (pipeline) or closed_at (won). outcome: open, won or
-- lost as of $as_of (the exported stage is the latest, not as of then). amount: its amount.
-- Parameters: $as_of, $from/$to, $won_only, $filters.
SELECT o.lead_id, d.company, d.source, d.campaign, d.segment, d.region, d.owner, d.team, d.stage,
       CASE WHEN $won_only::BOOLEAN THEN o.closed_at ELSE o.created_at END AS event_at,
       CASE WHEN o.closed_at IS NULL OR o.closed_at > $as_of::TIMESTAMPTZ THEN 'open'
            WHEN o.won THEN 'won' ELSE 'lost' END AS outcome,
       NULL::DOUBLE AS minutes, CAST(o.amount AS DOUBLE) AS amount
FROM opportunities o JOIN drill_dims($as_of::TIMESTAMPTZ) d USING (lead_id)
WHERE CASE WHEN $won_only::BOOLEAN
           THEN o.won AND o.closed_at <= $as_of::TIMESTAMPTZ AND in_period(o.closed_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
           ELSE o.created_at <= $as_of::TIMESTAMPTZ AND in_period(o.created_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ) END
  AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry, d.owner_id, d.owner, d.team)
ORDER BY amount DESC NULLS LAST, event_at, lead_id;
