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
-- Rows: handoff_decisions in base.sql, shared with drill_handed_off.
-- Parameters: $as_of, $from/$to (on the first assignment), $by, $filters.
WITH rows AS (
    SELECT * FROM handoff_decisions($as_of::TIMESTAMPTZ, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
)
SELECT dim_value($by, source, campaign, segment, region, industry, owner, team, score_band := score_band) AS dim,
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
