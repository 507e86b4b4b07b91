package httpapi

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/gridd/gridd/internal/workday"
)

// registerOGCRoutes serves OGC API - Features - Part 1: Core at /ogc
// (bearer token or ?key=; GeoJSON by default, HTML with ?f=html or
// Accept: text/html; CRS84 coordinates):
//
//	GET /ogc, /ogc/                                  landing page
//	GET /ogc/api                                     OpenAPI 3.0 document (service-desc)
//	GET /ogc/conformance                             conformance classes
//	GET /ogc/collections                             grids-level-N, zones, roads
//	GET /ogc/collections/{collectionId}              one collection
//	GET /ogc/collections/{collectionId}/items        bbox, limit (≤10000), offset, datetime (grids: as of)
//	GET /ogc/collections/{collectionId}/items/{featureId}
func (s *Server) registerOGCRoutes(r chi.Router) {
	r.Get("/ogc", s.h(s.ogcLanding))
	r.Get("/ogc/", s.h(s.ogcLanding)) // the OpenAPI document's "/" path under server …/ogc
	r.Get("/ogc/api", s.h(s.ogcAPI))
	r.Get("/ogc/conformance", s.h(s.ogcConformance))
	r.Get("/ogc/collections", s.h(s.ogcCollections))
	r.Get("/ogc/collections/{collectionId}", s.h(s.ogcCollection))
	r.Get("/ogc/collections/{collectionId}/items", s.h(s.ogcItems))
	r.Get("/ogc/collections/{collectionId}/items/{featureId}", s.h(s.ogcItem))
}

const (
	crs84       = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	maxOGCLimit = 10000
	mediaGeo    = "application/geo+json"
	mediaOAS    = "application/vnd.oai.openapi+json;version=3.0"
)

var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
}

type ogcLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// wantHTML reports whether the client asked for the HTML view.
func wantHTML(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("f"); f {
	case "html":
		return true, nil
	case "json", "geojson":
		return false, nil
	case "":
		acc := r.Header.Get("Accept")
		return strings.Contains(acc, "text/html") && !strings.Contains(acc, "json"), nil
	default:
		return false, errs.Invalidf("f", "invalid_parameter", "want json or html, got %q", f)
	}
}

// tr picks the Chinese or English text.
func tr(r *http.Request, zh, en string) string {
	if lang(r) == "en" {
		return en
	}
	return zh
}

