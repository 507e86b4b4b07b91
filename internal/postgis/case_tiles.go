package postgis

import "github.com/gridd/gridd/internal/tiles"

// The "cases" map layer (casework.TileLayer): its tile query and feature
// source, in the shape of the other layers'. @scope holds grid-subtree
// roots; a case's grid_chain holds its grid and every ancestor, so
// "in scope" is an array overlap.
// The stage clock's attributes (casework/clock.go) at @now, the injected
// clock: empty strings when no clock runs. Tiles are cached by the layer's
// revision, so the clock job bumps it when a case's light changes.
const (
	caseRunning     = `c.status NOT IN ('rejected', 'closed', 'merged')`
	caseStageSQL    = `CASE WHEN ` + caseRunning + ` THEN coalesce(c.stage, '') ELSE '' END`
	caseStageDueSQL = `CASE WHEN ` + caseRunning + ` AND c.due_at IS NOT NULL
	  THEN to_char(c.due_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"') ELSE '' END`
	caseLightSQL = `CASE WHEN NOT (` + caseRunning + `) OR c.due_at IS NULL THEN ''
	  WHEN c.due_at <= @now::timestamptz THEN 'red' WHEN c.warn_at <= @now::timestamptz THEN 'yellow' ELSE 'green' END`
	caseClockAttrs = caseStageSQL + ` AS stage, ` + caseStageDueSQL + ` AS stage_due, ` + caseLightSQL + ` AS deadline_state`
)

// casesTile is the cases layer in tileQueries.
func casesTile(scoped bool) string {
	return `
SELECT coalesce(ST_AsMVT(f, 'cases', 4096, 'geom'), '') FROM (
	SELECT ST_AsMVTGeom(ST_Transform(c.geom, 3857), ST_TileEnvelope(@z, @x, @y), 4096, 64, true) AS geom,
	       c.id, c.number, c.category_code AS category, k.name AS category_name, c.status, c.emergency,
	       coalesce(c.grid_code, '') AS grid_code, coalesce(c.lead_unit, '') AS lead_unit,
	       to_char(c.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"') AS reported_at,
	       ` + caseClockAttrs + `
	FROM cases c JOIN case_categories k ON k.code = c.category_code
	WHERE c.geom && ST_Transform(ST_TileEnvelope(@z, @x, @y, margin => 0.015625), 4326)
	  ` + scopeFilter(scoped, "c.grid_chain && @scope::text[]") + `
	ORDER BY c.id
) f`
}

// casesFeatureSource is the cases source in featureQueries.
func casesFeatureSource(q tiles.FeatureQuery) string {
	scope := ""
	if q.Scope != nil {
		scope = "c.grid_chain && @scope::text[]"
	}
	return `
SELECT lpad(c.id::text, 12, '0') AS id, json_build_object('id', c.id, 'number', c.number, 'category', c.category_code,
	'category_name', k.name, 'status', c.status, 'emergency', c.emergency, 'grid_code', coalesce(c.grid_code, ''),
	'lead_unit', coalesce(c.lead_unit, ''),
	'reported_at', to_char(c.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'),
	'stage', ` + caseStageSQL + `, 'stage_due', ` + caseStageDueSQL + `, 'deadline_state', ` + caseLightSQL + `) AS props, c.geom
FROM cases c JOIN case_categories k ON k.code = c.category_code` +
		where(bboxCond(q, "c.geom"), fidCond(q, "(lpad(c.id::text, 12, '0') = @fid OR c.id::text = @fid)"), scope)
}
