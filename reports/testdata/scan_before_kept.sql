-- lead_stages and sla_instances as they were before the lake kept
-- per-lead tables (models/sql/base.sql at commit 33e87af), renamed: every
-- stage change, activity and disposition read on every call. They were
-- checked against the hand-worked fixtures of testdata/reports; the kept
-- versions must give the same rows as of any instant (kept_test.go).

CREATE OR REPLACE MACRO scan_lead_stages(as_of) AS TABLE
    WITH firsts AS (
        SELECT lead_id,
               min(changed_at) FILTER (WHERE stage = 'lead') AS f_lead,
               min(changed_at) FILTER (WHERE stage = 'mql') AS f_mql,
               min(changed_at) FILTER (WHERE stage = 'sql') AS f_sql,
               min(changed_at) FILTER (WHERE stage = 'opportunity') AS f_opportunity,
               min(changed_at) FILTER (WHERE stage = 'customer') AS f_customer,
               -- ties at one instant go to the later stage in stage_order
               arg_max(stage, epoch_us(changed_at) * 16 + stage_order(stage)) AS current_stage,
               max(changed_at) AS current_since
        FROM stage_changes
        WHERE changed_at <= as_of
        GROUP BY lead_id
    )
    SELECT *,
           coalesce(f_lead, f_mql, f_sql, f_opportunity, f_customer) AS e_lead,
           coalesce(f_mql, f_sql, f_opportunity, f_customer) AS e_mql,
           coalesce(f_sql, f_opportunity, f_customer) AS e_sql,
           coalesce(f_opportunity, f_customer) AS e_opportunity,
           f_customer AS e_customer
    FROM firsts;

CREATE OR REPLACE MACRO scan_sla_instances(as_of, start_event, stop_event, clock, limit_minutes, limit_workdays) AS TABLE
    -- A queue is not a person: time a lead spends in a queue (a Salesforce
    -- Group, ids 00G…) before a person takes it counts on that person's
    -- clock, which starts when the lead entered the queue (queued_at);
    -- the queue's own clock is then carried over, not counted twice. A
    -- lead still in its queue keeps a clock of the queue's own.
    WITH asg AS (
        SELECT lead_id, owner_id, assigned_at,
               lead(assigned_at) OVER w AS superseded_at,
               is_queue(owner_id) AS is_queue,
               max(assigned_at) FILTER (WHERE NOT is_queue(owner_id))
                   OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_person_at
        FROM assignments
        WHERE start_event = 'assignment' AND assigned_at <= as_of
        WINDOW w AS (PARTITION BY lead_id ORDER BY assigned_at)
    ), queued AS (
        SELECT *,
               min(assigned_at) FILTER (WHERE is_queue)
                   OVER (PARTITION BY lead_id, coalesce(prev_person_at, '-infinity'::TIMESTAMPTZ) ORDER BY assigned_at
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS queued_at
        FROM asg
    ), spans AS (
        SELECT lead_id, owner_id,
               CASE WHEN NOT is_queue THEN coalesce(queued_at, assigned_at) ELSE assigned_at END AS started_at,
               superseded_at,
               CASE WHEN NOT is_queue THEN queued_at END AS queued_at,
               is_queue AND superseded_at IS NOT NULL AS carried
        FROM queued
        UNION ALL
        SELECT s.lead_id, l.owner_id, s.e_mql, NULL, NULL, false
        FROM scan_lead_stages(as_of) s JOIN leads l USING (lead_id)
        WHERE start_event = 'mql' AND s.e_mql IS NOT NULL
    ), stop_events AS (
        SELECT lead_id, occurred_at AS at FROM sales_touches(as_of)
        WHERE stop_event = 'first_sales_touch'
        UNION ALL
        SELECT lead_id, decided_at FROM dispositions
        WHERE decided_at <= as_of
          AND ((stop_event = 'disposition' AND outcome IN ('accepted', 'rejected', 'unreachable'))
            OR (stop_event = 'sql_or_rejection' AND outcome = 'rejected'))
        UNION ALL
        SELECT lead_id, e_sql FROM scan_lead_stages(as_of)
        WHERE stop_event = 'sql_or_rejection' AND e_sql IS NOT NULL
    ), stopped AS (
        SELECT sp.lead_id, sp.owner_id, sp.started_at, sp.superseded_at, sp.queued_at, sp.carried, min(ev.at) AS stopped_at
        FROM spans sp LEFT JOIN stop_events ev
          ON ev.lead_id = sp.lead_id AND ev.at >= sp.started_at
         -- no OR here: DuckDB then turns the whole condition into a nested
         -- loop join (minutes at a million leads) instead of hashing lead_id
         AND ev.at < coalesce(sp.superseded_at, 'infinity'::TIMESTAMPTZ)
        GROUP BY ALL
    ), clocked AS (
        SELECT s.*, coalesce(s.stopped_at, least(s.superseded_at, as_of)) AS clock_end,
               CASE WHEN clock = 'business' AND limit_workdays IS NOT NULL
                    THEN limit_workdays * (coalesce(h.we, 1020) - coalesce(h.ws, 540))
                    ELSE limit_minutes END AS limit_min,
               coalesce(h.tz, 'UTC') AS tz, coalesce(h.d1, 1) AS d1, coalesce(h.d2, 5) AS d2,
               coalesce(h.ws, 540) AS ws, coalesce(h.we, 1020) AS we
        FROM stopped s LEFT JOIN user_hours() h ON h.user_id = s.owner_id
    ), localized AS (
        SELECT *,
               CASE WHEN clock = 'business' THEN started_at AT TIME ZONE tz END AS local_start,
               CASE WHEN clock = 'business' THEN clock_end AT TIME ZONE tz END AS local_end
        FROM clocked
    -- Each instant is converted to local time once, in its own step: when
    -- the conversion sat inside work_clock, a caller's filter on status
    -- copied it into every place it names elapsed_min (16 s instead of 3 s
    -- at a million leads).
    ), measured AS (
        SELECT lead_id, owner_id, started_at, superseded_at, stopped_at, clock_end, limit_min, queued_at, carried,
               CASE WHEN clock = 'business'
                    THEN work_clock(local_end, d1, d2, ws, we) - work_clock(local_start, d1, d2, ws, we)
                    ELSE seconds_between(started_at, clock_end) / 60 END AS elapsed_min
        FROM localized
    )
    SELECT * EXCLUDE (carried),
           CASE WHEN carried THEN 'superseded'
                WHEN stopped_at IS NOT NULL AND elapsed_min <= limit_min THEN 'met'
                WHEN elapsed_min > limit_min THEN 'breached'
                WHEN superseded_at IS NOT NULL AND superseded_at <= as_of THEN 'superseded'
                ELSE 'pending' END AS status,
           greatest(elapsed_min - limit_min, 0) AS late_min
    FROM measured;
