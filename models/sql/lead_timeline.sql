-- lead_timeline: what happened to one lead, newest first: its stage
-- changes, assignments (the owner history), activities (marketing's
-- engagement and sales' touches) and dispositions, each as one row.
--
-- Grain: one row per event at or before $as_of, newest first (then kind),
-- at most $limit rows of each kind of event.
-- kind: stage, assignment, activity, disposition. what: the stage, the
-- owner's name (else id), the activity kind, the outcome. detail: the
-- rule and reason, the activity's channel and detail (a page, a content
-- piece, an e-mail), the rejection reason. role: the actor's role for an
-- activity (marketing, sales, system).
-- Parameters: $as_of, $lead_id, $limit.
WITH events AS (
    SELECT changed_at AS t, 'stage' AS kind, stage AS what, NULL AS detail, NULL AS role, actor_id AS actor
    FROM stage_changes WHERE lead_id = $lead_id::VARCHAR AND changed_at <= $as_of::TIMESTAMPTZ
    UNION ALL
    SELECT a.assigned_at, 'assignment', owner_name(a.owner_id, u.name),
           concat_ws(': ', nullif(a.rule, ''), nullif(a.reason, '')), NULL, a.owner_id
    FROM assignments a LEFT JOIN users u ON u.user_id = a.owner_id
    WHERE a.lead_id = $lead_id::VARCHAR AND a.assigned_at <= $as_of::TIMESTAMPTZ
    UNION ALL
    SELECT occurred_at, 'activity', kind, concat_ws(' ', nullif(channel, ''), nullif(detail, '')), actor_role, actor_id
    FROM activities WHERE lead_id = $lead_id::VARCHAR AND occurred_at <= $as_of::TIMESTAMPTZ
    UNION ALL
    SELECT decided_at, 'disposition', outcome, nullif(reason, ''), NULL, owner_id
    FROM dispositions WHERE lead_id = $lead_id::VARCHAR AND decided_at <= $as_of::TIMESTAMPTZ
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY kind, role ORDER BY t DESC) AS n FROM events
)
SELECT t AS "at", kind, what, detail, role, actor
FROM ranked WHERE n <= $limit::BIGINT
ORDER BY t DESC, kind;
