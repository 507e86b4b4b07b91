package casework

import (
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/tiles"
)

// TileLayer is the "cases" map layer: every case as a point with its
// number, category, status and lead unit, as vector tiles, GeoJSON and an
// OGC API Features collection. It is scoped by grid (a worker sees its
// grids' cases, a center its subtree); departments, whose access is by
// unit rather than by place, read cases through the case API instead.
func TileLayer() tiles.Layer {
	return tiles.Layer{
		Name: "cases", Title: "案件", TitleEN: "Cases", Geometry: "point",
		Fields: []tiles.Field{
			{Name: "id", Type: tiles.Number, Description: "case id", DescZH: "案件ID"},
			{Name: "number", Type: tiles.String, Description: "case number YYYY-MM-NNNNNN", DescZH: "案件编号"},
			{Name: "category", Type: tiles.String, Description: "small-class category code", DescZH: "小类编码"},
			{Name: "category_name", Type: tiles.String, Description: "category name", DescZH: "小类名称"},
			{Name: "status", Type: tiles.String, Description: "status, e.g. reported, dispatched, closed", DescZH: "状态"},
			{Name: "emergency", Type: tiles.Boolean, Description: "emergency flag", DescZH: "紧急"},
			{Name: "grid_code", Type: tiles.String, Description: "basic grid code", DescZH: "所属网格"},
			{Name: "lead_unit", Type: tiles.String, Description: "lead unit (department code)", DescZH: "主办单位"},
			{Name: "reported_at", Type: tiles.String, Description: "report time (RFC 3339)", DescZH: "上报时间"},
		},
		MinZoom: 0, MaxZoom: 22, Revisions: []string{"cases"},
		Roles:  []people.Role{people.RoleAdmin, people.RoleCenter, people.RoleViewer, people.RoleWorker},
		Scoped: true, Collection: true,
	}
}
