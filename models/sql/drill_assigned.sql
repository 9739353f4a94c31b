-- drill_assigned: the assignments behind response and the first-touch SLA:
-- each assignment made in [$from, $to), with its first-touch clock.
--
-- Grain: one row per assignment (a lead assigned twice is listed twice),
-- slowest first; columns as drill_created. owner and team are the
-- assignee's (as in response). event_at: assigned_at. minutes: to the first sales
-- touch on the SLA's clock, or so far when there was none. outcome: the
-- SLA status (met, breached, pending, superseded), with 'no touch' added
-- when nobody touched the lead.
-- Parameters: $as_of, $from/$to, $filters, $ft_clock, $ft_limit_minutes,
-- $ft_limit_workdays.
SELECT i.lead_id, d.company, d.source, d.campaign, d.segment, d.region,
       blank(owner_name(i.owner_id, u.name)) AS owner, blank(owner_team(i.owner_id, u.team)) AS team, d.stage,
       i.started_at AS event_at,
       i.status || CASE WHEN i.stopped_at IS NULL THEN ', no touch' ELSE '' END AS outcome,
       i.elapsed_min AS minutes, NULL::DOUBLE AS amount
FROM sla_instances($as_of::TIMESTAMPTZ, 'assignment', 'first_sales_touch', $ft_clock,
                   $ft_limit_minutes::DOUBLE, $ft_limit_workdays::DOUBLE) i
JOIN drill_dims($as_of::TIMESTAMPTZ) d USING (lead_id)
LEFT JOIN users u ON u.user_id = i.owner_id
WHERE in_period(i.started_at, $from::TIMESTAMPTZ, $to::TIMESTAMPTZ)
  AND dims_pass($filters::MAP(VARCHAR, VARCHAR[]), d.source, d.campaign, d.segment, d.region, d.industry,
                i.owner_id, blank(owner_name(i.owner_id, u.name)), blank(owner_team(i.owner_id, u.team)))
ORDER BY minutes DESC, event_at, lead_id;
