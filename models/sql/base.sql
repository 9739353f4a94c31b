-- base: macros every model shares. Not a report itself.
--
-- Run once on each lake connection (models.Prepare) before any model. Each
-- macro is plain SQL so other engines can express it as a view or a CTE.
--
-- Conventions fixed here (METRICS.md, "Conventions for every report"):
--   * A group with no value is '(blank)', distinct from a literal 'unknown'.
--   * segment is the company-size band: smb (< 100 employees), mid_market
--     (100-999), enterprise (1000+); an unknown size is '(blank)'.
--   * owner is the owner's name from users, or the owner id when users does
--     not know it; a filter on owner matches either the name or the id.
--   * A sales touch is an activity of kind call, email_sent, meeting, sms or
--     chat whose actor_role is 'sales', or whose actor_role is missing and
--     whose actor is a sales user (sdr, ae, manager) in users.
--   * Working hours come from users.working_hours ("Mon-Fri 09:00-17:00")
--     and users.timezone; a missing or unreadable value falls back to
--     Mon-Fri 09:00-17:00 in UTC. Day ranges do not wrap past Sunday.

-- lead_bands: each lead's score band, the quadrant of its score at
-- handoff under the scoring rules in force (scoring.PrepareBands fills it
-- when a report is broken down by score_band). Empty without rules: every
-- lead is then 'unscored'.
CREATE TABLE IF NOT EXISTS lead_bands (lead_id VARCHAR, score_band VARCHAR);

CREATE OR REPLACE MACRO blank(v) AS coalesce(nullif(trim(CAST(v AS VARCHAR)), ''), '(blank)');

CREATE OR REPLACE MACRO segment_of(size) AS
    CASE WHEN size IS NULL THEN NULL
         WHEN size < 100 THEN 'smb'
         WHEN size < 1000 THEN 'mid_market'
         ELSE 'enterprise' END;

-- stage_order, is_queue and is_sales_touch come with the lake (lake/sql/
-- kept.sql): its kept tables are built with them.

-- seconds_between: the seconds from instant a to instant b. Subtracting
-- two TIMESTAMPTZ values goes through ICU's calendar and costs about 8 s per
-- million rows; the difference of their microsecond epochs is exact and
-- about 20 times faster.
CREATE OR REPLACE MACRO seconds_between(a, b) AS (epoch_us(b) - epoch_us(a)) / 1000000;

-- in_period: x inside [from, to); a NULL bound is open.
CREATE OR REPLACE MACRO in_period(x, p_from, p_to) AS
    (p_from IS NULL OR x >= p_from) AND (p_to IS NULL OR x < p_to);

-- period_start: the local start of the period holding instant x, as a
-- TIMESTAMP in zone tz. DuckDB's week starts on Monday (ISO).
CREATE OR REPLACE MACRO period_start(x, grain, tz) AS date_trunc(grain, x AT TIME ZONE tz);

-- period_end_utc: the instant the local period starting at p ends.
CREATE OR REPLACE MACRO period_end_utc(p, grain, tz) AS
    timezone(tz, p + CASE grain WHEN 'day' THEN INTERVAL 1 DAY
                                WHEN 'week' THEN INTERVAL 7 DAY
                                WHEN 'month' THEN INTERVAL 1 MONTH
                                WHEN 'quarter' THEN INTERVAL 3 MONTH
                                ELSE INTERVAL 1 YEAR END);

-- owner_name: an owner as people read it: the user's name; a queue
-- (is_queue) is labelled a queue rather than passed off as a person; else
-- the id. owner_team: the user's team, and "queues" for a queue.
CREATE OR REPLACE MACRO owner_name(owner_id, name) AS
    coalesce(name, CASE WHEN is_queue(owner_id) THEN 'queue ' || CASE WHEN owner_id LIKE 'queue:%' THEN owner_id[7:] ELSE owner_id END END, owner_id);
CREATE OR REPLACE MACRO owner_team(owner_id, team) AS
    coalesce(team, CASE WHEN is_queue(owner_id) THEN 'queues' END);

-- dims_pass: true when a row passes every filter. f maps a dimension name
-- to the values allowed, in lower case (the callers lower them); a
-- dimension absent from f is not filtered. The case of a value does not
-- matter: source=Webinar finds webinar.
CREATE OR REPLACE MACRO dims_pass(f, source, campaign, segment, region, industry, owner_id, owner, team) AS
        (f['source'] IS NULL OR list_contains(f['source'], lower(source)))
    AND (f['campaign'] IS NULL OR list_contains(f['campaign'], lower(campaign)))
    AND (f['segment'] IS NULL OR list_contains(f['segment'], lower(segment)))
    AND (f['region'] IS NULL OR list_contains(f['region'], lower(region)))
    AND (f['industry'] IS NULL OR list_contains(f['industry'], lower(industry)))
    AND (f['owner'] IS NULL OR list_contains(f['owner'], lower(owner)) OR list_contains(f['owner'], lower(owner_id)))
    AND (f['team'] IS NULL OR list_contains(f['team'], lower(team)));

-- dim_value: the value of the breakdown dimension named by; NULL when there
-- is no breakdown. The name was checked against a fixed list in Go.
-- score_band is given only by the reports that break down by it.
CREATE OR REPLACE MACRO dim_value(dim_name, source, campaign, segment, region, industry, owner, team, score_band := NULL) AS
    CASE dim_name WHEN 'source' THEN source
            WHEN 'score_band' THEN score_band
            WHEN 'campaign' THEN campaign
            WHEN 'segment' THEN segment
            WHEN 'region' THEN region
            WHEN 'industry' THEN industry
            WHEN 'owner' THEN owner
            WHEN 'team' THEN team END;

-- lead_dims: one row per lead with its breakdown values; owner and team are
-- the lead's current owner's, score_band its band in lead_bands.
CREATE OR REPLACE MACRO lead_dims() AS TABLE
    SELECT l.lead_id, l.created_at,
           blank(l.source) AS source, blank(l.campaign) AS campaign,
           blank(segment_of(l.company_size)) AS segment, blank(l.region) AS region,
           blank(l.industry) AS industry, l.owner_id,
           blank(owner_name(l.owner_id, u.name)) AS owner, blank(owner_team(l.owner_id, u.team)) AS team,
           coalesce(b.score_band, 'unscored') AS score_band
    FROM leads l LEFT JOIN users u ON u.user_id = l.owner_id
    LEFT JOIN lead_bands b ON b.lead_id = l.lead_id;

