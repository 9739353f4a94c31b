-- sources: leads, stage counts, conversion, won revenue, spend, cost and ROI
-- per original source, and per campaign when $by = 'campaign' (METRICS.md,
-- "Source performance and ROI"), or per score band when $by =
-- 'score_band' (spend cannot be split by band: $spend_known is false).
--
-- Grain: one row per source (x campaign). Attribution: the lead's own
-- source and campaign columns (its original source, first touch).
-- Leads: created in [$from, $to) and at or before $as_of. mqls, sqls,
-- opportunities, customers: of those leads, the ones that reached the stage
-- by $as_of (skipped stages count as passed). won_revenue: amounts of won
-- opportunities of those leads closed by $as_of; amounts are summed as they
-- are (one currency assumed).
-- spend: the spend file's amounts for the months the period touches (from
-- the month holding $from to the month holding the end of the period, both
-- whole, cut in $tz). A source or campaign with spend and no leads is still
-- a row. Missing spend is NULL (unknown), never 0, and so are the costs and
-- ROI built on it. Spend cannot be split by region, segment, industry, owner
-- or team: when such a filter is set, $spend_known is false and spend is
-- NULL throughout.
-- roi = (won_revenue - spend) / spend. Rates are NULL when their
-- denominator is 0.
-- Parameters: $as_of, $from/$to, $tz, $by ('' or 'campaign'), $filters,
-- $spend_known (BOOLEAN).
WITH cohort AS (
    SELECT d.lead_id, d.source,
           CASE $by WHEN 'campaign' THEN d.campaign WHEN 'score_band' THEN d.score_band END AS campaign,
           s.e_mql, s.e_sql, s.e_opportunity, s.e_customer
    FROM lead_dims() d LEFT JOIN lead_stages($as_of::TIMESTAMPTZ) s USING (lead_id)
    WHERE d.created_at <= $as_of::TIMESTAMPTZ
      AND in_period(d.created_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
      AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry, d.owner_id, d.owner, d.team)
), won AS (
    SELECT lead_id, sum(amount) AS revenue
    FROM opportunities
    WHERE won AND closed_at <= $as_of::TIMESTAMPTZ AND lead_id IS NOT NULL
    GROUP BY lead_id
), lead_rows AS (
    SELECT c.source, c.campaign,
           count(*) AS leads, count(c.e_mql) AS mqls, count(c.e_sql) AS sqls,
           count(c.e_opportunity) AS opportunities, count(c.e_customer) AS customers,
           coalesce(sum(w.revenue), 0) AS won_revenue
    FROM cohort c LEFT JOIN won w USING (lead_id)
    GROUP BY c.source, c.campaign
), spend_rows AS (
    SELECT blank(sp.source) AS source,
           CASE WHEN $by = 'campaign' THEN blank(sp.campaign) END AS campaign,
           sum(sp.amount) AS spend
    FROM spend sp
    WHERE $spend_known::BOOLEAN
      AND ($from::TIMESTAMPTZ IS NULL OR sp.month >= date_trunc('month', $from::TIMESTAMPTZ AT TIME ZONE $tz))
      AND ($to::TIMESTAMPTZ IS NULL OR sp.month < $to::TIMESTAMPTZ AT TIME ZONE $tz)
      AND (($filters::MAP(VARCHAR, VARCHAR[]))['source'] IS NULL OR list_contains(($filters::MAP(VARCHAR, VARCHAR[]))['source'], blank(sp.source)))
      AND (($filters::MAP(VARCHAR, VARCHAR[]))['campaign'] IS NULL OR list_contains(($filters::MAP(VARCHAR, VARCHAR[]))['campaign'], blank(sp.campaign)))
    GROUP BY ALL
), joined AS (
    SELECT coalesce(l.source, s.source) AS source,
           coalesce(l.campaign, s.campaign) AS campaign,
           coalesce(l.leads, 0) AS leads, coalesce(l.mqls, 0) AS mqls, coalesce(l.sqls, 0) AS sqls,
           coalesce(l.opportunities, 0) AS opportunities, coalesce(l.customers, 0) AS customers,
           coalesce(l.won_revenue, 0) AS won_revenue,
           s.spend
    FROM lead_rows l FULL JOIN spend_rows s
      ON s.source = l.source AND s.campaign IS NOT DISTINCT FROM l.campaign
)
SELECT source,
       campaign AS dim,
       leads, mqls, sqls, opportunities, customers,
       mqls / nullif(leads, 0) AS mql_rate,
       sqls / nullif(mqls, 0) AS sql_rate,
       opportunities / nullif(sqls, 0) AS opportunity_rate,
       customers / nullif(opportunities, 0) AS win_rate,
       customers / nullif(leads, 0) AS lead_to_customer,
       won_revenue,
       spend,
       spend / nullif(leads, 0) AS cost_per_lead,
       spend / nullif(mqls, 0) AS cost_per_mql,
       spend / nullif(customers, 0) AS cost_per_customer,
       (won_revenue - spend) / nullif(spend, 0) AS roi
FROM joined
ORDER BY source, dim;
