-- The baseline of the scoring benchmark: the plainest DuckDB aggregate over
-- the activities scoring reads. Per lead and kind, the events before the
-- as-of time of the kinds the rules name, counted and summed with a fixed
-- decay. No rule logic, no fit, no quadrants: what reading and grouping the
-- same rows costs. Parameters: $as_of, $kinds (VARCHAR[]).
SELECT lead_id, kind, count(*) AS events,
       sum(pow(0.5, (epoch(CAST($as_of AS TIMESTAMPTZ)) - epoch(occurred_at)) / 86400.0 / 30)) AS decayed
FROM activities
WHERE occurred_at < CAST($as_of AS TIMESTAMPTZ) AND list_contains(CAST($kinds AS VARCHAR[]), kind)
GROUP BY lead_id, kind;
