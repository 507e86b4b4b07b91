package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/gridd/gridd/internal/analytics"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/province"
	"github.com/gridd/gridd/internal/workday"
)

// provinceParts are the province instance's: its database (the cities'
// subscriptions) and the read-only service over it; nil on a city.
type provinceParts struct {
	provinceDB *postgis.DB
	province   *province.Service
}

// openProvince opens the province database when c asks for a province
// instance.
func (a *app) openProvince(ctx context.Context, c Config) error {
	if c.ProvinceURL == "" {
		return nil
	}
	db, err := postgis.Open(ctx, postgis.Config{URL: c.ProvinceURL, StatementTimeout: c.StatementTimeout})
	if err != nil {
		return fmt.Errorf("province database: %w", err)
	}
	db.Now = a.db.Now
	store := postgis.NewProvinceStore(db)
	a.provinceDB = db
	a.province = &province.Service{Store: store, Now: a.db.Now,
		Hotspots: &analytics.Service{Store: store, Tree: func() analytics.Hierarchy { return a.locator.Tree() },
			Now: a.db.Now, Loc: workday.Shanghai()}}
	return nil
}

func (a *app) closeProvince() {
	if a.provinceDB != nil {
		a.provinceDB.Close()
	}
}

// cmdProvince: gridd province publish|subscribe|status.
func cmdProvince(ctx context.Context, args []string) error {
	const usage = "usage: gridd province publish --county-code CODE | subscribe --city-code CODE --conninfo STR --province-url URL | status --province-url URL"
	if len(args) == 0 {
		return fmt.Errorf("%s", usage)
	}
	var c Config
	var county, city, conninfo string
	fs := flag.NewFlagSet("province", flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.StringVar(&c.ProvinceURL, "province-url", os.Getenv("GRIDD_PROVINCE_URL"), "the province database (env GRIDD_PROVINCE_URL)")
	fs.StringVar(&county, "county-code", os.Getenv("GRIDD_COUNTY_CODE"), "publish: this city's six-digit administrative division code (env GRIDD_COUNTY_CODE)")
	fs.StringVar(&city, "city-code", "", "subscribe: the city's county code, as it publishes it")
	fs.StringVar(&conninfo, "conninfo", "", "subscribe: how the province's PostgreSQL server reaches the city's database (libpq string or URL; a role with REPLICATION and SELECT on the published tables)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "publish":
		a, err := openApp(ctx, c, newLogger(0))
		if err != nil {
			return err
		}
		defer a.close()
		if err := a.db.CheckSchema(ctx); err != nil {
			return err
		}
		if err := a.db.PublishProvince(ctx, county); err != nil {
			return err
		}
		fmt.Printf("publishing %s as county %s (grids, cases, monthly figures; docs/PIPL.md lists the columns)\n", province.PublicationName, county)
		return nil
	case "subscribe", "status":
		if c.ProvinceURL == "" {
			return fmt.Errorf("--province-url (or GRIDD_PROVINCE_URL) is required")
		}
		db, err := postgis.Open(ctx, postgis.Config{URL: c.ProvinceURL, StatementTimeout: c.StatementTimeout})
		if err != nil {
			return err
		}
		defer db.Close()
		if args[0] == "subscribe" {
			if err := db.MigrateProvince(ctx); err != nil {
				return err
			}
			if err := db.SubscribeCity(ctx, city, conninfo); err != nil {
				return err
			}
			fmt.Printf("subscribed %s (county %s); the initial copy runs in the background: gridd province status shows it\n", province.SubscriptionName(city), city)
			return nil
		}
		svc := &province.Service{Store: postgis.NewProvinceStore(db)}
		cs, err := svc.Cities(ctx, auth.Operator())
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(cs)
	}
	return fmt.Errorf("unknown province command %q; %s", args[0], usage)
}
