-- routing_users: every user as routing sees them: working hours as numbers
-- (user_hours in base.sql, the same reading the SLA clocks use), capacity
-- (new leads a month; -1 when unknown: no limit) and the active flag
-- (missing: active).
--
-- Grain: one row per user, by user_id.
-- Parameters: none.
SELECT u.user_id, coalesce(nullif(trim(u.name), ''), u.user_id) AS name, coalesce(u.team, '') AS team,
       coalesce(u.role, '') AS role, h.tz, h.d1, h.d2, h.ws, h.we,
       coalesce(u.capacity, -1) AS capacity, coalesce(u.active, true) AS active
FROM users u JOIN user_hours() h USING (user_id)
ORDER BY u.user_id;
