-- lead_owners: each lead's current owner id as the lake has it, for the CRM
-- export ('' when none).
--
-- Grain: one row per lead.
-- Parameters: none.
SELECT lead_id, coalesce(owner_id, '') AS owner_id FROM leads ORDER BY lead_id;
