-- marketing_sla: MQLs delivered per month and segment against marketing's
-- commitment (METRICS.md, "SLA compliance", marketing SLA).
--
-- Grain: one row per month x segment, for every segment that has a
-- commitment or delivered an MQL, and every month of the period (months
-- with no MQL included).
-- mqls: leads whose entered_at(mql) falls in the month (cut in $tz);
-- skipped stages count (a lead straight to sql delivered an MQL then).
-- commitment: $commitments[segment], MQLs per month; NULL when there is
-- none. shortfall = commitment - mqls when positive, else 0; NULL without a
-- commitment. met: mqls >= commitment. complete: the month ended at or
-- before $as_of; a month still running (its shortfall can still shrink)
-- is marked false, never mixed up with a month that fell short.
-- Months: from the month of $from (or of the first MQL) to the month of the
-- end of the period (or of $as_of).
-- Parameters: $as_of, $from/$to (on entered_at(mql)), $tz, $commitments
-- (MAP(VARCHAR, DOUBLE)), $filters.
WITH delivered AS (
    SELECT date_trunc('month', s.e_mql AT TIME ZONE $tz) AS month, d.segment, count(*) AS mqls
    FROM lead_stages($as_of::TIMESTAMPTZ) s JOIN lead_dims() d USING (lead_id)
    WHERE s.e_mql IS NOT NULL
      AND in_period(s.e_mql, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
      AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry, d.owner_id, d.owner, d.team)
    GROUP BY ALL
), bounds AS (
    SELECT coalesce(date_trunc('month', $from::TIMESTAMPTZ AT TIME ZONE $tz), min(month)) AS first_month,
           date_trunc('month', least(coalesce($to::TIMESTAMPTZ - INTERVAL 1 MICROSECOND, $as_of::TIMESTAMPTZ), $as_of::TIMESTAMPTZ) AT TIME ZONE $tz) AS last_month
    FROM delivered
), months AS (
    SELECT unnest(generate_series(first_month, last_month, INTERVAL 1 MONTH)) AS month
    FROM bounds WHERE first_month IS NOT NULL
), segments AS (
    SELECT unnest(map_keys($commitments::MAP(VARCHAR, DOUBLE))) AS segment
    UNION
    SELECT DISTINCT segment FROM delivered
)
SELECT strftime(m.month, '%Y-%m') AS month,
       s.segment,
       coalesce(d.mqls, 0) AS mqls,
       ($commitments::MAP(VARCHAR, DOUBLE))[s.segment] AS commitment,
       CASE WHEN ($commitments::MAP(VARCHAR, DOUBLE))[s.segment] IS NOT NULL
            THEN greatest(($commitments::MAP(VARCHAR, DOUBLE))[s.segment] - coalesce(d.mqls, 0), 0) END AS shortfall,
       coalesce(d.mqls, 0) >= ($commitments::MAP(VARCHAR, DOUBLE))[s.segment] AS met,
       timezone($tz, m.month + INTERVAL 1 MONTH) <= $as_of::TIMESTAMPTZ AS complete
FROM months m CROSS JOIN segments s
LEFT JOIN delivered d ON d.month = m.month AND d.segment = s.segment
ORDER BY m.month, s.segment;
