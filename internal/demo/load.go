package demo

import (
	"context"
	"fmt"
	"sync"
	"time"

	ppl "github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/registry"
	"github.com/paulmach/orb"
	"golang.org/x/sync/errgroup"
)

// LayerStore stores the routing layers the demo brings.
type LayerStore interface {
	// CreateZone and CreateRoad write a routing-layer item valid from at.
	CreateZone(ctx context.Context, code, name, kind string, geom orb.MultiPolygon, at time.Time) error
	CreateRoad(ctx context.Context, code, name, kind string, geom orb.LineString, at time.Time) error
}

// Stores are where Load writes.
type Stores struct {
	Grids  registry.Store
	People ppl.Store
	Layers LayerStore
}

// PasswordHasher hashes the demo logins' password.
type PasswordHasher interface {
	Hash(password string) (string, error)
}

// LoadOptions tune Load.
type LoadOptions struct {
	Password string
	Hasher   PasswordHasher
	// ValidFrom is when the demo grids and assignments start; default 2025-01-01.
	ValidFrom time.Time
	At        time.Time
}

// IsLogin reports whether a demo person gets the demo password.
func (p Person) IsLogin() bool {
	switch p.Role {
	case RoleAdmin, RoleCenter, RoleWorker, RoleDepartment, RoleVolunteer, RoleInformant, RolePolice, RoleLiaison:
		return true
	}
	return false
}

// Load writes town through the stores.
func Load(ctx context.Context, town *Town, st Stores, opts LoadOptions) error {
	from := opts.ValidFrom
	if from.IsZero() {
		from = time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	}
	grids := make([]*registry.Grid, len(town.Grids))
	for i, g := range town.Grids {
		grids[i] = &registry.Grid{Code: g.Code, Name: g.Name, Level: g.Level, ParentCode: g.ParentCode,
			Geometry: g.Geometry, Households: g.Households, Population: g.Population}
	}
	if _, err := st.Grids.ImportGrids(ctx, grids, from, nil); err != nil {
		return fmt.Errorf("demo grids: %w", err)
	}
	for _, d := range town.Departments {
		if err := st.People.CreateDepartment(ctx, &ppl.Department{Code: d.Code, Name: d.Name}); err != nil {
			return fmt.Errorf("demo department %s: %w", d.Code, err)
		}
	}
	hashes := make([]string, len(town.People))
	var g errgroup.Group
	g.SetLimit(4)
	var mu sync.Mutex
	for i, p := range town.People {
		if !p.IsLogin() || opts.Hasher == nil {
			continue
		}
		g.Go(func() error {
			h, err := opts.Hasher.Hash(opts.Password)
			mu.Lock()
			hashes[i] = h
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	for i, p := range town.People {
		u := &ppl.User{Username: p.Username, Name: p.Name, Phone: p.Phone, Role: ppl.Role(p.Role),
			DepartmentCode: p.DepartmentCode, ScopeCode: p.ScopeGridCode, PasswordHash: hashes[i]}
		if err := st.People.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("demo user %s: %w", p.Username, err)
		}
		for _, a := range p.Assignments {
			as := &ppl.Assignment{UserID: u.ID, GridCode: a.GridCode, GridRole: ppl.GridRole(a.GridRole), FullTime: a.FullTime, ValidFrom: day}
			if err := st.People.CreateAssignment(ctx, as); err != nil {
				return fmt.Errorf("demo assignment %s in %s: %w", p.Username, a.GridCode, err)
			}
		}
	}
	if st.Layers != nil {
		if err := st.Layers.CreateZone(ctx, "seat", "镇政府驻地", "seat_area", orb.MultiPolygon{town.SeatArea}, from); err != nil {
			return err
		}
		for i, r := range town.Roads {
			if err := st.Layers.CreateRoad(ctx, fmt.Sprintf("road-%02d", i+1), r.Name, "main_road", r.Line, from); err != nil {
				return err
			}
		}
	}
	if err := loadCases(ctx, town, st, opts.At); err != nil {
		return fmt.Errorf("demo cases: %w", err)
	}
	if err := loadPatrols(ctx, town, st, opts); err != nil {
		return fmt.Errorf("demo patrols: %w", err)
	}
	if err := loadAssessment(ctx, town, st, opts); err != nil {
		return fmt.Errorf("demo assessment: %w", err)
	}
	return nil
}
