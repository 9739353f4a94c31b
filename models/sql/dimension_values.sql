-- dimension_values: the values each filter dimension takes in the lake, for
-- the dashboards' choice lists.
--
-- Grain: one row per dimension x value, the most frequent first within a
-- dimension, at most $per_dimension per dimension. Values are those of
-- lead_dims (the lead's source, campaign, segment, region, industry, and its
-- current owner and team); an assignee who owns no lead is missing here,
-- and can still be typed.
-- Parameters: $per_dimension.
WITH d AS (SELECT * FROM lead_dims()),
counted AS (
    SELECT 'source' AS dim, source AS value, count(*) AS leads FROM d GROUP BY ALL
    UNION ALL SELECT 'campaign', campaign, count(*) FROM d GROUP BY ALL
    UNION ALL SELECT 'segment', segment, count(*) FROM d GROUP BY ALL
    UNION ALL SELECT 'region', region, count(*) FROM d GROUP BY ALL
    UNION ALL SELECT 'industry', industry, count(*) FROM d GROUP BY ALL
    UNION ALL SELECT 'owner', owner, count(*) FROM d GROUP BY ALL
    UNION ALL SELECT 'team', team, count(*) FROM d GROUP BY ALL
)
SELECT dim, value, leads
FROM counted
QUALIFY row_number() OVER (PARTITION BY dim ORDER BY leads DESC, value) <= $per_dimension::INTEGER
ORDER BY dim, leads DESC, value;
