-- latest_event: the newest event in the lake, the default as-of time of
-- every report (a historical export reads as of its own end).
--
-- Grain: one row, one column; NULL when the lake holds no event.
-- Events: lead creation and update, stage changes, activities,
-- assignments, dispositions, opportunity creation and close. Spend months
-- and users are not events.
-- Parameters: none.
SELECT greatest(
    (SELECT max(greatest(created_at, coalesce(updated_at, created_at))) FROM leads),
    (SELECT max(changed_at) FROM stage_changes),
    (SELECT max(occurred_at) FROM activities),
    (SELECT max(assigned_at) FROM assignments),
    (SELECT max(decided_at) FROM dispositions),
    (SELECT max(greatest(created_at, coalesce(closed_at, created_at))) FROM opportunities)
) AS latest;
