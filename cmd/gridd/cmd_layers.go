package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/layers"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// newRoutingLayers wires the routing layers' service; zone polygons are
// validated like grids.
func newRoutingLayers(db *postgis.DB) *layers.Service {
	return &layers.Service{Store: postgis.NewLayerStore(db), Now: db.Now,
		Validate: func(mp orb.MultiPolygon) (orb.MultiPolygon, []errs.Field) {
			return registry.ValidateGeometry(mp, registry.Limits{})
		}}
}

// cmdImportLayer is `gridd import zones|roads FILE [--crs …] [--dry-run]`:
// the GeoJSON file or zipped Shapefile replaces the layer (a new version
// of each changed item).
func cmdImportLayer(ctx context.Context, args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: gridd import zones|roads FILE [--crs wgs84|cgcs2000|gcj02|bd09] [--dry-run]")
	}
	layer, err := layers.ParseLayer(args[0])
	if err != nil {
		return err
	}
	file := args[1]
	var c Config
	var sysName string
	var dry bool
	fs := flag.NewFlagSet("import "+args[0], flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.StringVar(&sysName, "crs", "wgs84", "coordinate system of the file")
	fs.BoolVar(&dry, "dry-run", false, "validate and report only")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	sys, err := crs.Parse(sysName)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	rep, err := a.layers.Import(ctx, layer, data, layers.ImportOptions{CRS: sys, DryRun: dry})
	if e, ok := errs.As(err); ok {
		for _, f := range e.Fields {
			fmt.Fprintf(os.Stderr, "%s: %s — %s\n", f.Field, f.Reason, f.Detail)
		}
	}
	if err != nil {
		return err
	}
	note := ""
	if rep.DryRun {
		note = " (dry run: nothing written)"
	}
	fmt.Printf("%s: %d features, kinds %s, units %s; %d added, %d changed, %d removed, %d unchanged%s\n", layer, rep.Total, strings.Join(rep.Kinds, ","), strings.Join(rep.Units, ","),
		rep.Changes.Added, rep.Changes.Changed, rep.Changes.Removed, rep.Changes.Unchanged, note)
	return nil
}

// cmdExportLayer is `gridd export zones|roads FILE [--at DATE]`: the layer
// (as of the end of DATE in Shanghai, or an RFC 3339 instant) as GeoJSON.
func cmdExportLayer(ctx context.Context, args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: gridd export zones|roads FILE [--at YYYY-MM-DD]")
	}
	layer, err := layers.ParseLayer(args[0])
	if err != nil {
		return err
	}
	var c Config
	var atText string
	fs := flag.NewFlagSet("export "+args[0], flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.StringVar(&atText, "at", "", "the layer as of this date (YYYY-MM-DD) or instant (RFC 3339); default now")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	var at *time.Time
	if atText != "" {
		t, err := time.Parse(time.RFC3339, atText)
		if err != nil {
			d, derr := time.ParseInLocation("2006-01-02", atText, workday.Shanghai())
			if derr != nil {
				return fmt.Errorf("--at: want YYYY-MM-DD or an RFC 3339 time, got %q", atText)
			}
			t = d.Add(24*time.Hour - time.Nanosecond)
		}
		at = &t
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	items, err := a.layers.Export(ctx, layer, at)
	if err != nil {
		return err
	}
	data, err := json.Marshal(layers.FeatureCollection(items))
	if err != nil {
		return err
	}
	if err := os.WriteFile(args[1], data, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d features written to %s\n", layer, len(items), args[1])
	return nil
}