-- user_hours: each user's working calendar as numbers: ISO days d1..d2
-- (Monday = 1) and minutes after local midnight ws..we, in zone tz.
CREATE OR REPLACE MACRO user_hours() AS TABLE
    WITH parsed AS (
        SELECT user_id, coalesce(nullif(trim(timezone), ''), 'UTC') AS tz,
               regexp_extract(working_hours,
                   '^\s*(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s*-\s*(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$',
                   ['d1', 'd2', 'h1', 'm1', 'h2', 'm2']) AS w
        FROM users
    ), numbers AS (
        SELECT user_id, tz,
               list_position(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], w.d1) AS d1,
               list_position(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], w.d2) AS d2,
               TRY_CAST(w.h1 AS INTEGER) * 60 + TRY_CAST(w.m1 AS INTEGER) AS ws,
               TRY_CAST(w.h2 AS INTEGER) * 60 + TRY_CAST(w.m2 AS INTEGER) AS we
        FROM parsed
    )
    SELECT user_id, tz,
           CASE WHEN d1 IS NOT NULL AND d2 >= d1 AND we > ws AND we <= 1440 THEN d1 ELSE 1 END AS d1,
           CASE WHEN d1 IS NOT NULL AND d2 >= d1 AND we > ws AND we <= 1440 THEN d2 ELSE 5 END AS d2,
           CASE WHEN d1 IS NOT NULL AND d2 >= d1 AND we > ws AND we <= 1440 THEN ws ELSE 540 END AS ws,
           CASE WHEN d1 IS NOT NULL AND d2 >= d1 AND we > ws AND we <= 1440 THEN we ELSE 1020 END AS we
    FROM numbers;

-- utc_day: the day number (since 1970-01-01) of instant t in UTC.
CREATE OR REPLACE MACRO utc_day(t) AS epoch_us(t) // 86400000000;

-- zone_offset: zone tz's offset from UTC, in microseconds, at the first
-- instant of UTC day number day. Where a day's offset and the next day's
-- agree, the offset holds the whole day (no zone changes its offset twice
-- in a day), and local_time adds it instead of converting row by row.
CREATE OR REPLACE MACRO zone_offset(day, tz) AS
    epoch_us(to_timestamp(day * 86400) AT TIME ZONE tz) - day * 86400000000;

-- local_time: instant t as wall-clock time in zone tz, given its day's
-- offsets (zone_offset of its day and of the next); converted the slow way on a day whose offset
-- changes.
CREATE OR REPLACE MACRO local_time(t, tz, off0, off1) AS
    CASE WHEN off0 = off1 THEN make_timestamp(epoch_us(t) + off0) ELSE t AT TIME ZONE tz END;

-- utc_time: the instant at which zone tz's clocks read l (a TIMESTAMP),
-- given zone_offset at the starts of the UTC days day(l) - 1 to day(l) + 2.
-- When the four agree, the zone keeps one offset from the day before l's
-- to the day after, and l - offset is the only instant it can be;
-- otherwise it is converted the slow way.
CREATE OR REPLACE MACRO utc_time(l, tz, off_before, off0, off1, off_after) AS
    CASE WHEN l IS NULL THEN NULL
         WHEN off_before = off0 AND off0 = off1 AND off1 = off_after THEN make_timestamptz(epoch_us(l) - off0)
         ELSE timezone(tz, l) END;

