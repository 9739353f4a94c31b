-- score_bands: each lead's score band, the quadrant of its score at
-- handoff (score.sql's quadrant; score_at in base.sql with $at_mode
-- 'handoff': the first assignment, or created + $at_days for a lead never
-- assigned), as of $as_of. scoring.PrepareBands keeps it in lead_bands for
-- the reports broken down by score_band.
--
-- Grain: one row per lead scored by $as_of.
-- Parameters: as score, without filters.
SELECT lead_id,
       CASE WHEN fit >= $fit_threshold::DOUBLE AND engagement >= $engagement_threshold::DOUBLE THEN 'sales'
            WHEN fit >= $fit_threshold::DOUBLE THEN 'nurture'
            WHEN engagement >= $engagement_threshold::DOUBLE THEN 'watch'
            ELSE 'no_action' END AS score_band
FROM score_totals($as_of::TIMESTAMPTZ, $at_mode::VARCHAR, $at_days::DOUBLE,
    $fit_rule::VARCHAR[], $fit_points::DOUBLE[], $fit_size_min::DOUBLE[], $fit_size_max::DOUBLE[], $fit_title::VARCHAR[],
    $fit_in_rule::BIGINT[], $fit_in_dim::VARCHAR[], $fit_in_value::VARCHAR[],
    $eng_kind::VARCHAR[], $eng_points::DOUBLE[], $eng_half_life::DOUBLE[], $eng_max::DOUBLE[])
