-- quality: what sales decided about the leads marketing handed off
-- (METRICS.md, "Lead quality feedback").
--
-- Grain: one row per breakdown value (one row without a breakdown).
-- handed_off: leads with an assignment at or before $as_of whose first
-- assignment falls in the period. A lead's disposition is its first
-- disposition at or after its first assignment (choice: the verdict on the
-- handoff; a later one after recycling is a new story). dispositioned:
-- handed-off leads with such a disposition; accepted, rejected,
-- unreachable, recycled split it. acceptance_rate = accepted /
-- dispositioned. Hours to disposition from the first assignment, p50 and
-- p90 (quantile_cont).
-- Breakdowns: owner and team are the owner who decided (the disposition's
-- owner, else the first assignee), not the lead's current owner.
-- Parameters: $as_of, $from/$to (on the first assignment), $by, $filters.
WITH handed AS (
    SELECT lead_id, min(assigned_at) AS assigned_at, arg_min(owner_id, assigned_at) AS assignee
    FROM assignments WHERE assigned_at <= $as_of::TIMESTAMPTZ
    GROUP BY lead_id
), decided AS (
    SELECT h.lead_id, h.assigned_at, h.assignee,
           arg_min(x.outcome, x.decided_at) AS outcome,
           arg_min(x.owner_id, x.decided_at) AS decider,
           min(x.decided_at) AS decided_at
    FROM handed h LEFT JOIN dispositions x
      ON x.lead_id = h.lead_id AND x.decided_at >= h.assigned_at AND x.decided_at <= $as_of::TIMESTAMPTZ
    WHERE in_period(h.assigned_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
    GROUP BY ALL
), rows AS (
    SELECT dc.*, d.source, d.campaign, d.segment, d.region, d.industry,
           coalesce(dc.decider, dc.assignee) AS owner_id,
           blank(coalesce(u.name, dc.decider, dc.assignee)) AS owner, blank(u.team) AS team
    FROM decided dc JOIN lead_dims() d USING (lead_id)
    LEFT JOIN users u ON u.user_id = coalesce(dc.decider, dc.assignee)
)
SELECT dim_value($by, source, campaign, segment, region, industry, owner, team) AS dim,
       count(*) AS handed_off,
       count(decided_at) AS dispositioned,
       count(*) FILTER (WHERE outcome = 'accepted') AS accepted,
       count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
       count(*) FILTER (WHERE outcome = 'unreachable') AS unreachable,
       count(*) FILTER (WHERE outcome = 'recycled') AS recycled,
       count(*) FILTER (WHERE outcome = 'accepted') / nullif(count(decided_at), 0) AS acceptance_rate,
       quantile_cont(seconds_between(assigned_at, decided_at) / 3600, 0.5) AS p50_hours_to_disposition,
       quantile_cont(seconds_between(assigned_at, decided_at) / 3600, 0.9) AS p90_hours_to_disposition
FROM rows
WHERE dims_pass($filters::MAP(VARCHAR, VARCHAR[]), source, campaign, segment, region, industry, owner_id, owner, team)
GROUP BY dim
ORDER BY dim;