-- work_clock: working minutes from a fixed Monday (1900-01-01) up to the
-- local wall-clock time lt (a TIMESTAMP already in the owner's zone) on the
-- calendar (d1, d2, ws, we). The working minutes between two instants are
-- the difference of their clocks. Counting local wall-clock minutes means a
-- daylight-saving change (at night) neither adds nor removes working time.
-- The caller converts each instant to local time once: a conversion with a
-- per-row zone is the expensive part, and a macro repeats its argument.
CREATE OR REPLACE MACRO work_clock(lt, d1, d2, ws, we) AS
      ((CAST(lt AS DATE) - DATE '1900-01-01') // 7) * (d2 - d1 + 1) * (we - ws)
    + greatest(0, least((CAST(lt AS DATE) - DATE '1900-01-01') % 7, d2) - d1 + 1) * (we - ws)
    + CASE WHEN isodow(lt) BETWEEN d1 AND d2
           THEN least(greatest((epoch_us(lt) - epoch_us(CAST(CAST(lt AS DATE) AS TIMESTAMP))) / 60000000 - ws, 0), we - ws)
           ELSE 0 END;

-- lead_stages: per lead, the first entry into each funnel stage (f_*), the
-- entered_at of each stage with skipped stages filled from the next stage
-- reached (e_*), and the current stage with the time it was entered. Only
-- stage changes at or before as_of exist. A lead that goes back (sql ->
-- recycled -> mql) keeps its first entries.
--
-- Read from the lake's kept lead_firsts, which holds for every lead whose
-- last change is at or before as_of (all of them, as of the latest event);
-- the others (a stage change after as_of) are worked out from their stage
-- changes.
CREATE OR REPLACE MACRO lead_stages(as_of) AS TABLE
    WITH firsts AS (
        SELECT * FROM kept_lead_firsts WHERE current_since <= as_of
        UNION ALL
        SELECT * FROM lead_firsts(as_of, true) WHERE as_of < kept_whole_from()
    )
    SELECT *,
           coalesce(f_lead, f_mql, f_sql, f_opportunity, f_customer) AS e_lead,
           coalesce(f_mql, f_sql, f_opportunity, f_customer) AS e_mql,
           coalesce(f_sql, f_opportunity, f_customer) AS e_sql,
           coalesce(f_opportunity, f_customer) AS e_opportunity,
           f_customer AS e_customer
    FROM firsts;

-- sales_touches: the activities that stop a response clock.
CREATE OR REPLACE MACRO sales_touches(as_of) AS TABLE
    SELECT a.lead_id, a.occurred_at
    FROM activities a LEFT JOIN users u ON u.user_id = a.actor_id
    WHERE a.occurred_at <= as_of AND is_sales_touch(a.kind, a.actor_role, u.role);

-- sla_instances: one row per instance of an SLA clock (METRICS.md, "SLA
-- compliance"; "Response time").
--   start_event: 'assignment' (each assignment; owner = the assignee) or
--                'mql' (entered_at(mql); owner = the lead's current owner).
--   stop_event:  'first_sales_touch', 'disposition' (accepted, rejected or
--                unreachable), 'sql_or_rejection' (entered_at(sql) or a
--                rejected disposition).
--   clock:       'calendar' or 'business' (the owner's working hours).
--   limit_minutes, or limit_workdays (business clock: days of the owner's
--   working day length) when not NULL.
-- An assignment's clock ends at the next assignment of the same lead: a
-- stop after that belongs to the new owner's instance. status is met,
-- breached, pending, or superseded (reassigned inside the limit with no
-- stop: neither met nor breached).
--
-- A queue is not a person: time a lead spends in a queue (is_queue) before
-- a person takes it counts on that person's clock, which starts when the
-- lead entered the queue (queued_at); the queue's own clock is then carried
-- over, not counted twice. A lead still in its queue keeps a clock of the
-- queue's own.
--
-- The windows and their first stops come from the lake's kept
-- assignment_windows and mql_stops, built as of infinity: what lies after
-- as_of is read as missing there. A lead whose stage changes go on past
-- as_of has its MQL time as of as_of, and its stops are looked up here.
CREATE OR REPLACE MACRO sla_compute(as_of, start_event, stop_event, clock, limit_minutes, limit_workdays) AS TABLE
    WITH stages AS MATERIALIZED (
        SELECT lead_id, e_mql, e_sql FROM lead_stages(as_of)
        WHERE start_event = 'mql' OR stop_event = 'sql_or_rejection'
    ), late AS MATERIALIZED (
        SELECT lead_id FROM kept_lead_firsts
        WHERE start_event = 'mql' AND as_of < kept_whole_from() AND current_since > as_of
    ), spans AS MATERIALIZED (
        SELECT lead_id, owner_id, started_at,
               CASE WHEN superseded_at <= as_of THEN superseded_at END AS superseded_at,
               queued_at, coalesce(is_queue AND superseded_at <= as_of, false) AS carried,
               CASE stop_event WHEN 'first_sales_touch' THEN touched_at
                               WHEN 'disposition' THEN decided_at
                               ELSE rejected_at END AS kept_stop,
               false AS late
        FROM kept_assignment_windows
        WHERE start_event = 'assignment' AND assigned_at <= as_of
        UNION ALL
        SELECT s.lead_id, l.owner_id, s.e_mql, NULL, NULL, false,
               CASE WHEN lt.lead_id IS NULL THEN
                   CASE stop_event WHEN 'first_sales_touch' THEN k.touched_at
                                   WHEN 'disposition' THEN k.decided_at
                                   ELSE k.rejected_at END END,
               lt.lead_id IS NOT NULL
        FROM stages s JOIN leads l USING (lead_id)
        LEFT JOIN kept_mql_stops k USING (lead_id)
        LEFT JOIN late lt USING (lead_id)
        WHERE start_event = 'mql' AND s.e_mql IS NOT NULL
    ), late_stops AS (
        -- Only leads whose stage changes go on past as_of: none as of the
        -- latest stage change or later (kept_whole_from), and then this
        -- is planned away.
        SELECT sp.lead_id, min(ev.at) AS at
        FROM spans sp JOIN (
            SELECT lead_id, occurred_at AS at FROM sales_touches(as_of)
            WHERE stop_event = 'first_sales_touch' AND lead_id IN (SELECT lead_id FROM late)
            UNION ALL
            SELECT lead_id, decided_at FROM dispositions
            WHERE decided_at <= as_of AND lead_id IN (SELECT lead_id FROM late)
              AND ((stop_event = 'disposition' AND outcome IN ('accepted', 'rejected', 'unreachable'))
                OR (stop_event = 'sql_or_rejection' AND outcome = 'rejected'))
        ) ev ON ev.lead_id = sp.lead_id AND ev.at >= sp.started_at
        WHERE sp.late
        GROUP BY sp.lead_id
    ), stopped AS (
        SELECT sp.lead_id, sp.owner_id, sp.started_at, sp.superseded_at, sp.queued_at, sp.carried,
               least(CASE WHEN sp.kept_stop <= as_of THEN sp.kept_stop END,
                     ls.at,
                     CASE WHEN stop_event = 'sql_or_rejection' AND st.e_sql >= sp.started_at
                           AND st.e_sql < coalesce(sp.superseded_at, 'infinity'::TIMESTAMPTZ) THEN st.e_sql END) AS stopped_at
        FROM spans sp
        LEFT JOIN late_stops ls ON sp.late AND ls.lead_id = sp.lead_id
        LEFT JOIN stages st ON stop_event = 'sql_or_rejection' AND st.lead_id = sp.lead_id
    ), clocked AS (
        SELECT s.*, coalesce(s.stopped_at, least(s.superseded_at, as_of)) AS clock_end,
               CASE WHEN clock = 'business' AND limit_workdays IS NOT NULL
                    THEN limit_workdays * (coalesce(h.we, 1020) - coalesce(h.ws, 540))
                    ELSE limit_minutes END AS limit_min,
               coalesce(h.tz, 'UTC') AS tz, coalesce(h.d1, 1) AS d1, coalesce(h.d2, 5) AS d2,
               coalesce(h.ws, 540) AS ws, coalesce(h.we, 1020) AS we
        FROM stopped s LEFT JOIN user_hours() h ON h.user_id = s.owner_id
    -- Each instant is converted to local time once, in its own step: when
    -- the conversion sat inside work_clock, a caller's filter on status
    -- copied it into every place it names elapsed_min (16 s instead of 3 s
    -- at a million leads). And by its zone's offset on its day (zone_offset):
    -- converting with a zone that differs from row to row costs about 7 µs
    -- a row, 2 s of the 2.4 s of a business clock at a million leads.
    ), days AS (
        SELECT tz, utc_day(started_at) AS day FROM clocked WHERE clock = 'business'
        UNION
        SELECT tz, utc_day(clock_end) FROM clocked WHERE clock = 'business'
    ), offsets AS MATERIALIZED (
        SELECT tz, day, zone_offset(day, tz) AS off0, zone_offset(day + 1, tz) AS off1 FROM days
    ), localized AS (
        SELECT c.*,
               CASE WHEN clock = 'business' THEN local_time(c.started_at, c.tz, s.off0, s.off1) END AS local_start,
               CASE WHEN clock = 'business' THEN local_time(c.clock_end, c.tz, e.off0, e.off1) END AS local_end
        FROM clocked c
        LEFT JOIN offsets s ON s.tz = c.tz AND s.day = utc_day(c.started_at)
        LEFT JOIN offsets e ON e.tz = c.tz AND e.day = utc_day(c.clock_end)
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

-- sla_instances: sla_compute, or its rows kept in sla_memo. A page asks
-- for the same clocks a dozen times (per owner, per week, the breaches);
-- models.ShareSLA computes a clock once per lake into sla_memo and
-- redefines sla_memo_key to name it. sla_memo_key is a constant for given
-- arguments, so a query plans one branch away: the memo's rows, or the
-- computation. Empty until ShareSLA is called.
CREATE OR REPLACE MACRO sla_memo_key(as_of, start_event, stop_event, clock, limit_minutes, limit_workdays) AS CAST(NULL AS INTEGER);
CREATE TABLE IF NOT EXISTS sla_memo AS
    SELECT CAST(NULL AS INTEGER) AS memo_key, *
    FROM sla_compute('-infinity'::TIMESTAMPTZ, 'assignment', 'first_sales_touch', 'calendar', 0::DOUBLE, NULL::DOUBLE)
    WHERE false;
CREATE OR REPLACE MACRO sla_instances(as_of, start_event, stop_event, clock, limit_minutes, limit_workdays) AS TABLE
    SELECT * EXCLUDE (memo_key) FROM sla_memo
    WHERE memo_key = sla_memo_key(as_of, start_event, stop_event, clock, limit_minutes, limit_workdays)
    UNION ALL
    SELECT * FROM sla_compute(as_of, start_event, stop_event, clock, limit_minutes, limit_workdays)
    WHERE sla_memo_key(as_of, start_event, stop_event, clock, limit_minutes, limit_workdays) IS NULL;

-- drill_dims: lead_dims with what a person needs to recognise a lead in a
-- drill-down list: its company and current stage.
CREATE OR REPLACE MACRO drill_dims(as_of) AS TABLE
    SELECT d.*, l.company, s.current_stage AS stage
    FROM lead_dims() d JOIN leads l USING (lead_id)
    LEFT JOIN lead_stages(as_of) s USING (lead_id);

-- handoff_decisions: per lead whose first assignment (at or before as_of)
-- falls in [p_from, p_to), its first disposition at or after that
-- assignment: the verdict on the handoff (METRICS.md, "Lead quality
-- feedback"; quality and drill_handed_off). owner is the owner who decided,
-- else the first assignee.
CREATE OR REPLACE MACRO handoff_decisions(as_of, p_from, p_to) AS TABLE
    WITH handed AS (
        SELECT lead_id, min(assigned_at) AS assigned_at, arg_min(owner_id, assigned_at) AS assignee
        FROM assignments WHERE assigned_at <= as_of
        GROUP BY lead_id
    ), decided AS (
        SELECT h.lead_id, h.assigned_at, h.assignee,
               arg_min(x.outcome, x.decided_at) AS outcome,
               arg_min(x.reason, x.decided_at) AS reason,
               arg_min(x.owner_id, x.decided_at) AS decider,
               min(x.decided_at) AS decided_at
        FROM handed h LEFT JOIN dispositions x
          ON x.lead_id = h.lead_id AND x.decided_at >= h.assigned_at AND x.decided_at <= as_of
        WHERE in_period(h.assigned_at, p_from, p_to)
        GROUP BY ALL
    )
    SELECT dc.*, d.source, d.campaign, d.segment, d.region, d.industry, d.score_band,
           coalesce(dc.decider, dc.assignee) AS owner_id,
           blank(owner_name(coalesce(dc.decider, dc.assignee), u.name)) AS owner, blank(owner_team(coalesce(dc.decider, dc.assignee), u.team)) AS team
    FROM decided dc JOIN lead_dims() d USING (lead_id)
    LEFT JOIN users u ON u.user_id = coalesce(dc.decider, dc.assignee);

-- filter_map: the filters map of dims_pass from two parallel lists, one
-- (dimension, value) pair per element. Models that bind lists take their
-- filters this way: the driver cannot bind a MAP beside a list in one
-- statement. No pair, no filter.
CREATE OR REPLACE MACRO filter_map(dims, vals) AS (
    SELECT map(list(dim), list(values))
    FROM (SELECT dim, list(value) AS values
          FROM (SELECT unnest(dims) AS dim, unnest(vals) AS value)
          GROUP BY dim)
);

-- nan_null: NaN as NULL, for lists that cannot bind NULL beside numbers.
CREATE OR REPLACE MACRO nan_null(x) AS CASE WHEN isnan(x) THEN NULL ELSE x END;

-- score_at: when each lead is scored (METRICS.md, "Scoring": from the events
-- before that time only).
--   at_mode 'as_of':   every lead created before as_of, at as_of
--   at_mode 'handoff': at the lead's first assignment, or created + at_days
--                      for a lead never assigned
--   at_mode 'created': at created + at_days
-- Leads whose time lies after as_of are not scored yet and are left out.
CREATE OR REPLACE MACRO score_at(as_of, at_mode, at_days) AS TABLE
    WITH firsts AS (
        SELECT lead_id, min(assigned_at) AS handed_at FROM assignments GROUP BY lead_id
    ), timed AS (
        SELECT l.lead_id, l.created_at,
               CASE at_mode WHEN 'as_of' THEN as_of
                            WHEN 'handoff' THEN coalesce(f.handed_at, l.created_at + to_seconds(CAST(at_days * 86400 AS BIGINT)))
                            ELSE l.created_at + to_seconds(CAST(at_days * 86400 AS BIGINT)) END AS scored_at
        FROM leads l LEFT JOIN firsts f USING (lead_id)
        WHERE l.created_at < as_of
    )
    SELECT lead_id, created_at, scored_at FROM timed WHERE scored_at <= as_of;

-- score_parts: every rule that fired for every scored lead, with its points
-- (METRICS.md, "Scoring"). The rules come as parallel lists, one element
-- per rule, because a model binds only flat lists:
--   fit: fit_rule (names), fit_points, fit_size_min (employees, inclusive),
--        fit_size_max (exclusive), fit_title (a regular expression), and the
--        value lists as triples fit_in_rule (1-based rule index), fit_in_dim
--        ('industry' or 'country'), fit_in_value. A NULL condition is not
--        checked; the conditions of one rule must all hold (AND); values
--        compare without case; a lead with no size or title matches no rule
--        on it.
--   engagement: eng_kind, eng_points (per event), eng_half_life (days, NaN
--        for no decay), eng_max (cap on the kind's points, NaN for none).
-- A list binds values of one type only, so an absent number comes as NaN
-- and an absent title as ''.
--        Only events strictly before the lead's scored_at count, each
--        worth points × 0.5^(age in days / half-life) at scored_at.
-- Fit reads the lead's attributes as they are now in the lake: handoff
-- keeps no history of company size, industry, country or title.
-- One row per lead and fired rule: part ('fit' or 'engagement'), rule,
-- points (after decay and cap), events and raw_points (engagement: before
-- decay and cap), and the lead's scored_at.
CREATE OR REPLACE MACRO score_parts(as_of, at_mode, at_days,
        fit_rule, fit_points, fit_size_min, fit_size_max, fit_title, fit_in_rule, fit_in_dim, fit_in_value,
        eng_kind, eng_points, eng_half_life, eng_max) AS TABLE
    WITH scored AS (
        SELECT * FROM score_at(as_of, at_mode, at_days)
    ), rule_values AS (
        SELECT fit_in_rule[j] AS i, fit_in_dim[j] AS dim, lower(trim(fit_in_value[j])) AS value
        FROM range(1, len(fit_in_rule) + 1) t(j)
    ), value_lists AS (
        SELECT i, list(value) FILTER (WHERE dim = 'industry') AS industries,
                  list(value) FILTER (WHERE dim = 'country') AS countries
        FROM rule_values GROUP BY i
    ), fit_rules AS (
        SELECT r.i, fit_rule[r.i] AS rule, fit_points[r.i] AS points,
               nan_null(fit_size_min[r.i]) AS size_min, nan_null(fit_size_max[r.i]) AS size_max,
               nullif(fit_title[r.i], '') AS title_re,
               nullif(v.industries, []) AS industries, nullif(v.countries, []) AS countries
        FROM range(1, len(fit_rule) + 1) r(i) LEFT JOIN value_lists v USING (i)
    -- A pattern that is not a constant is compiled for every row it meets:
    -- match each distinct title once, not each lead's.
    ), title_hits AS (
        SELECT t.title, f.i
        FROM (SELECT DISTINCT title FROM leads WHERE title IS NOT NULL) t
        JOIN fit_rules f ON f.title_re IS NOT NULL AND regexp_matches(t.title, f.title_re)
    ), fit AS (
        SELECT s.lead_id, s.scored_at, 'fit' AS part, f.i AS rule_order, f.rule, f.points,
               NULL::BIGINT AS events, f.points AS raw_points
        FROM scored s JOIN leads l USING (lead_id) CROSS JOIN fit_rules f
        LEFT JOIN title_hits th ON th.title = l.title AND th.i = f.i
        WHERE (f.size_min IS NULL OR l.company_size >= f.size_min)
          AND (f.size_max IS NULL OR l.company_size < f.size_max)
          AND (f.industries IS NULL OR list_contains(f.industries, lower(trim(l.industry))))
          AND (f.countries IS NULL OR list_contains(f.countries, lower(trim(l.country))))
          AND (f.title_re IS NULL OR th.i IS NOT NULL)
    ), kinds AS (
        SELECT k.i, eng_kind[k.i] AS kind, eng_points[k.i] AS points,
               nan_null(eng_half_life[k.i]) AS half_life, nan_null(eng_max[k.i]) AS cap
        FROM range(1, len(eng_kind) + 1) k(i)
    ), events AS (
        SELECT s.lead_id, s.scored_at, k.i, k.kind, k.points, k.cap,
               CASE WHEN k.half_life IS NULL THEN 1.0
                    ELSE pow(0.5, seconds_between(a.occurred_at, s.scored_at) / 86400.0 / k.half_life) END AS decay
        FROM scored s JOIN activities a USING (lead_id) JOIN kinds k ON k.kind = a.kind
        WHERE a.occurred_at < s.scored_at
    ), engagement AS (
        SELECT lead_id, scored_at, 'engagement' AS part, 1000 + i AS rule_order, kind AS rule,
               CASE WHEN cap IS NULL THEN sum(points * decay) ELSE least(sum(points * decay), cap) END AS points,
               count(*) AS events, sum(points) AS raw_points
        FROM events GROUP BY lead_id, scored_at, i, kind, cap
    )
    SELECT * FROM fit UNION ALL SELECT * FROM engagement;

-- score_totals: each lead score_at scores, with its fit and engagement
-- (sums of score_parts; 0 when no rule fired). Same arguments as
-- score_parts.
CREATE OR REPLACE MACRO score_totals(as_of, at_mode, at_days,
        fit_rule, fit_points, fit_size_min, fit_size_max, fit_title, fit_in_rule, fit_in_dim, fit_in_value,
        eng_kind, eng_points, eng_half_life, eng_max) AS TABLE
    WITH sums AS (
        SELECT lead_id,
               coalesce(sum(points) FILTER (WHERE part = 'fit'), 0) AS fit,
               coalesce(sum(points) FILTER (WHERE part = 'engagement'), 0) AS engagement
        FROM score_parts(as_of, at_mode, at_days, fit_rule, fit_points, fit_size_min, fit_size_max, fit_title,
                         fit_in_rule, fit_in_dim, fit_in_value, eng_kind, eng_points, eng_half_life, eng_max)
        GROUP BY lead_id
    )
    SELECT s.lead_id, s.scored_at, coalesce(x.fit, 0) AS fit, coalesce(x.engagement, 0) AS engagement
    FROM score_at(as_of, at_mode, at_days) s LEFT JOIN sums x USING (lead_id);

-- work_instant: the inverse of work_clock: the local wall-clock time at
-- which the working-minute clock of the calendar (d1, d2, ws, we) reads m
-- (m > 0). A reading on a day's boundary is the end of the earlier working
-- day: a limit of five working days ends at closing time, not at the next
-- opening.
CREATE OR REPLACE MACRO work_instant(m, d1, d2, ws, we) AS
    make_timestamp(epoch_us(TIMESTAMP '1900-01-01') + CAST(60000000 * (
        (ceil(m / ((d2 - d1 + 1) * (we - ws))) - 1) * 7 * 1440
      + (d1 - 1) * 1440
      + (ceil((m - (ceil(m / ((d2 - d1 + 1) * (we - ws))) - 1) * (d2 - d1 + 1) * (we - ws)) / (we - ws)) - 1) * 1440
      + ws
      + (m - (ceil(m / ((d2 - d1 + 1) * (we - ws))) - 1) * (d2 - d1 + 1) * (we - ws))
      - (ceil((m - (ceil(m / ((d2 - d1 + 1) * (we - ws))) - 1) * (d2 - d1 + 1) * (we - ws)) / (we - ws)) - 1) * (we - ws)
    ) AS BIGINT));

-- fmt_utc: an instant as evidence text reads it.
-- make_timestamp of the epoch reads the instant in UTC without ICU.
CREATE OR REPLACE MACRO fmt_utc(t) AS strftime(make_timestamp(epoch_us(t)), '%Y-%m-%d %H:%M');

-- leak_cases: every MQL as of as_of, with the first crack it fell into
-- (METRICS.md has no leak section; docs/reports.md, "leaks", is the
-- definition). One row per lead that reached mql (a skipped mql counts).
--
-- The handoff: the sales owner the lead had when it became an MQL (its
-- latest assignment at or before entered_at(mql); handed off at the MQL
-- time), else its first assignment after. Only assignments to a sales user
-- (sdr, ae, manager) or to an owner users does not know count.
--
-- Each crack has the instant the lead fell into it; the lead is counted in
-- the earliest one at or before as_of (ties: in the order below), so every
-- lead is in at most one crack and the cracks add up:
--   never_handed_off         no handoff within handoff_s seconds of the MQL
--   inactive_owner           handed to an owner users marks inactive, or
--                            does not know, and nobody touched the lead
--                            in time (the owner as at the handoff: a rep
--                            who worked the lead and left later dropped
--                            nothing); it falls in at the touch deadline
--   never_touched            no sales touch within touch_s of the handoff
--   never_dispositioned      no accepted / rejected / unreachable decision
--                            within dispo_days working days of the owner's
--                            calendar after the handoff
--   rejected_without_reason  a rejection after the MQL with a blank reason
--   stuck                    now in sql or opportunity past that stage's
--                            limit (stuck_limits, hours); an MQL that sits
--                            is explained by the cracks above
--   recycled_forgotten       recycled after the MQL, no marketing touch
--                            (an activity by marketing) within recycle_s
--   duplicate                handed off within dup_s after another lead
--                            with the same e-mail domain and company was
--                            handed to a different owner
-- recovered_at: when what was missing came late (the handoff, the touch,
-- the decision, the marketing touch, an active owner): still a leak.
-- value: the lead's source's MQL -> customer rate times its average won
-- amount, both as of as_of; NULL (unknown) when the source has no won deal.
CREATE OR REPLACE MACRO leak_compute(as_of, handoff_s, touch_s, dispo_days, recycle_s, dup_s, stuck_limits) AS TABLE
    -- The steps read more than once are MATERIALIZED (as in PostgreSQL):
    -- inlined, lead_stages alone would run five times.
    WITH mqls AS MATERIALIZED (
        SELECT s.lead_id, s.e_mql AS mql_at, s.current_stage, s.current_since, s.e_customer
        FROM lead_stages(as_of) s WHERE s.e_mql IS NOT NULL
    ), sales_asg AS MATERIALIZED (
        SELECT a.lead_id, a.owner_id, a.assigned_at, m.mql_at,
               u.user_id IS NOT NULL AS known, coalesce(u.active, true) AS active
        FROM assignments a JOIN mqls m USING (lead_id)
        LEFT JOIN users u ON u.user_id = a.owner_id
        WHERE a.assigned_at <= as_of AND (u.user_id IS NULL OR u.role IN ('sdr', 'ae', 'manager'))
    ), handoff AS MATERIALIZED (
        SELECT lead_id,
               CASE WHEN bool_or(assigned_at <= mql_at) THEN any_value(mql_at) ELSE min(assigned_at) END AS handoff_at,
               CASE WHEN bool_or(assigned_at <= mql_at)
                    THEN arg_max(owner_id, assigned_at) FILTER (WHERE assigned_at <= mql_at)
                    ELSE arg_min(owner_id, assigned_at) END AS owner_id,
               CASE WHEN bool_or(assigned_at <= mql_at)
                    THEN arg_max(known AND active, assigned_at) FILTER (WHERE assigned_at <= mql_at)
                    ELSE arg_min(known AND active, assigned_at) END AS owner_ok,
               CASE WHEN bool_or(assigned_at <= mql_at)
                    THEN arg_max(known, assigned_at) FILTER (WHERE assigned_at <= mql_at)
                    ELSE arg_min(known, assigned_at) END AS owner_known
        FROM sales_asg GROUP BY lead_id
    ), rescued AS (
        SELECT h.lead_id, min(x.assigned_at) AS good_owner_at
        FROM handoff h JOIN sales_asg x ON x.lead_id = h.lead_id AND x.assigned_at > h.handoff_at
        WHERE NOT h.owner_ok AND x.known AND x.active
        GROUP BY h.lead_id
    ), recycled AS (
        SELECT m.lead_id, min(c.changed_at) AS recycled_at
        FROM mqls m JOIN stage_changes c ON c.lead_id = m.lead_id AND c.changed_at >= m.mql_at
        WHERE c.stage = 'recycled' AND c.changed_at <= as_of
        GROUP BY m.lead_id
    ), handed AS MATERIALIZED (
        SELECT m.*, h.handoff_at, h.owner_id, h.owner_ok, h.owner_known, r.good_owner_at, rc.recycled_at
        FROM mqls m LEFT JOIN handoff h USING (lead_id) LEFT JOIN rescued r USING (lead_id)
        LEFT JOIN recycled rc USING (lead_id)
    -- One pass over activities serves both clocks that read them (the
    -- first sales touch after the handoff, the first marketing touch after
    -- a recycle), for the leads that have either clock.
    ), clocked AS (
        SELECT lead_id, handoff_at, recycled_at FROM handed
        WHERE handoff_at IS NOT NULL OR recycled_at IS NOT NULL
    ), touches AS (
        SELECT h.lead_id,
               min(a.occurred_at) FILTER (WHERE a.occurred_at >= h.handoff_at
                   AND is_sales_touch(a.kind, a.actor_role, u.role)) AS touched_at,
               min(a.occurred_at) FILTER (WHERE a.occurred_at > h.recycled_at
                   AND (a.actor_role = 'marketing' OR (a.actor_role IS NULL AND u.role = 'marketing'))) AS nurtured_at
        FROM clocked h JOIN activities a ON a.lead_id = h.lead_id
        LEFT JOIN users u ON u.user_id = a.actor_id
        WHERE a.occurred_at <= as_of
        GROUP BY h.lead_id
    ), decisions AS (
        SELECT h.lead_id,
               min(x.decided_at) FILTER (WHERE x.decided_at >= h.handoff_at AND x.outcome IN ('accepted', 'rejected', 'unreachable')) AS decided_at,
               min(x.decided_at) FILTER (WHERE x.outcome = 'rejected' AND nullif(trim(x.reason), '') IS NULL) AS rejected_at,
               arg_min(x.owner_id, x.decided_at) FILTER (WHERE x.outcome = 'rejected' AND nullif(trim(x.reason), '') IS NULL) AS rejected_by
        FROM handed h JOIN dispositions x ON x.lead_id = h.lead_id AND x.decided_at >= h.mql_at
        WHERE x.decided_at <= as_of
        GROUP BY h.lead_id
    ), keyed AS MATERIALIZED (
        SELECT h.lead_id, h.handoff_at, h.owner_id, lower(trim(l.email_domain)) AS domain, lower(trim(l.company)) AS company
        FROM handed h JOIN leads l USING (lead_id)
        WHERE h.handoff_at IS NOT NULL AND nullif(trim(l.email_domain), '') IS NOT NULL AND nullif(trim(l.company), '') IS NOT NULL
    ), dup AS (
        SELECT k.lead_id, arg_max(o.lead_id, o.handoff_at) AS other_lead, arg_max(o.owner_id, o.handoff_at) AS other_owner,
               max(o.handoff_at) AS other_at
        FROM keyed k JOIN keyed o ON o.domain = k.domain AND o.company = k.company AND o.lead_id <> k.lead_id
        WHERE o.owner_id IS DISTINCT FROM k.owner_id
          AND (o.handoff_at < k.handoff_at OR (o.handoff_at = k.handoff_at AND o.lead_id < k.lead_id))
          AND seconds_between(o.handoff_at, k.handoff_at) <= dup_s
        GROUP BY k.lead_id
    ), joined AS (
        SELECT h.*, t.touched_at, t.nurtured_at, d.decided_at, d.rejected_at, d.rejected_by,
               dp.other_lead, dp.other_owner, dp.other_at,
               CAST(stuck_limits[h.current_stage] AS DOUBLE) AS stuck_hours,
               coalesce(uh.tz, 'UTC') AS tz, coalesce(uh.d1, 1) AS d1, coalesce(uh.d2, 5) AS d2,
               coalesce(uh.ws, 540) AS ws, coalesce(uh.we, 1020) AS we
        FROM handed h
        LEFT JOIN touches t USING (lead_id) LEFT JOIN decisions d USING (lead_id)
        LEFT JOIN dup dp USING (lead_id)
        LEFT JOIN user_hours() uh ON uh.user_id = h.owner_id
    -- The disposition deadline, one step at a time: each instant crosses a
    -- time zone once (a macro repeats its argument wherever it names it),
    -- by its zone's offset on its day (zone_offset), as in sla_instances.
    -- Only where it can matter: n working days never end before n - 1
    -- calendar days have passed, so a decision made by then is in time.
    ), to_convert AS MATERIALIZED (
        SELECT *, handoff_at IS NOT NULL
                  AND (decided_at IS NULL OR decided_at > handoff_at + to_seconds((dispo_days - 1) * 86400)) AS needs_deadline
        FROM joined
    ), handoff_offsets AS MATERIALIZED (
        SELECT tz, day, zone_offset(day, tz) AS off0, zone_offset(day + 1, tz) AS off1
        FROM (SELECT DISTINCT tz, utc_day(handoff_at) AS day FROM to_convert WHERE needs_deadline)
    ), local_handoff AS (
        SELECT j.*, CASE WHEN needs_deadline THEN local_time(j.handoff_at, j.tz, o.off0, o.off1) END AS handoff_local
        FROM to_convert j
        LEFT JOIN handoff_offsets o ON o.tz = j.tz AND o.day = utc_day(j.handoff_at)
    ), clock_target AS (
        SELECT *, work_clock(handoff_local, d1, d2, ws, we) + dispo_days * (we - ws) AS dispo_clock FROM local_handoff
    ), local_deadline AS MATERIALIZED (
        SELECT *, work_instant(dispo_clock, d1, d2, ws, we) AS dispo_local FROM clock_target
    ), deadline_offsets AS MATERIALIZED (
        SELECT tz, day, zone_offset(day - 1, tz) AS off_before, zone_offset(day, tz) AS off0,
               zone_offset(day + 1, tz) AS off1, zone_offset(day + 2, tz) AS off_after
        FROM (SELECT DISTINCT tz, utc_day(dispo_local) AS day FROM local_deadline WHERE dispo_local IS NOT NULL)
    ), deadlines AS MATERIALIZED (
        SELECT d.*,
               utc_time(d.dispo_local, d.tz, o.off_before, o.off0, o.off1, o.off_after) AS dispo_deadline,
               mql_at + to_seconds(handoff_s) AS handoff_deadline,
               handoff_at + to_seconds(touch_s) AS touch_deadline,
               current_since + to_microseconds(CAST(stuck_hours * 3600e6 AS BIGINT)) AS stuck_deadline,
               recycled_at + to_seconds(recycle_s) AS recycle_deadline
        FROM local_deadline d
        LEFT JOIN deadline_offsets o ON o.tz = d.tz AND o.day = utc_day(d.dispo_local)
    ), candidates AS (
        SELECT lead_id, 'never_handed_off' AS crack, 1 AS rank, handoff_deadline AS crack_at, handoff_at AS recovered_at
        FROM deadlines WHERE handoff_at IS NULL OR handoff_at > handoff_deadline
        UNION ALL
        -- At the touch deadline, not at the handoff: until then a touch in
        -- time can still come, and a period's leaks must not shrink later.
        SELECT lead_id, 'inactive_owner', 2, touch_deadline, good_owner_at
        FROM deadlines WHERE handoff_at IS NOT NULL AND NOT owner_ok
          AND (touched_at IS NULL OR touched_at > touch_deadline)
        UNION ALL
        SELECT lead_id, 'never_touched', 3, touch_deadline, touched_at
        FROM deadlines WHERE handoff_at IS NOT NULL AND (touched_at IS NULL OR touched_at > touch_deadline)
        UNION ALL
        SELECT lead_id, 'never_dispositioned', 4, dispo_deadline, decided_at
        FROM deadlines WHERE dispo_deadline IS NOT NULL AND (decided_at IS NULL OR decided_at > dispo_deadline)
        UNION ALL
        SELECT lead_id, 'rejected_without_reason', 5, rejected_at, NULL
        FROM deadlines WHERE rejected_at IS NOT NULL
        UNION ALL
        SELECT lead_id, 'stuck', 6, stuck_deadline, NULL
        FROM deadlines WHERE current_stage IN ('sql', 'opportunity') AND stuck_hours IS NOT NULL
        UNION ALL
        SELECT lead_id, 'recycled_forgotten', 7, recycle_deadline, nurtured_at
        FROM deadlines WHERE recycled_at IS NOT NULL AND (nurtured_at IS NULL OR nurtured_at > recycle_deadline)
        UNION ALL
        SELECT lead_id, 'duplicate', 8, handoff_at, NULL
        FROM deadlines WHERE other_lead IS NOT NULL
    ), first_crack AS (
        -- The crack and its recovery are taken together, as one struct:
        -- arg_min of recovered_at alone skips NULLs, and would hand a
        -- lead the recovery of a later crack it is not counted in.
        SELECT lead_id, first.crack, crack_at, first.recovered_at
        FROM (SELECT lead_id,
                     arg_min({'crack': crack, 'recovered_at': recovered_at}, epoch_us(crack_at) * 16 + rank) AS first,
                     min(crack_at) AS crack_at
              FROM candidates WHERE crack_at <= as_of
              GROUP BY lead_id)
    ), source_value AS (
        SELECT blank(l.source) AS source,
               count(*) FILTER (WHERE m.e_customer IS NOT NULL) / count(*) AS mql_to_customer
        FROM mqls m JOIN leads l USING (lead_id)
        GROUP BY ALL
    ), source_won AS (
        SELECT blank(l.source) AS source, avg(o.amount) AS avg_won
        FROM opportunities o JOIN leads l USING (lead_id)
        WHERE o.won AND o.closed_at <= as_of AND o.amount IS NOT NULL
        GROUP BY ALL
    )
    -- evidence is built for the crack each lead is counted in, and only
    -- when a caller reads it.
    SELECT d.lead_id, d.mql_at, d.handoff_at, d.owner_id AS handoff_owner_id,
           f.crack, f.crack_at,
           CASE WHEN f.recovered_at <= as_of THEN f.recovered_at END AS recovered_at,
           CASE f.crack
             WHEN 'never_handed_off' THEN 'MQL ' || fmt_utc(d.mql_at) || '; no assignment to sales by ' || fmt_utc(d.handoff_deadline)
                 || coalesce('; assigned ' || fmt_utc(d.handoff_at) || ' (late)', '')
             WHEN 'inactive_owner' THEN 'handed off ' || fmt_utc(d.handoff_at) || ' to ' || d.owner_id
                 || CASE WHEN d.owner_known THEN ', who is inactive' ELSE ', who is not in users' END
                 || coalesce('; reassigned to an active owner ' || fmt_utc(d.good_owner_at), '')
             WHEN 'never_touched' THEN 'handed off ' || fmt_utc(d.handoff_at) || '; no sales touch by ' || fmt_utc(d.touch_deadline)
                 || coalesce('; first touch ' || fmt_utc(d.touched_at) || ' (late)', '')
             WHEN 'never_dispositioned' THEN 'handed off ' || fmt_utc(d.handoff_at) || coalesce(', first touch ' || fmt_utc(d.touched_at), '')
                 || '; no decision by ' || fmt_utc(d.dispo_deadline) || coalesce('; decided ' || fmt_utc(d.decided_at) || ' (late)', '')
             WHEN 'rejected_without_reason' THEN 'rejected ' || fmt_utc(d.rejected_at) || coalesce(' by ' || d.rejected_by, '') || ' with no reason'
             WHEN 'stuck' THEN 'in ' || d.current_stage || ' since ' || fmt_utc(d.current_since) || '; its limit of '
                 || CAST(round(d.stuck_hours / 24, 1) AS VARCHAR) || ' days passed ' || fmt_utc(d.stuck_deadline)
             WHEN 'recycled_forgotten' THEN 'recycled ' || fmt_utc(d.recycled_at) || '; no marketing touch by ' || fmt_utc(d.recycle_deadline)
                 || coalesce('; touched ' || fmt_utc(d.nurtured_at) || ' (late)', '')
             WHEN 'duplicate' THEN 'handed off ' || fmt_utc(d.handoff_at) || coalesce(' to ' || d.owner_id, '') || '; ' || d.other_lead
                 || ' (same e-mail domain and company) went to ' || coalesce(d.other_owner, 'nobody') || ' ' || fmt_utc(d.other_at)
           END AS evidence,
           sv.mql_to_customer * sw.avg_won AS value
    FROM deadlines d JOIN leads l USING (lead_id)
    LEFT JOIN first_crack f USING (lead_id)
    LEFT JOIN source_value sv ON sv.source = blank(l.source)
    LEFT JOIN source_won sw ON sw.source = blank(l.source);

-- leak_cases: leak_compute, or its rows kept in leak_memo by
-- models.ShareLeaks, as sla_instances is to sla_compute: the leaks report
-- and the list of leaked leads on one page work the cases out once.
CREATE OR REPLACE MACRO leak_memo_key(as_of, handoff_s, touch_s, dispo_days, recycle_s, dup_s, stuck_limits) AS CAST(NULL AS INTEGER);
CREATE TABLE IF NOT EXISTS leak_memo AS
    SELECT CAST(NULL AS INTEGER) AS memo_key, *
    FROM leak_compute('-infinity'::TIMESTAMPTZ, 0::DOUBLE, 0::DOUBLE, 0::DOUBLE, 0::DOUBLE, 0::DOUBLE, MAP {}::MAP(VARCHAR, DOUBLE))
    WHERE false;
CREATE OR REPLACE MACRO leak_cases(as_of, handoff_s, touch_s, dispo_days, recycle_s, dup_s, stuck_limits) AS TABLE
    SELECT * EXCLUDE (memo_key) FROM leak_memo
    WHERE memo_key = leak_memo_key(as_of, handoff_s, touch_s, dispo_days, recycle_s, dup_s, stuck_limits)
    UNION ALL
    SELECT * FROM leak_compute(as_of, handoff_s, touch_s, dispo_days, recycle_s, dup_s, stuck_limits)
    WHERE leak_memo_key(as_of, handoff_s, touch_s, dispo_days, recycle_s, dup_s, stuck_limits) IS NULL;

