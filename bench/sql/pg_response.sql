-- pg_response: models/sql/response.sql (speed to lead) for PostgreSQL 15
-- on the calendar clock, without breakdown or filters, so the two can be
-- timed on the same data and their rows compared one for one.
-- Same rules as sla_instances in models/sql/base.sql: each assignment at or
-- before the as-of time starts a clock for its owner; the next assignment
-- of the lead ends it; the first sales touch (call, email_sent, meeting,
-- sms, chat by a sales actor, or by an actor with no role who is a sales
-- user) in between stops it. Unstopped clocks are pending while younger
-- than the limit and not reassigned, else no_response.
-- Parameters: $1 as_of (timestamptz), $2 the first-touch limit in minutes.
WITH spans AS (
    SELECT lead_id, owner_id, assigned_at AS started_at,
           lead(assigned_at) OVER (PARTITION BY lead_id ORDER BY assigned_at) AS superseded_at
    FROM assignments
    WHERE assigned_at <= $1::timestamptz
), touches AS (
    SELECT a.lead_id, a.occurred_at AS at
    FROM activities a LEFT JOIN users u ON u.user_id = a.actor_id
    WHERE a.occurred_at <= $1::timestamptz
      AND a.kind IN ('call', 'email_sent', 'meeting', 'sms', 'chat')
      AND (a.actor_role = 'sales' OR (a.actor_role IS NULL AND u.role IN ('sdr', 'ae', 'manager')))
), stopped AS (
    SELECT sp.lead_id, sp.started_at, sp.superseded_at, min(t.at) AS stopped_at
    FROM spans sp LEFT JOIN touches t
      ON t.lead_id = sp.lead_id AND t.at >= sp.started_at
     AND (sp.superseded_at IS NULL OR t.at < sp.superseded_at)
    GROUP BY sp.lead_id, sp.owner_id, sp.started_at, sp.superseded_at
), measured AS (
    SELECT s.*,
           extract(epoch FROM coalesce(stopped_at, least(superseded_at, $1::timestamptz)) - started_at)::float8 / 60 AS elapsed_min
    FROM stopped s JOIN leads l ON l.lead_id = s.lead_id
), kept AS (
    SELECT *,
           stopped_at IS NULL AND elapsed_min <= $2::float8
               AND NOT (superseded_at IS NOT NULL AND superseded_at <= $1::timestamptz) AS pending
    FROM measured
)
SELECT count(stopped_at) AS n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY elapsed_min) FILTER (WHERE stopped_at IS NOT NULL) AS p50_minutes,
       percentile_cont(0.75) WITHIN GROUP (ORDER BY elapsed_min) FILTER (WHERE stopped_at IS NOT NULL) AS p75_minutes,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY elapsed_min) FILTER (WHERE stopped_at IS NOT NULL) AS p90_minutes,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY elapsed_min) FILTER (WHERE stopped_at IS NOT NULL) AS p99_minutes,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min < 5) AS lt_5m,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min >= 5 AND elapsed_min < 30) AS m5_30,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min >= 30 AND elapsed_min < 60) AS m30_60,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min >= 60 AND elapsed_min < 240) AS h1_4,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min >= 240 AND elapsed_min < 1440) AS h4_24,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min >= 1440 AND elapsed_min < 4320) AS d1_3,
       count(*) FILTER (WHERE stopped_at IS NOT NULL AND elapsed_min >= 4320) AS d3_plus,
       count(*) FILTER (WHERE stopped_at IS NULL AND pending) AS pending,
       count(*) FILTER (WHERE stopped_at IS NULL AND NOT pending) AS no_response
FROM kept;
