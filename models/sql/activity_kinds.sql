-- activity_kinds: the activity kinds the lake holds, for checking score
-- rules against (a Marketo type handoff does not map keeps its id as kind).
--
-- Grain: one row per kind, most frequent first.
-- Parameters: none.
SELECT kind, count(*) AS events FROM activities GROUP BY kind ORDER BY events DESC, kind;
