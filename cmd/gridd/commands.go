package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/devdb"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/httpapi"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/spatial/crs"
)

func cmdServe(ctx context.Context, args []string) error {
	var c Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	commonFlags(fs, &c)
	serveFlags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, flush := newServerLogger(os.Stderr, c.LogLevel)
	defer flush()
	a, err := openApp(ctx, c, log)
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx, c)
}

// cmdDev is what `make run` does: a private cluster unless DATABASE_URL is
// set, migrations, the demo town when the database is empty, then serve.
func cmdDev(ctx context.Context, args []string) error {
	var c Config
	var seed int64
	var password string
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	commonFlags(fs, &c)
	serveFlags(fs, &c)
	fs.Int64Var(&seed, "seed", 1, "demo seed")
	fs.StringVar(&password, "password", "demo1234", "demo password")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.DevDataKey = true // only here may a missing data key be generated
	if c.DatabaseURL == "" {
		cl, err := devdb.Start(ctx, devdb.Options{Dir: c.DevDir, Database: "gridd", Durable: true})
		if err != nil {
			return err
		}
		fmt.Printf("PostgreSQL + PostGIS running in %s (port %d); stop it with 'make stop'\n", cl.Dir, cl.Port)
	}
	log, flush := newServerLogger(os.Stderr, c.LogLevel)
	defer flush()
	a, err := openApp(ctx, c, log)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.db.Migrate(ctx); err != nil {
		return err
	}
	loaded, err := loadDemoIfEmpty(ctx, a, seed, password)
	if err != nil {
		return err
	}
	host := c.Addr
	if len(host) > 0 && host[0] == ':' {
		host = "localhost" + host
	}
	fmt.Printf("\ngridd console: http://%s\n", host)
	if loaded {
		fmt.Printf("demo logins (password %s): admin, center, one worker per grid named after its code, e.g. 370114001001001,\n"+
			"and the other grid forces volunteer-1, informant-1, police-1 … police-9, liaison-1\n\n", password)
	}
	return a.serve(ctx, c)
}

func cmdMigrate(ctx context.Context, args []string) error {
	var c Config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	commonFlags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.db.Migrate(ctx); err != nil {
		return err
	}
	if err := a.checkDataKey(ctx); err != nil {
		return err
	}
	fmt.Println("migrations applied")
	return nil
}

func cmdDemo(ctx context.Context, args []string) error {
	var c Config
	var seed int64
	var password string
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.Int64Var(&seed, "seed", 1, "seed of the generated town")
	fs.StringVar(&password, "password", "demo1234", "password of the demo logins")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.db.Migrate(ctx); err != nil {
		return err
	}
	loaded, err := loadDemoIfEmpty(ctx, a, seed, password)
	if err != nil {
		return err
	}
	if !loaded {
		return fmt.Errorf("the database already holds grids; the demo loads only into an empty registry")
	}
	fmt.Printf("demo town loaded (seed %d); logins admin, center, one per grid, volunteer-1, informant-1, police-1 … police-9, liaison-1, password %s\n", seed, password)
	return nil
}

func loadDemoIfEmpty(ctx context.Context, a *app, seed int64, password string) (bool, error) {
	existing, err := a.grids.FindGrids(ctx, registry.GridFilter{Limit: 1})
	if err != nil {
		return false, err
	}
	if len(existing) > 0 {
		return false, nil
	}
	town := demo.Generate(seed)
	if err := demo.Load(ctx, town, demo.Stores{Grids: a.grids, People: a.people, Layers: postgis.NewLayerStore(a.db)},
		demo.LoadOptions{Password: password, Hasher: auth.DefaultHasher, At: time.Now()}); err != nil {
		return false, err
	}
	if err := a.locator.Refresh(ctx); err != nil {
		return false, err
	}
	return true, seedDemoRegisters(ctx, a, town, seed)
}

func cmdImport(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "registers" {
		return cmdImportRegisters(ctx, args[1:])
	}
	if len(args) > 0 && (args[0] == "zones" || args[0] == "roads") {
		return cmdImportLayer(ctx, args)
	}
	if len(args) < 2 || args[0] != "grids" {
		return fmt.Errorf("usage: gridd import grids FILE [--crs wgs84|cgcs2000|gcj02|bd09] [--partial] [--dry-run] [--accept-gaps]")
	}
	file := args[1]
	var c Config
	var sysName string
	var partial, dry, acceptGaps bool
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.StringVar(&sysName, "crs", "wgs84", "coordinate system of the file")
	fs.BoolVar(&partial, "partial", false, "store valid features even when some are rejected")
	fs.BoolVar(&dry, "dry-run", false, "validate and report only")
	fs.BoolVar(&acceptGaps, "accept-gaps", false, "let the import leave parts of a parent covered by no grid")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	sys, err := crs.Parse(sysName)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	progress := func(stage string, done, total int) {
		fmt.Fprintf(os.Stderr, "\r%-10s %d/%d features", stage, done, total)
		if stage == "stored" {
			fmt.Fprintln(os.Stderr)
		}
	}
	rep, err := a.registry.ImportReader(ctx, f, registry.ImportOptions{CRS: sys, Partial: partial, DryRun: dry, Progress: progress, AcceptGaps: acceptGaps})
	fmt.Fprintln(os.Stderr)
	if rep != nil {
		for _, p := range rep.Problems {
			idx := -1
			if p.Index != nil {
				idx = *p.Index
			}
			fmt.Fprintf(os.Stderr, "feature %d (code %q): %s: %s — %s\n", idx, p.Code, p.Field, p.Reason, p.Detail)
		}
		fmt.Printf("%d features: %d accepted, %d rejected; created %d, new versions %d, unchanged %d%s\n",
			rep.Total, rep.Accepted, rep.Rejected, rep.Counts.Created, rep.Counts.Versioned, rep.Counts.Unchanged,
			map[bool]string{true: " (dry run: nothing written)", false: ""}[rep.DryRun])
	}
	return err
}