// civilDay is the date of t in Asia/Shanghai as UTC midnight.
func civilDay(t time.Time) time.Time {
	t = t.In(workday.Shanghai())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// selfLinks are the self and alternate links of the current path.
func selfLinks(r *http.Request, jsonType string, html bool) []ogcLink {
	q := url.Values{}
	for k, v := range r.URL.Query() {
		if k != "f" && k != "key" {
			q[k] = v
		}
	}
	withF := func(f string) url.Values {
		c := url.Values{}
		for k, v := range q {
			c[k] = v
		}
		c.Set("f", f)
		return c
	}
	self, alt := ogcLink{Rel: "self", Type: jsonType}, ogcLink{Rel: "alternate", Type: "text/html", Title: "HTML"}
	self.Href, alt.Href = linkTo(r, r.URL.Path, withF("json")), linkTo(r, r.URL.Path, withF("html"))
	if html {
		self, alt = ogcLink{Rel: "self", Type: "text/html", Href: alt.Href, Title: "HTML"}, ogcLink{Rel: "alternate", Type: jsonType, Href: self.Href, Title: "JSON"}
	}
	return []ogcLink{self, alt}
}

func (s *Server) ogcLanding(w http.ResponseWriter, r *http.Request) error {
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	links := append(selfLinks(r, "application/json", html),
		ogcLink{Rel: "service-desc", Type: mediaOAS, Href: linkTo(r, "/ogc/api", nil), Title: tr(r, "接口定义（OpenAPI）", "API definition (OpenAPI)")},
		ogcLink{Rel: "conformance", Type: "application/json", Href: linkTo(r, "/ogc/conformance", nil), Title: tr(r, "符合性声明", "Conformance")},
		ogcLink{Rel: "data", Type: "application/json", Href: linkTo(r, "/ogc/collections", nil), Title: tr(r, "图层集合", "Collections")},
	)
	body := map[string]any{
		"title":       tr(r, "gridd 网格化管理地图要素服务", "gridd grid management features"),
		"description": tr(r, "网格、区域、道路的 OGC API Features 服务（CRS84 坐标）", "OGC API Features of grids, zones and roads (CRS84 coordinates)"),
		"links":       links,
	}
	if html {
		return s.ogcHTML(w, r, page{Title: body["title"].(string), Intro: body["description"].(string), Links: links})
	}
	return s.ok(w, r, body)
}

func (s *Server) ogcConformance(w http.ResponseWriter, r *http.Request) error {
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	if html {
		p := page{Title: tr(r, "符合性声明", "Conformance"), Links: selfLinks(r, "application/json", true)}
		for _, c := range conformance {
			p.Rows = append(p.Rows, []string{c})
		}
		p.Header = []string{tr(r, "符合性类", "Conformance class")}
		return s.ogcHTML(w, r, p)
	}
	return s.ok(w, r, map[string]any{"conformsTo": conformance})
}

// ogcCollection is a collection: a layer, or one level of a layer by level.
type ogcCollection struct {
	layer *tiles.Layer
	level *int
}

func (c ogcCollection) id() string {
	if c.level != nil {
		return c.layer.Name + "-level-" + strconv.Itoa(*c.level)
	}
	return c.layer.Name
}

// collections lists the collections the caller may read.
func (s *Server) collections(r *http.Request) ([]ogcCollection, error) {
	p := principal(r)
	var out []ogcCollection
	var levels []int
	for _, l := range s.Tiles.Registry.ReadableLayers(p) {
		if !l.Collection {
			continue
		}
		if !l.ByLevel {
			out = append(out, ogcCollection{layer: l})
			continue
		}
		if levels == nil {
			var err error
			if levels, err = s.Features.Levels(r.Context()); err != nil {
				return nil, err
			}
		}
		for _, n := range levels {
			out = append(out, ogcCollection{layer: l, level: &n})
		}
	}
	return out, nil
}

func (s *Server) findCollection(r *http.Request) (ogcCollection, error) {
	id := chi.URLParam(r, "collectionId")
	cs, err := s.collections(r)
	if err != nil {
		return ogcCollection{}, err
	}
	e := errs.E(errs.NotFound, "collection_not_found", "no collection %q", id)
	for _, c := range cs {
		if c.id() == id {
			return c, nil
		}
		e.Allowed = append(e.Allowed, c.id())
	}
	return ogcCollection{}, e
}

func (s *Server) query(r *http.Request, c ogcCollection) (tiles.FeatureQuery, error) {
	params, err := c.layer.ParamsFrom(r.URL.Query().Get)
	return tiles.FeatureQuery{Layer: c.layer.Name, Scope: scopeCodes(c.layer, principal(r)), Level: c.level, Day: s.Tiles.Day(), Params: params}, err
}

func (s *Server) collectionJSON(r *http.Request, c ogcCollection, html bool) (map[string]any, error) {
	q, err := s.query(r, c)
	if err != nil {
		return nil, err
	}
	bounds, err := s.Features.Extent(r.Context(), q)
	if err != nil {
		return nil, err
	}
	title := tr(r, c.layer.Title, c.layer.TitleEN)
	if c.level != nil {
		title += tr(r, "（第 "+strconv.Itoa(*c.level)+" 级）", " (level "+strconv.Itoa(*c.level)+")")
	}
	base := "/ogc/collections/" + c.id()
	links := []ogcLink{
		{Rel: "self", Type: "application/json", Href: linkTo(r, base, url.Values{"f": {"json"}})},
		{Rel: "alternate", Type: "text/html", Href: linkTo(r, base, url.Values{"f": {"html"}})},
		{Rel: "items", Type: mediaGeo, Href: linkTo(r, base+"/items", url.Values{"f": {"json"}}), Title: tr(r, "要素", "Features")},
		{Rel: "items", Type: "text/html", Href: linkTo(r, base+"/items", url.Values{"f": {"html"}}), Title: tr(r, "要素（网页）", "Features (HTML)")},
	}
	out := map[string]any{
		"id": c.id(), "title": title, "itemType": "feature", "crs": supportedCRS, "storageCrs": crs84, "links": links,
	}
	ext := map[string]any{}
	if bounds != nil {
		ext["spatial"] = map[string]any{"bbox": [][]float64{bounds}, "crs": crs84}
	}
	if c.layer.Temporal {
		ext["temporal"] = map[string]any{"interval": [][]any{{nil, nil}}, "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
	}
	if len(ext) > 0 {
		out["extent"] = ext
	}
	_ = html
	return out, nil
}

func (s *Server) ogcCollections(w http.ResponseWriter, r *http.Request) error {
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	cs, err := s.collections(r)
	if err != nil {
		return err
	}
	list := []map[string]any{}
	for _, c := range cs {
		cj, err := s.collectionJSON(r, c, html)
		if err != nil {
			return err
		}
		list = append(list, cj)
	}
	links := selfLinks(r, "application/json", html)
	if html {
		p := page{Title: tr(r, "图层集合", "Collections"), Links: links, Header: []string{"id", tr(r, "名称", "Title")}}
		for _, c := range list {
			p.Rows = append(p.Rows, []string{c["id"].(string), c["title"].(string)})
			p.RowLinks = append(p.RowLinks, linkTo(r, "/ogc/collections/"+c["id"].(string)+"/items", url.Values{"f": {"html"}}))
		}
		return s.ogcHTML(w, r, p)
	}
	return s.ok(w, r, map[string]any{"links": links, "collections": list})
}

func (s *Server) ogcCollection(w http.ResponseWriter, r *http.Request) error {
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	c, err := s.findCollection(r)
	if err != nil {
		return err
	}
	cj, err := s.collectionJSON(r, c, html)
	if err != nil {
		return err
	}
	if html {
		p := page{Title: cj["title"].(string), Links: cj["links"].([]ogcLink), Header: []string{tr(r, "字段", "Field"), tr(r, "类型", "Type"), tr(r, "说明", "Description")}}
		for _, f := range c.layer.Fields {
			p.Rows = append(p.Rows, []string{f.Name, string(f.Type), tr(r, f.DescZH, f.Description)})
		}
		return s.ogcHTML(w, r, p)
	}
	return s.ok(w, r, cj)
}

// geoJSONFeature is a feature whose properties and geometry are already JSON.
type geoJSONFeature struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
	Links      []ogcLink       `json:"links,omitempty"`
}

type geoJSONCollection struct {
	Type           string           `json:"type"`
	Features       []geoJSONFeature `json:"features"`
	NumberMatched  *int             `json:"numberMatched,omitempty"`
	NumberReturned int              `json:"numberReturned"`
	TimeStamp      string           `json:"timeStamp,omitempty"`
	Links          []ogcLink        `json:"links,omitempty"`
}

func featuresJSON(fs []tiles.Feature) []geoJSONFeature {
	out := make([]geoJSONFeature, len(fs))
	for i, f := range fs {
		out[i] = geoJSONFeature{Type: "Feature", ID: f.ID, Geometry: f.Geometry, Properties: f.Properties}
	}
	return out
}

// itemsQuery parses bbox, limit, offset and datetime.
func (s *Server) itemsQuery(r *http.Request, c ogcCollection) (tiles.FeatureQuery, error) {
	q, err := s.query(r, c)
	if err != nil {
		return q, err
	}
	bc, err := checkCRS("bbox-crs", r.URL.Query().Get("bbox-crs"))
	if err != nil {
		return q, err
	}
	if q.BBox, err = queryBBoxAxes(r, bc == epsg4490); err != nil {
		return q, err
	}
	if q.Limit, err = queryInt(r, "limit", 100, 1, 1<<30); err != nil {
		return q, err
	}
	q.Limit = min(q.Limit, maxOGCLimit)
	if q.Offset, err = queryInt(r, "offset", 0, 0, 1<<30); err != nil {
		return q, err
	}
	if v := r.URL.Query().Get("datetime"); v != "" {
		if !c.layer.Temporal {
			return q, errs.Invalidf("datetime", "invalid_parameter", "collection %s has no history; leave datetime out", c.id())
		}
		if strings.Contains(v, "/") {
			return q, errs.Invalidf("datetime", "invalid_parameter", "want one instant (RFC 3339 or YYYY-MM-DD): the grids valid at that time; intervals are not supported, got %q", v)
		}
		if q.AsOf, err = parseInstant("datetime", v); err != nil {
			return q, err
		}
		q.Day = civilDay(*q.AsOf)
	}
	return q, nil
}

// itemsRequest reads what the items and item routes share: the format
// asked for, the collection, the query and the output CRS.
func (s *Server) itemsRequest(w http.ResponseWriter, r *http.Request) (html bool, c ogcCollection, q tiles.FeatureQuery, crs string, err error) {
	if html, err = wantHTML(r); err != nil {
		return
	}
	if c, err = s.findCollection(r); err != nil {
		return
	}
	if q, err = s.itemsQuery(r, c); err != nil {
		return
	}
	crs, err = outputCRS(w, r)
	return
}

func (s *Server) ogcItems(w http.ResponseWriter, r *http.Request) error {
	html, c, q, crs, err := s.itemsRequest(w, r)
	if err != nil {
		return err
	}
	fs, matched, err := s.Features.Features(r.Context(), q)
	if err != nil {
		return err
	}
	if fs, err = inCRS(fs, crs); err != nil {
		return err
	}
	links := selfLinks(r, mediaGeo, html)
	page := func(rel string, offset int) ogcLink {
		v := url.Values{}
		for k, vs := range r.URL.Query() {
			if k != "key" {
				v[k] = vs
			}
		}
		v.Set("offset", strconv.Itoa(offset))
		v.Set("limit", strconv.Itoa(q.Limit))
		typ := mediaGeo
		if html {
			typ = "text/html"
		}
		return ogcLink{Rel: rel, Type: typ, Href: linkTo(r, r.URL.Path, v)}
	}
	if q.Offset+len(fs) < matched {
		links = append(links, page("next", q.Offset+len(fs)))
	}
	if q.Offset > 0 {
		links = append(links, page("prev", max(0, q.Offset-q.Limit)))
	}
	links = append(links, ogcLink{Rel: "collection", Type: "application/json", Href: linkTo(r, "/ogc/collections/"+c.id(), nil)})
	if html {
		return s.ogcHTML(w, r, itemsPage(r, c, fs, matched, links))
	}
	s.writeJSON(w, r, http.StatusOK, mediaGeo, geoJSONCollection{Type: "FeatureCollection", Features: featuresJSON(fs),
		NumberMatched: &matched, NumberReturned: len(fs), TimeStamp: s.Now().UTC().Format(time.RFC3339), Links: links})
	return nil
}

func (s *Server) ogcItem(w http.ResponseWriter, r *http.Request) error {
	html, c, q, crs, err := s.itemsRequest(w, r)
	if err != nil {
		return err
	}
	f, err := s.Features.Feature(r.Context(), q, chi.URLParam(r, "featureId"))
	if err != nil {
		return err
	}
	if fs, err := inCRS([]tiles.Feature{*f}, crs); err != nil {
		return err
	} else {
		f = &fs[0]
	}
	links := append(selfLinks(r, mediaGeo, html),
		ogcLink{Rel: "collection", Type: "application/json", Href: linkTo(r, "/ogc/collections/"+c.id(), nil)})
	if html {
		return s.ogcHTML(w, r, itemsPage(r, c, []tiles.Feature{*f}, 1, links))
	}
	gf := featuresJSON([]tiles.Feature{*f})[0]
	gf.Links = links
	s.writeJSON(w, r, http.StatusOK, mediaGeo, gf)
	return nil
}

func itemsPage(r *http.Request, c ogcCollection, fs []tiles.Feature, matched int, links []ogcLink) page {
	p := page{Title: tr(r, c.layer.Title, c.layer.TitleEN) + " · " + c.id(), Links: links, Header: append([]string{"id"}, c.layer.FieldNames()...)}
	p.Intro = tr(r, "共 "+strconv.Itoa(matched)+" 个要素，本页 "+strconv.Itoa(len(fs))+" 个", strconv.Itoa(matched)+" features, "+strconv.Itoa(len(fs))+" on this page")
	for _, f := range fs {
		var props map[string]any
		_ = json.Unmarshal(f.Properties, &props)
		row := []string{f.ID}
		for _, name := range c.layer.FieldNames() {
			row = append(row, cell(props[name]))
		}
		p.Rows = append(p.Rows, row)
		p.RowLinks = append(p.RowLinks, linkTo(r, "/ogc/collections/"+c.id()+"/items/"+url.PathEscape(f.ID), url.Values{"f": {"html"}}))
	}
	return p
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// page is the content of one server-rendered HTML view.
type page struct {
	Lang     string
	Title    string
	Intro    string
	Links    []ogcLink
	Header   []string
	Rows     [][]string
	RowLinks []string // link of each row's first cell, when set
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style>
</head><body>
<h1>{{.Title}}</h1>
{{with .Intro}}<p>{{.}}</p>{{end}}
<ul>{{range .Links}}<li><a rel="{{.Rel}}" href="{{.Href}}">{{if .Title}}{{.Title}}{{else}}{{.Rel}}{{end}}</a> <small>{{.Type}}</small></li>{{end}}</ul>
{{if .Header}}<table><thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range $i, $row := .Rows}}<tr>{{range $j, $c := $row}}<td>{{if and (eq $j 0) (lt $i (len $.RowLinks))}}<a href="{{index $.RowLinks $i}}">{{$c}}</a>{{else}}{{$c}}{{end}}</td>{{end}}</tr>
{{end}}</tbody></table>{{end}}
</body></html>
`))

func (s *Server) ogcHTML(w http.ResponseWriter, r *http.Request, p page) error {
	p.Lang = tr(r, "zh-CN", "en")
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, p); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}
