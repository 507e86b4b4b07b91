package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/registers"
)

// TestKeyPersonRefusalsAuditedAndResponsibleCanAct (issue 16): refused
// key-person and person reads leave an audit entry (status 403) naming
// the actor and the object; a file cannot be handed — on create or on
// PATCH — to a user who cannot act on it (a viewer, a department, a worker
// of another grid). On main the refusals left no trace and a viewer could
// be made responsible.
func TestKeyPersonRefusalsAuditedAndResponsibleCanAct(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := ta.people.CreateUser(ctx, &people.User{Username: "viewer", Name: "查看员", Role: people.RoleViewer, ScopeCode: viewerScope, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	id := regKeyPerson(ta, otherGrid)
	path := fmt.Sprintf("/api/v1/keypersons/%d", id)
	object := fmt.Sprintf("keyperson:%d", id)

	refusals := func(actor string) []*auditlog.Entry {
		t.Helper()
		es, err := ta.auditLog.Store.FindEntries(ctx, auditlog.Filter{Actor: actor, Action: auditlog.ActionRead})
		if err != nil {
			t.Fatal(err)
		}
		var out []*auditlog.Entry
		for _, e := range es {
			if e.Status == 403 {
				out = append(out, e)
			}
		}
		return out
	}
	// A worker of another grid, a viewer and a department are refused, and
	// each refusal is in the log with the route and the object.
	for _, who := range []string{ownGrid, "viewer", "dept-hwsuo"} {
		tok := ta.login(who)
		for _, p := range []string{path, path + "/visits"} {
			if res := ta.do("GET", p, tok, nil, nil); res.Status != 403 {
				t.Errorf("%s GET %s: %d, want 403", who, p, res.Status)
			}
		}
		es := refusals(who)
		if len(es) != 2 {
			t.Errorf("%s: %d refused reads audited, want 2: %+v", who, len(es), es)
			continue
		}
		for _, e := range es {
			if e.Object != object || e.Route == "" || e.RequestID == "" || e.Method != "GET" {
				t.Errorf("%s: refusal entry %+v", who, e)
			}
		}
	}
	// The list filtered to a grid outside the caller's scope: refused, audited.
	if res := ta.do("GET", "/api/v1/keypersons?grid="+otherGrid, ta.login(ownGrid), nil, nil); res.Status != 403 {
		t.Errorf("worker lists another grid's key persons: %d", res.Status)
	}
	if es := refusals(ownGrid); len(es) != 3 || es[0].Object != "keypersons" || es[0].GridCode != otherGrid {
		t.Errorf("refused list not audited: %+v", es)
	}
	// A person of the people register outside the worker's grid: refused, audited.
	hh := regHousehold(ta, otherGrid)
	rec := &registers.Record{Kind: registers.Person, Name: "王五", HouseholdID: &hh}
	if err := ta.registers.Create(ctx, auth.Operator(), rec); err != nil {
		t.Fatal(err)
	}
	{
		person := rec.ID
		before := len(refusals(ownGrid))
		if res := ta.do("GET", fmt.Sprintf("/api/v1/registers/person/%d", person), ta.login(ownGrid), nil, nil); res.Status != 403 {
			t.Errorf("worker reads another grid's person: %d", res.Status)
		}
		if es := refusals(ownGrid); len(es) != before+1 || es[0].Object != fmt.Sprintf("person:%d", person) {
			t.Errorf("refused person read not audited: %+v", es)
		}
	}

	// Handing a file to someone who cannot act on it: 422 naming the field.
	admin := ta.login("admin")
	lon, lat := regPointIn(t, ta, otherGrid, 0)
	for _, resp := range []string{"viewer", "dept-hwsuo", ownGrid} {
		res := ta.do("POST", "/api/v1/keypersons", admin, map[string]any{"category": "petitioner", "name": "移交测试", "lon": lon, "lat": lat,
			"responsible": resp, "id_number": validID("37010219800101123")}, nil)
		if res.Status != 422 || !res.hasField("responsible") {
			t.Errorf("create with responsible %s: %d %s, want 422 naming responsible", resp, res.Status, res.Body)
		}
		res = ta.do("PATCH", path, admin, map[string]any{"responsible": resp}, nil)
		if res.Status != 422 || !res.hasField("responsible") {
			t.Errorf("hand file to %s: %d %s, want 422 naming responsible", resp, res.Status, res.Body)
		}
	}
	// Moving the file to another grid while its worker stays responsible
	// leaves it with someone who cannot act on it: 422.
	olon, olat := regPointIn(t, ta, ownGrid, 0)
	if res := ta.do("PATCH", path, admin, map[string]any{"lon": olon, "lat": olat}, nil); res.Status != 422 || !res.hasField("responsible") {
		t.Errorf("move the file away from its responsible worker: %d %s", res.Status, res.Body)
	}
	// Moving it together with a responsible who can act there is fine.
	if res := ta.do("PATCH", path, admin, map[string]any{"lon": olon, "lat": olat, "responsible": ownGrid}, nil); res.Status != 200 {
		t.Errorf("move with a new responsible: %d %s", res.Status, res.Body)
	}
}

// hasField reports whether r is a problem+json naming field in its errors.
func (r response) hasField(field string) bool {
	var p struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal(r.Body, &p) != nil {
		return false
	}
	for _, e := range p.Errors {
		if e.Field == field {
			return true
		}
	}
	return false
}
