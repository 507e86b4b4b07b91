package httpapi

import (
	"net/http"
)

// ogcAPI serves the OpenAPI 3.0 definition the landing page links as
// service-desc; QGIS reads it before opening a collection.
func (s *Server) ogcAPI(w http.ResponseWriter, r *http.Request) error {
	s.writeJSON(w, r, http.StatusOK, mediaOAS, openAPI(baseURL(r)+"/ogc"))
	return nil
}

type obj = map[string]any

func openAPI(server string) obj {
	param := func(name, in, desc string, required bool, schema obj) obj {
		return obj{"name": name, "in": in, "description": desc, "required": required, "schema": schema}
	}
	ref := func(name string) obj { return obj{"$ref": "#/components/parameters/" + name} }
	resp := func(desc string, media ...string) obj {
		content := obj{}
		for _, m := range media {
			content[m] = obj{"schema": obj{"type": "object"}}
		}
		return obj{"description": desc, "content": content}
	}
	problem := obj{"description": "problem details (RFC 9457)", "content": obj{"application/problem+json": obj{"schema": obj{"type": "object"}}}}
	errors := obj{"400": problem, "401": problem, "403": problem, "404": problem}
	op := func(id, summary string, params []obj, ok obj) obj {
		responses := obj{"200": ok}
		for k, v := range errors {
			responses[k] = v
		}
		o := obj{"operationId": id, "summary": summary, "responses": responses, "tags": []string{"features"}}
		if len(params) > 0 {
			o["parameters"] = params
		}
		return o
	}
	get := func(o obj) obj { return obj{"get": o} }
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "gridd OGC API - Features",
			"version":     "1.0.0",
			"description": "Grids (per level), zones and roads of gridd, in CRS84. Authenticate with a bearer token or an API key in the query parameter key.",
		},
		"servers": []obj{{"url": server}},
		"tags":    []obj{{"name": "features"}},
		"components": obj{
			"securitySchemes": obj{
				"bearer": obj{"type": "http", "scheme": "bearer"},
				"apiKey": obj{"type": "apiKey", "in": "query", "name": "key"},
			},
			"parameters": obj{
				"f":            param("f", "query", "response format", false, obj{"type": "string", "enum": []string{"json", "html"}}),
				"collectionId": param("collectionId", "path", "collection id, e.g. grids-level-3", true, obj{"type": "string"}),
				"featureId":    param("featureId", "path", "feature id (the grid, zone or road code)", true, obj{"type": "string"}),
				"bbox": param("bbox", "query", "minLon,minLat,maxLon,maxLat in CRS84 (minLat,minLon,maxLat,maxLon with bbox-crs EPSG:4490)", false,
					obj{"type": "array", "minItems": 4, "maxItems": 4, "items": obj{"type": "number"}}),
				"bbox-crs": param("bbox-crs", "query", "CRS of bbox (OGC API Features Part 2)", false, obj{"type": "string", "enum": supportedCRS, "default": crs84}),
				"crs":      param("crs", "query", "CRS of the response geometries (OGC API Features Part 2)", false, obj{"type": "string", "enum": supportedCRS, "default": crs84}),
				"limit":    param("limit", "query", "page size", false, obj{"type": "integer", "minimum": 1, "maximum": maxOGCLimit, "default": 100}),
				"offset":   param("offset", "query", "features to skip", false, obj{"type": "integer", "minimum": 0, "default": 0}),
				"datetime": param("datetime", "query", "an instant: the grid versions valid then (grids only)", false, obj{"type": "string"}),
			},
		},
		"security": []obj{{"bearer": []string{}}, {"apiKey": []string{}}},
		"paths": obj{
			"/":            get(op("getLandingPage", "landing page", []obj{ref("f")}, resp("links to the API", "application/json", "text/html"))),
			"/api":         get(op("getAPI", "this document", nil, resp("OpenAPI 3.0", mediaOAS))),
			"/conformance": get(op("getConformance", "conformance classes", []obj{ref("f")}, resp("conformance", "application/json", "text/html"))),
			"/collections": get(op("getCollections", "collections", []obj{ref("f")}, resp("collections", "application/json", "text/html"))),
			"/collections/{collectionId}": get(op("describeCollection", "one collection",
				[]obj{ref("collectionId"), ref("f")}, resp("collection", "application/json", "text/html"))),
			"/collections/{collectionId}/items": get(op("getFeatures", "features of a collection",
				[]obj{ref("collectionId"), ref("bbox"), ref("bbox-crs"), ref("crs"), ref("limit"), ref("offset"), ref("datetime"), ref("f")}, resp("features", mediaGeo, "text/html"))),
			"/collections/{collectionId}/items/{featureId}": get(op("getFeature", "one feature",
				[]obj{ref("collectionId"), ref("featureId"), ref("crs"), ref("f")}, resp("feature", mediaGeo, "text/html"))),
		},
	}
}