func cmdUser(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "passwd" && args[0] != "reset-second-factor") {
		return fmt.Errorf("usage: gridd user add|passwd|reset-second-factor ...")
	}
	var c Config
	var username, name, phone, role, password, dept, scope string
	fs := flag.NewFlagSet("user", flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.StringVar(&username, "username", "", "login name")
	fs.StringVar(&name, "name", "", "person's name")
	fs.StringVar(&phone, "phone", "", "mobile number")
	fs.StringVar(&role, "role", "", "admin|center|department|worker|viewer")
	fs.StringVar(&password, "password", "", "password: at least 10 characters, not a common one, hard to guess (zxcvbn score 3 of 4)")
	fs.StringVar(&dept, "department", "", "department code for role department")
	fs.StringVar(&scope, "scope", "", "grid subtree root for center/viewer")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	if args[0] == "reset-second-factor" {
		u, err := a.people.FindUserByUsername(ctx, username)
		if err != nil {
			return err
		}
		if err := a.sessions.ResetSecondFactor(ctx, u.ID); err != nil {
			return err
		}
		fmt.Printf("second factor of %s removed and its sessions revoked; it enrols again at its next login\n", u.Username)
		return nil
	}
	hash := ""
	if password != "" {
		if err := auth.CheckPassword(password, username, name, phone); err != nil {
			return err
		}
		if hash, err = auth.DefaultHasher.Hash(password); err != nil {
			return err
		}
	}
	if args[0] == "passwd" {
		u, err := a.people.FindUserByUsername(ctx, username)
		if err != nil {
			return err
		}
		if hash == "" {
			return fmt.Errorf("--password is required")
		}
		return a.people.SetPassword(ctx, u.ID, hash)
	}
	u, err := people.NewUser(username, name, phone, role, dept, scope)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	if err := a.people.CreateUser(ctx, u); err != nil {
		return err
	}
	fmt.Printf("user %s (%s) created with id %d\n", u.Username, u.Role, u.ID)
	return nil
}

func cmdAudit(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "verify-log" {
		return cmdAuditVerifyLog(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "checkpoint" {
		return cmdAuditCheckpoint(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "registers" {
		return cmdAuditRegisters(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "patrols" {
		return cmdAuditPatrols(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "topology" {
		return fmt.Errorf("usage: gridd audit topology [--parent CODE] [--sliver-m2 1]")
	}
	var c Config
	var parent string
	var sliver float64
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.StringVar(&parent, "parent", "", "audit only this grid's subtree")
	fs.Float64Var(&sliver, "sliver-m2", 1, "areas below this are listed as slivers")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	rep, err := a.topology.Audit(ctx, parent, sliver)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(httpapi.TopologyReportJSON(rep)); err != nil {
		return err
	}
	if !rep.Clean() {
		return errs.E(errs.Unprocessable, "audit_failed", "%d topology findings", len(rep.Findings))
	}
	return nil
}

func cmdDB(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: gridd db start|stop|url [--dir DIR] [--ephemeral] [--logical]")
	}
	var dir string
	var ephemeral, logical bool
	fs := flag.NewFlagSet("db", flag.ContinueOnError)
	fs.StringVar(&dir, "dir", envOr("GRIDD_DIR", ".gridd"), "cluster directory")
	fs.BoolVar(&ephemeral, "ephemeral", false, "throw-away cluster: durability off (tests only)")
	fs.BoolVar(&logical, "logical", false, "wal_level = logical: the cluster can publish to or subscribe as a province (gridd province)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "start":
		cl, err := devdb.Start(ctx, devdb.Options{Dir: dir, Database: "gridd", Durable: !ephemeral, Logical: logical})
		if err != nil {
			return err
		}
		fmt.Println(cl.URL("gridd"))
		return nil
	case "url":
		cl, err := devdb.Open(dir)
		if err != nil {
			return err
		}
		if cl.Port == 0 {
			return fmt.Errorf("no cluster in %s", dir)
		}
		fmt.Println(cl.URL("gridd"))
		return nil
	case "stop":
		if _, err := os.Stat(filepath.Join(dir, "data")); err != nil {
			return nil
		}
		cl, err := devdb.Open(dir)
		if err != nil {
			return err
		}
		return cl.Stop()
	}
	return fmt.Errorf("unknown db command %q", args[0])
}
