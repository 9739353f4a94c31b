-- lead_context: one lead as sales meets it at the handoff: who it is, where
-- it came from, where it stands (the context packet; docs/reports.md,
-- "The context packet").
--
-- Grain: one row for $lead_id, none when the lake has no such lead.
-- stage and stage_since: the current stage as of $as_of (as in aging).
-- mql_at: entered_at(mql), a skipped mql counted. Attribution is the lead's
-- original source and campaign (first touch, as in sources).
-- Parameters: $as_of, $lead_id.
SELECT d.lead_id, l.company, l.email_domain, l.title, l.industry, l.company_size, d.segment,
       l.country, l.region, l.created_at, d.source, d.campaign,
       l.owner_id, d.owner, d.team,
       s.current_stage AS stage, s.current_since AS stage_since, s.e_mql AS mql_at
FROM lead_dims() d JOIN leads l USING (lead_id)
LEFT JOIN lead_stages($as_of::TIMESTAMPTZ) s USING (lead_id)
WHERE d.lead_id = $lead_id::VARCHAR;
