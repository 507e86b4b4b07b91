package tiles

// TileJSON is a TileJSON 3.0.0 document for one layer.
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Version      string        `json:"version"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       []float64     `json:"bounds,omitempty"`
	Center       []float64     `json:"center,omitempty"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes a layer inside the tiles.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// TileJSON describes l served at tilesURL (a {z}/{x}/{y} template) with the
// given WGS84 bounds (minLon, minLat, maxLon, maxLat; nil when the layer is
// empty); fields map to their type (String, Number, Boolean). The title is
// Chinese unless en.
func (l *Layer) TileJSON(tilesURL string, bounds []float64, en bool) TileJSON {
	title := l.Title
	if en {
		title = l.TitleEN
	}
	vl := VectorLayer{ID: l.Name, Description: title, MinZoom: l.MinZoom, MaxZoom: l.MaxZoom, Fields: map[string]string{}}
	for _, f := range l.Fields {
		vl.Fields[f.Name] = string(f.Type)
	}
	tj := TileJSON{TileJSON: "3.0.0", Name: l.Name, Description: title, Version: "1.0.0", Scheme: "xyz",
		Tiles: []string{tilesURL}, MinZoom: l.MinZoom, MaxZoom: l.MaxZoom, VectorLayers: []VectorLayer{vl}}
	if len(bounds) == 4 {
		tj.Bounds = bounds
		z := min(max(l.MinZoom, 12), l.MaxZoom)
		tj.Center = []float64{(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, float64(z)}
	}
	return tj
}
