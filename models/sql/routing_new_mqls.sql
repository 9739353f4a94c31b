-- routing_new_mqls: the leads routing decides for as they become MQLs: the
-- leads whose entered_at(mql) falls in ($since, $as_of] (skipped stages
-- count as passed, as in funnel) and that had no assignment before it, with
-- what routing matches on ('' for a missing value, as routing_replay).
--
-- Grain: one row per lead, in the order they became MQLs.
-- Parameters: $since, $as_of.
SELECT s.lead_id, s.e_mql AS mql_at,
       coalesce(l.country, '') AS country, coalesce(l.region, '') AS region,
       coalesce(segment_of(l.company_size), '') AS segment, coalesce(l.source, '') AS source
FROM lead_stages($as_of::TIMESTAMPTZ) s JOIN leads l USING (lead_id)
WHERE s.e_mql > $since::TIMESTAMPTZ AND s.e_mql <= $as_of::TIMESTAMPTZ
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.lead_id = s.lead_id AND a.assigned_at < s.e_mql)
ORDER BY s.e_mql, s.lead_id;
