-- drill_handed_off: the leads behind quality: first assigned in
-- [$from, $to), with sales' first verdict on them (handoff_decisions in
-- base.sql).
--
-- Grain: one row per lead, newest handoff first; columns as drill_created.
-- owner and team: who decided, else the first assignee (as in quality).
-- event_at: the first assignment. outcome: the disposition ('rejected: No
-- budget' with its reason), or 'no decision yet'. minutes: from the first
-- assignment to the disposition.
-- Parameters: $as_of, $from/$to, $filters.
SELECT h.lead_id, d.company, h.source, h.campaign, h.segment, h.region, h.owner, h.team, d.stage,
       h.assigned_at AS event_at,
       CASE WHEN h.decided_at IS NULL THEN 'no decision yet'
            WHEN h.outcome = 'rejected' THEN 'rejected: ' || blank(h.reason)
            ELSE h.outcome END AS outcome,
       seconds_between(h.assigned_at, h.decided_at) / 60 AS minutes, NULL::DOUBLE AS amount
FROM handoff_decisions($as_of::TIMESTAMPTZ, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ) h
JOIN drill_dims($as_of::TIMESTAMPTZ) d USING (lead_id)
WHERE dims_pass($filters::MAP(VARCHAR, VARCHAR[]), h.source, h.campaign, h.segment, h.region, h.industry, h.owner_id, h.owner, h.team)
ORDER BY event_at DESC, lead_id;
