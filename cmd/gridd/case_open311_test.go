package main

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"testing"
)

type open311Req struct {
	ServiceRequestID  string  `json:"service_request_id"`
	Status            string  `json:"status"`
	StatusNotes       string  `json:"status_notes"`
	ServiceCode       string  `json:"service_code"`
	ServiceName       string  `json:"service_name"`
	AgencyResponsible string  `json:"agency_responsible"`
	Lat               float64 `json:"lat"`
	Long              float64 `json:"long"`
	MediaURL          string  `json:"media_url"`
}

// TestOpen311RoundTrip posts a request with an API key, follows it through
// the case loop and reads it back in Open311 terms.
func TestOpen311RoundTrip(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 23, 9, 0)}
	ta := newCaseApp(t, clk)
	worker, center := ta.login(ownGrid), ta.login("center")

	// Discovery and services are public.
	res := ta.do("GET", "/open311/v2/discovery.json", "", nil, nil)
	if res.Status != 200 {
		t.Fatalf("discovery: %d", res.Status)
	}
	var services []struct {
		ServiceCode string `json:"service_code"`
		ServiceName string `json:"service_name"`
		Group       string `json:"group"`
	}
	ta.do("GET", "/open311/v2/services.json?lang=en", "", nil, nil).decode(t, &services)
	i := slices.IndexFunc(services, func(s struct {
		ServiceCode string `json:"service_code"`
		ServiceName string `json:"service_name"`
		Group       string `json:"group"`
	}) bool {
		return s.ServiceCode == "0104"
	})
	if i < 0 || services[i].ServiceName != "Garbage collection" || services[i].Group != "City appearance and sanitation" {
		t.Fatalf("services: %+v", services)
	}
	if res := ta.do("GET", "/open311/v2/services/0104.json", "", nil, nil); res.Status != 200 {
		t.Errorf("service definition: %d", res.Status)
	}
	if res := ta.do("GET", "/open311/v2/services/9999.json", "", nil, nil); res.Status != 404 {
		t.Errorf("unknown service: %d", res.Status)
	}

	// An API key for the worker's client.
	var key struct{ Key string }
	kr := ta.do("POST", "/api/v1/auth/api-keys", worker, map[string]string{"name": "12345 热线对接"}, nil)
	if kr.Status != 201 {
		t.Fatalf("create api key: %d %s", kr.Status, kr.Body)
	}
	kr.decode(t, &key)

	p := pointIn(ownGrid, 21, 30)
	form := url.Values{"api_key": {key.Key}, "service_code": {"0104"}, "lat": {fmt.Sprint(p[1])}, "long": {fmt.Sprint(p[0])},
		"description": {"小区门口垃圾无人清运"}, "address_string": {"幸福路12号"}}
	formHdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	// Without a key, or with a wrong one: 401.
	noKey := url.Values{"service_code": {"0104"}, "lat": {"36.7"}, "long": {"117.5"}, "description": {"x"}}
	if res := ta.do("POST", "/open311/v2/requests.json", "", []byte(noKey.Encode()), formHdr); res.Status != 401 {
		t.Errorf("no api_key: %d", res.Status)
	}
	noKey.Set("api_key", "not-a-key")
	if res := ta.do("POST", "/open311/v2/requests.json", "", []byte(noKey.Encode()), formHdr); res.Status != 401 {
		t.Errorf("bad api_key: %d", res.Status)
	}
	bad := url.Values{"api_key": {key.Key}, "service_code": {"0104"}, "lat": {"north"}, "long": {"117.5"}, "description": {"x"}}
	if res := ta.do("POST", "/open311/v2/requests.json", "", []byte(bad.Encode()), formHdr); res.Status != 400 || problemOf(t, res).Errors[0].Field != "lat" {
		t.Errorf("bad lat: %d %s", res.Status, res.Body)
	}
	bad.Set("lat", "36.7")
	bad.Set("service_code", "9999")
	if res := ta.do("POST", "/open311/v2/requests.json", "", []byte(bad.Encode()), formHdr); res.Status != 400 || problemOf(t, res).Errors[0].Field != "service_code" {
		t.Errorf("bad service_code: %d %s", res.Status, res.Body)
	}

	res = ta.do("POST", "/open311/v2/requests.json", "", []byte(form.Encode()), formHdr)
	if res.Status != 201 {
		t.Fatalf("post request: %d %s", res.Status, res.Body)
	}
	var created []struct {
		ServiceRequestID string `json:"service_request_id"`
		Token            string `json:"token"`
	}
	res.decode(t, &created)
	if len(created) != 1 || !regexpCaseNumber(created[0].ServiceRequestID) {
		t.Fatalf("created: %s", res.Body)
	}
	id := created[0].ServiceRequestID

	// A bearer token given as api_key works too (no API key service needed).
	get := func(path string) []open311Req {
		t.Helper()
		var out []open311Req
		res := ta.do("GET", path, "", nil, nil)
		if res.Status != 200 {
			t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
		}
		res.decode(t, &out)
		return out
	}
	one := get("/open311/v2/requests/" + id + ".json?api_key=" + url.QueryEscape(center))
	if len(one) != 1 || one[0].Status != "open" || one[0].StatusNotes != "待审核" || one[0].ServiceCode != "0104" ||
		math.Abs(one[0].Lat-p[1]) > 1e-9 || math.Abs(one[0].Long-p[0]) > 1e-9 || one[0].AgencyResponsible != "网格中心" {
		t.Errorf("request as reported: %+v", one)
	}
	var tok []struct {
		ServiceRequestID string `json:"service_request_id"`
	}
	ta.do("GET", "/open311/v2/tokens/"+created[0].Token+".json", center, nil, nil).decode(t, &tok)
	if len(tok) != 1 || tok[0].ServiceRequestID != id {
		t.Errorf("token: %+v", tok)
	}

	// The center takes it through the loop to closing.
	var list struct{ Cases []caseView }
	ta.do("GET", "/api/v1/cases?source=online&limit=500", center, nil, nil).decode(t, &list)
	k := slices.IndexFunc(list.Cases, func(c caseView) bool { return c.Number == id })
	if k < 0 {
		t.Fatalf("case %s not listed", id)
	}
	c := list.Cases[k]
	ta.mustAct(center, &c, map[string]any{"action": "accept"})
	ta.mustAct(center, &c, map[string]any{"action": "dispatch", "unit": "hwsuo"})
	mid := get("/open311/v2/requests/" + id + ".json?api_key=" + url.QueryEscape(key.Key))
	if mid[0].Status != "open" || mid[0].StatusNotes != "已派遣" || mid[0].AgencyResponsible != "环卫所" {
		t.Errorf("dispatched request: %+v", mid[0])
	}
	hw := ta.login("dept-hwsuo")
	ta.mustAct(hw, &c, map[string]any{"action": "unit_accept"})
	ta.mustAct(hw, &c, map[string]any{"action": "handle", "photos": []int64{ta.upload(hw, 8)}})
	ta.mustAct(center, &c, map[string]any{"action": "send_verification"})
	ta.mustAct(worker, &c, map[string]any{"action": "verify_pass"})
	done := get("/open311/v2/requests/" + id + ".json?lang=en&api_key=" + url.QueryEscape(key.Key))
	if done[0].Status != "closed" || done[0].StatusNotes != "Closed" || done[0].AgencyResponsible != "环卫所" {
		t.Errorf("closed request: %+v", done[0])
	}

	// Lists: filters, the 90-day window, paging.
	q := "/open311/v2/requests.json?api_key=" + url.QueryEscape(center) + "&service_code=0104"
	closed := get(q + "&status=closed&start_date=2026-11-01T00:00:00%2B08:00&end_date=2026-11-30T00:00:00%2B08:00")
	if !slices.ContainsFunc(closed, func(r open311Req) bool { return r.ServiceRequestID == id }) {
		t.Errorf("closed list lacks %s", id)
	}
	for _, r := range closed {
		if r.Status != "closed" || r.ServiceCode != "0104" {
			t.Errorf("closed list holds %+v", r)
		}
	}
	open := get(q + "&status=open")
	if slices.ContainsFunc(open, func(r open311Req) bool { return r.ServiceRequestID == id }) {
		t.Errorf("open list holds the closed %s", id)
	}
	page1 := get(q + "&page_size=1&page=1")
	if len(page1) != 1 {
		t.Errorf("page_size=1: %d", len(page1))
	}
	old := get(q + "&end_date=2026-08-01T00:00:00%2B08:00")
	if len(old) != 0 {
		t.Errorf("a window 90 days before August holds %d requests", len(old))
	}
	for query, field := range map[string]string{
		"&start_date=2026-01-01T00:00:00Z&end_date=2026-11-30T00:00:00Z": "end_date",
		"&start_date=yesterday": "start_date", "&status=pending": "status", "&page=0": "page", "&page_size=100000": "page_size",
	} {
		res := ta.do("GET", q+query, "", nil, nil)
		if res.Status != 400 || problemOf(t, res).Errors[0].Field != field {
			t.Errorf("%s: %d %s, want 400 naming %s", query, res.Status, res.Body, field)
		}
	}
	// A worker of another grid does not see it.
	if res := ta.do("GET", "/open311/v2/requests/"+id+".json", ta.login(otherGrid), nil, nil); res.Status != 404 {
		t.Errorf("another grid's worker reads the request: %d", res.Status)
	}
}
