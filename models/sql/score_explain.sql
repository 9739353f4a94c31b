-- score_explain: why a lead scored what it did, rule by rule (METRICS.md,
-- "Scoring": every score can be explained rule by rule).
--
-- Grain: one row per fired rule of each lead in $leads, fit rules first in
-- the rules file's order, then engagement kinds in theirs. points are after
-- decay and cap; for engagement, events is how many events of the kind
-- counted and raw_points their points before decay and cap. The lead's
-- attributes are echoed so a fit rule's match can be read off the row.
-- Parameters: as score, and $leads (VARCHAR[]).
SELECT p.lead_id, p.scored_at, p.part, p.rule, round(p.points, 4) AS points, p.events, p.raw_points,
       l.company_size, l.industry, l.country, l.title
FROM score_parts($as_of::TIMESTAMPTZ, $at_mode::VARCHAR, $at_days::DOUBLE,
        $fit_rule::VARCHAR[], $fit_points::DOUBLE[], $fit_size_min::DOUBLE[], $fit_size_max::DOUBLE[], $fit_title::VARCHAR[],
        $fit_in_rule::BIGINT[], $fit_in_dim::VARCHAR[], $fit_in_value::VARCHAR[],
        $eng_kind::VARCHAR[], $eng_points::DOUBLE[], $eng_half_life::DOUBLE[], $eng_max::DOUBLE[]) p
JOIN leads l USING (lead_id)
WHERE list_contains($leads::VARCHAR[], p.lead_id)
ORDER BY p.lead_id, p.rule_order;
