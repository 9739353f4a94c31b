-- sla: compliance with one named SLA (METRICS.md, "SLA compliance").
--
-- Grain: one row per breakdown value (one row without a breakdown) for the
-- SLA described by the parameters; reports run it once per configured SLA.
-- Instances: sla_instances in base.sql ($start_event, $stop_event, $clock,
-- $limit_minutes or $limit_workdays). met: stopped within the limit (elapsed
-- <= limit). breached: stopped late, or still running past the limit, or
-- reassigned after running past it. pending: still running inside the
-- limit; shown, never counted. superseded: reassigned inside the limit
-- with no stop; shown, never counted.
-- compliance = met / (met + breached), NULL when both are 0.
-- Breakdowns: owner and team are the instance's owner (the assignee, or the
-- lead's owner for an mql start); week is of the start in $tz.
-- Parameters: $as_of, $from/$to (on the start), $tz, $by, $filters, and the
-- SLA's own parameters above; $sla_name is echoed in the sla column.
WITH inst AS (
    SELECT i.*, d.source, d.campaign, d.segment, d.region, d.industry,
           blank(owner_name(i.owner_id, u.name)) AS owner, blank(owner_team(i.owner_id, u.team)) AS team
    FROM sla_instances($as_of::TIMESTAMPTZ, $start_event, $stop_event, $clock,
                       $limit_minutes::DOUBLE, $limit_workdays::DOUBLE) i
    JOIN lead_dims() d USING (lead_id)
    LEFT JOIN users u ON u.user_id = i.owner_id
    WHERE in_period(i.started_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
)
SELECT $sla_name::VARCHAR AS sla,
       CASE $by WHEN 'week' THEN strftime(period_start(started_at, 'week', $tz), '%Y-%m-%d')
                ELSE dim_value($by, source, campaign, segment, region, industry, owner, team) END AS dim,
       count(*) FILTER (WHERE status = 'met') AS met,
       count(*) FILTER (WHERE status = 'breached') AS breached,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'superseded') AS superseded,
       count(*) FILTER (WHERE status = 'met')
           / nullif(count(*) FILTER (WHERE status IN ('met', 'breached')), 0) AS compliance
FROM inst
WHERE dims_pass($filters::MAP(VARCHAR, VARCHAR[]), source, campaign, segment, region, industry, owner_id, owner, team)
GROUP BY dim
ORDER BY dim;
