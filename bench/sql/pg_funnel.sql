-- pg_funnel: models/sql/funnel.sql for PostgreSQL 15, without breakdown or
-- filters (the benchmark runs both with default parameters), so the two
-- can be timed on the same data and their rows compared one for one.
-- Same rules: entered_at(stage) is the first entry into the stage or, when
-- it was skipped, into the next stage reached; only stage changes at or
-- before the as-of time count; a lead must exist in leads.
-- Parameters: $1 as_of (timestamptz), $2 tz (IANA name), $3 grain (day,
-- week, month, quarter), $4 window in seconds.
WITH firsts AS (
    SELECT lead_id,
           min(changed_at) FILTER (WHERE stage = 'lead') AS f_lead,
           min(changed_at) FILTER (WHERE stage = 'mql') AS f_mql,
           min(changed_at) FILTER (WHERE stage = 'sql') AS f_sql,
           min(changed_at) FILTER (WHERE stage = 'opportunity') AS f_opportunity,
           min(changed_at) FILTER (WHERE stage = 'customer') AS f_customer
    FROM stage_changes
    WHERE changed_at <= $1::timestamptz
    GROUP BY lead_id
), entered AS (
    SELECT f.lead_id,
           coalesce(f_lead, f_mql, f_sql, f_opportunity, f_customer) AS e_lead,
           coalesce(f_mql, f_sql, f_opportunity, f_customer) AS e_mql,
           coalesce(f_sql, f_opportunity, f_customer) AS e_sql,
           coalesce(f_opportunity, f_customer) AS e_opportunity,
           f_customer AS e_customer
    FROM firsts f JOIN leads l ON l.lead_id = f.lead_id
), cohort_leads AS (
    SELECT *, date_trunc($3::text, e_lead AT TIME ZONE $2::text) AS cohort_start
    FROM entered
    WHERE e_lead IS NOT NULL
), steps(step, from_stage, to_stage) AS (
    VALUES (1, 'lead', 'mql'), (2, 'mql', 'sql'), (3, 'sql', 'opportunity'),
           (4, 'opportunity', 'customer'), (5, 'lead', 'customer')
), pairs AS (
    SELECT c.cohort_start, st.step, st.from_stage, st.to_stage,
           CASE st.from_stage WHEN 'lead' THEN c.e_lead WHEN 'mql' THEN c.e_mql
                WHEN 'sql' THEN c.e_sql WHEN 'opportunity' THEN c.e_opportunity END AS from_at,
           CASE st.to_stage WHEN 'mql' THEN c.e_mql WHEN 'sql' THEN c.e_sql
                WHEN 'opportunity' THEN c.e_opportunity WHEN 'customer' THEN c.e_customer END AS to_at
    FROM cohort_leads c CROSS JOIN steps st
)
SELECT to_char(cohort_start, 'YYYY-MM-DD') AS cohort,
       from_stage,
       to_stage,
       count(from_at) AS reached_from,
       count(*) FILTER (WHERE from_at IS NOT NULL AND to_at IS NOT NULL
                          AND to_at <= from_at + make_interval(secs => $4::bigint)) AS reached_to,
       (count(*) FILTER (WHERE from_at IS NOT NULL AND to_at IS NOT NULL
                           AND to_at <= from_at + make_interval(secs => $4::bigint)))::float8
           / nullif(count(from_at), 0) AS rate,
       ((cohort_start + CASE $3::text WHEN 'day' THEN interval '1 day'
                                      WHEN 'week' THEN interval '7 days'
                                      WHEN 'month' THEN interval '1 month'
                                      ELSE interval '3 months' END) AT TIME ZONE $2::text)
           + make_interval(secs => $4::bigint) > $1::timestamptz AS open
FROM pairs
GROUP BY cohort_start, step, from_stage, to_stage
ORDER BY cohort_start, step;
