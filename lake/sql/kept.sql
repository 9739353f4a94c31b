-- kept: what every report used to work out per lead on every run, defined
-- once here. The lake builds each of the kept_* tables at commit by calling
-- its macro with as_of = infinity and writes it as Parquet beside the
-- canonical tables (lake.Kept); lake.Open makes the same macros on every
-- reader, so a model can compute a kept table as of an earlier instant for
-- the leads where the stored one does not hold.
--
-- Created on a connection whose canonical tables (leads, stage_changes,
-- activities, assignments, dispositions, users) are views. Plain SQL:
-- another engine reads the Parquet files and can express these as views.

-- stage_order: the funnel order of a stage; ties at one instant go to the
-- later stage.
CREATE OR REPLACE MACRO stage_order(stage) AS
    list_position(['lead', 'mql', 'sql', 'opportunity', 'customer', 'disqualified', 'recycled', 'nurture'], stage);

-- is_queue is the one place that says what a queue is: a Salesforce Group,
-- whose ids start 00G, or a pool the importer marked "queue:" (such as a
-- HubSpot team holding a contact nobody owns).
CREATE OR REPLACE MACRO is_queue(owner_id) AS coalesce(owner_id LIKE '00G%' OR owner_id LIKE 'queue:%', false);

-- is_sales_touch: an activity that stops a response clock: a call,
-- e-mail, meeting, SMS or chat whose actor_role is 'sales', or whose
-- actor_role is missing and whose actor is a sales user (user_role, from
-- users: sdr, ae, manager).
CREATE OR REPLACE MACRO is_sales_touch(kind, actor_role, user_role) AS
    kind IN ('call', 'email_sent', 'meeting', 'sms', 'chat')
    AND (actor_role = 'sales' OR (actor_role IS NULL AND user_role IN ('sdr', 'ae', 'manager')));

-- lead_firsts: per lead with a stage change at or before as_of, the first
-- entry into each funnel stage (f_*), when it moved on from the first entry
-- into each open stage (left_*), and the current stage with the time it
-- was entered. A lead that goes back (sql -> recycled -> mql) keeps its
-- first entries. With late_only, only the leads that change stage again
-- after as_of: those for which the kept table does not hold as of as_of.
--
-- Kept as of infinity, a row holds as of any instant at or after its
-- current_since: every change of the lead is then in the past. (A left_*
-- holds as of any instant T once a value after T is read as missing.)
CREATE OR REPLACE MACRO lead_firsts(as_of, late_only) AS TABLE
    -- late_only is a constant at every call, so one branch is pruned
    WITH changes AS (
        SELECT lead_id, stage, changed_at FROM stage_changes
        WHERE NOT late_only AND changed_at <= as_of
        UNION ALL
        SELECT lead_id, stage, changed_at FROM stage_changes
        WHERE late_only AND changed_at <= as_of
          AND lead_id IN (SELECT lead_id FROM stage_changes WHERE changed_at > as_of)
    )
    , firsts AS (
        SELECT lead_id,
               min(changed_at) FILTER (WHERE stage = 'lead') AS f_lead,
               min(changed_at) FILTER (WHERE stage = 'mql') AS f_mql,
               min(changed_at) FILTER (WHERE stage = 'sql') AS f_sql,
               min(changed_at) FILTER (WHERE stage = 'opportunity') AS f_opportunity,
               min(changed_at) FILTER (WHERE stage = 'customer') AS f_customer,
               arg_max(stage, epoch_us(changed_at) * 16 + stage_order(stage)) AS current_stage,
               max(changed_at) AS current_since
        FROM changes
        GROUP BY lead_id
    )
    -- left_*: when the lead first moved on from its first entry into an
    -- open stage: its next change into any other stage.
    SELECT f.*,
           min(c.changed_at) FILTER (WHERE c.stage <> 'lead' AND c.changed_at > f.f_lead) AS left_lead,
           min(c.changed_at) FILTER (WHERE c.stage <> 'mql' AND c.changed_at > f.f_mql) AS left_mql,
           min(c.changed_at) FILTER (WHERE c.stage <> 'sql' AND c.changed_at > f.f_sql) AS left_sql,
           min(c.changed_at) FILTER (WHERE c.stage <> 'opportunity' AND c.changed_at > f.f_opportunity) AS left_opportunity
    FROM firsts f JOIN changes c USING (lead_id)
    GROUP BY ALL;

