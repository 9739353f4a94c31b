-- routing_replay: the leads a routing dry run replays, at the time they
-- were first handed to sales, with what routing matches on and who
-- actually got them.
--
-- Grain: one row per lead whose first assignment falls in [$since,
-- $as_of], in time order. segment is the size band (segment_of in base.sql)
-- and a missing value is '' (routing compares raw values, not '(blank)').
-- Parameters: $since, $as_of.
WITH firsts AS (
    SELECT lead_id, min(assigned_at) AS handed_at, arg_min(owner_id, assigned_at) AS actual_owner
    FROM assignments WHERE assigned_at <= $as_of::TIMESTAMPTZ
    GROUP BY lead_id
)
SELECT f.lead_id, f.handed_at, coalesce(f.actual_owner, '') AS actual_owner,
       coalesce(l.country, '') AS country, coalesce(l.region, '') AS region,
       coalesce(segment_of(l.company_size), '') AS segment, coalesce(l.source, '') AS source
FROM firsts f JOIN leads l USING (lead_id)
WHERE f.handed_at >= $since::TIMESTAMPTZ
ORDER BY f.handed_at, f.lead_id;
