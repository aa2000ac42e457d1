-- name: FiguresFold :one
-- Moves the maintained figures' deltas into their folded tables (schema/00004);
-- returns how many delta rows it folded, 0 when another fold is running.
SELECT figures_fold()::bigint AS folded;