-- assignment_windows: per assignment at or before as_of, the window in
-- which it owns the lead and the first of each kind of event that can stop
-- its clocks inside that window (METRICS.md, "SLA compliance").
--   started_at:    when its clock starts: the assignment, or for a person
--                  who took the lead from a queue, when the lead entered
--                  the queue (queued_at), so the wait counts once, on the
--                  person's clock
--   superseded_at: the lead's next assignment
--   touched_at:    the first sales touch in [started_at, superseded_at)
--   decided_at:    the first accepted, rejected or unreachable decision
--   rejected_at:   the first rejection
-- Only events at or before as_of exist.
--
-- Kept as of infinity, a row holds as of any later instant T once a value
-- after T is read as missing: every column looks back from the assignment
-- except superseded_at and the three stops, and the first stop inside the
-- window, when it is at or before T, is also the first at or before T.
CREATE OR REPLACE MACRO assignment_windows(as_of) AS TABLE
    WITH asg AS (
        SELECT lead_id, owner_id, assigned_at,
               lead(assigned_at) OVER w AS superseded_at,
               is_queue(owner_id) AS is_queue,
               max(assigned_at) FILTER (WHERE NOT is_queue(owner_id))
                   OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_person_at
        FROM assignments
        WHERE assigned_at <= as_of
        WINDOW w AS (PARTITION BY lead_id ORDER BY assigned_at)
    ), queued AS (
        SELECT *,
               min(assigned_at) FILTER (WHERE is_queue)
                   OVER (PARTITION BY lead_id, coalesce(prev_person_at, '-infinity'::TIMESTAMPTZ) ORDER BY assigned_at
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS queued_at
        FROM asg
    ), spans AS (
        SELECT lead_id, owner_id, assigned_at, is_queue, superseded_at,
               CASE WHEN NOT is_queue THEN coalesce(queued_at, assigned_at) ELSE assigned_at END AS started_at,
               CASE WHEN NOT is_queue THEN queued_at END AS queued_at
        FROM queued
    ), touches AS (
        SELECT sp.lead_id, sp.assigned_at, min(a.occurred_at) AS touched_at
        FROM spans sp
        JOIN activities a ON a.lead_id = sp.lead_id AND a.occurred_at >= sp.started_at
         -- no OR here: DuckDB then turns the whole condition into a nested
         -- loop join (minutes at a million leads) instead of hashing lead_id
         AND a.occurred_at < coalesce(sp.superseded_at, 'infinity'::TIMESTAMPTZ)
        LEFT JOIN users u ON u.user_id = a.actor_id
        WHERE a.occurred_at <= as_of AND is_sales_touch(a.kind, a.actor_role, u.role)
        GROUP BY ALL
    ), decisions AS (
        SELECT sp.lead_id, sp.assigned_at,
               min(x.decided_at) FILTER (WHERE x.outcome IN ('accepted', 'rejected', 'unreachable')) AS decided_at,
               min(x.decided_at) FILTER (WHERE x.outcome = 'rejected') AS rejected_at
        FROM spans sp
        JOIN dispositions x ON x.lead_id = sp.lead_id AND x.decided_at >= sp.started_at
         AND x.decided_at < coalesce(sp.superseded_at, 'infinity'::TIMESTAMPTZ)
        WHERE x.decided_at <= as_of
        GROUP BY ALL
    )
    SELECT sp.lead_id, sp.owner_id, sp.assigned_at, sp.is_queue, sp.started_at, sp.queued_at, sp.superseded_at,
           t.touched_at, d.decided_at, d.rejected_at
    FROM spans sp
    LEFT JOIN touches t USING (lead_id, assigned_at)
    LEFT JOIN decisions d USING (lead_id, assigned_at);

-- mql_stops: per lead that reached mql (a skipped mql counts: the first of
-- its later stages) at or before as_of, the first of each kind of event
-- that can stop a clock started by the MQL, at or after it (touched_at,
-- decided_at, rejected_at as in assignment_windows). Only events at or
-- before as_of exist.
--
-- Kept as of infinity, a row holds as of T for a lead whose current_since
-- (lead_firsts) is at or before T, once a stop after T is read as missing:
-- its MQL time is then the same.
CREATE OR REPLACE MACRO mql_stops(as_of) AS TABLE
    WITH mqls AS (
        SELECT lead_id, coalesce(f_mql, f_sql, f_opportunity, f_customer) AS mql_at
        FROM lead_firsts(as_of, false)
        WHERE coalesce(f_mql, f_sql, f_opportunity, f_customer) IS NOT NULL
    ), touches AS (
        SELECT m.lead_id, min(a.occurred_at) AS touched_at
        FROM mqls m
        JOIN activities a ON a.lead_id = m.lead_id AND a.occurred_at >= m.mql_at
        LEFT JOIN users u ON u.user_id = a.actor_id
        WHERE a.occurred_at <= as_of AND is_sales_touch(a.kind, a.actor_role, u.role)
        GROUP BY ALL
    ), decisions AS (
        SELECT m.lead_id,
               min(x.decided_at) FILTER (WHERE x.outcome IN ('accepted', 'rejected', 'unreachable')) AS decided_at,
               min(x.decided_at) FILTER (WHERE x.outcome = 'rejected') AS rejected_at
        FROM mqls m
        JOIN dispositions x ON x.lead_id = m.lead_id AND x.decided_at >= m.mql_at
        WHERE x.decided_at <= as_of
        GROUP BY ALL
    )
    SELECT m.lead_id, m.mql_at, t.touched_at, d.decided_at, d.rejected_at
    FROM mqls m
    LEFT JOIN touches t USING (lead_id)
    LEFT JOIN decisions d USING (lead_id);
