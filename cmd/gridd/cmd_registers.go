package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/registers"
	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// cmdAuditVerifyLog walks the audit log's hash chain and fails when it is
// broken (an entry edited, deleted or reordered, or the expected head
// missing).
func cmdAuditVerifyLog(ctx context.Context, args []string) error {
	var c Config
	var head string
	fs := flag.NewFlagSet("audit verify-log", flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.StringVar(&head, "head", "", "a head hash noted earlier; the chain must still contain it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	return verifyLog(ctx, a, c, head)
}

// cmdAuditCheckpoint writes a signed checkpoint of the audit log's head
// now (as the periodic job does) and prints its file, or says none was
// needed.
func cmdAuditCheckpoint(ctx context.Context, args []string) error {
	var c Config
	fs := flag.NewFlagSet("audit checkpoint", flag.ContinueOnError)
	commonFlags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.AuditCheckpointDir == "" {
		return fmt.Errorf("--audit-checkpoint-dir (env GRIDD_AUDIT_CHECKPOINT_DIR) is required")
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	if key, err := auditKey(c); err != nil || key == nil {
		if err == nil {
			err = fmt.Errorf("the audit key (GRIDD_AUDIT_KEY or --audit-key-file) is required to sign a checkpoint")
		}
		return err
	}
	name, err := a.writeAuditCheckpoint(ctx, c)
	if err != nil {
		return err
	}
	if name == "" {
		fmt.Println("no new audit entries since the newest checkpoint; none written")
		return nil
	}
	fmt.Println(name)
	return nil
}

// verifyLog checks the chain with the audit key and against the newest
// checkpoint in c.AuditCheckpointDir (which must hold one when set).
func verifyLog(ctx context.Context, a *app, c Config, head string) error {
	key, err := auditKey(c)
	if err != nil {
		return err
	}
	o := auditlog.VerifyOptions{Key: key, ExpectHead: head}
	if c.AuditCheckpointDir != "" {
		if key == nil {
			return fmt.Errorf("--audit-checkpoint-dir needs the audit key (GRIDD_AUDIT_KEY or --audit-key-file) to check the checkpoints")
		}
		if o.Checkpoint, err = latestCheckpoint(c.AuditCheckpointDir); err != nil {
			return fmt.Errorf("audit checkpoint: %w", err)
		}
		if o.Checkpoint == nil {
			return fmt.Errorf("no audit checkpoint in %s", c.AuditCheckpointDir)
		}
	}
	rep, err := auditlog.VerifyWith(ctx, a.auditLog.Store, o)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	if !rep.OK {
		return errs.E(errs.Unprocessable, "audit_log_broken", "the audit log's hash chain is broken at %d place(s)", len(rep.Breaks))
	}
	return nil
}

// dataKey returns the 32-byte key that seals key persons' protected
// fields. It is part of the configuration and never stored in the
// database. In order: GRIDD_DATA_KEY (64 hex characters or base64), the
// file --data-key-file (env GRIDD_KEY_FILE) holding the same; only `gridd
// dev` (c.DevDataKey) falls back to DevDir/data.key, created with a random
// key on first start. Anything else without a key refuses to start.
func dataKey(c Config, log *slog.Logger) ([]byte, error) {
	if v := os.Getenv("GRIDD_DATA_KEY"); v != "" {
		return parseDataKey("GRIDD_DATA_KEY", v)
	}
	file := c.DataKeyFile
	if file == "" {
		file = os.Getenv("GRIDD_KEY_FILE")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("data key file: %w", err)
		}
		return parseDataKey(file, string(b))
	}
	if !c.DevDataKey {
		return nil, errors.New("no data key configured: set GRIDD_DATA_KEY (64 hex characters, e.g. from `openssl rand -hex 32`) or --data-key-file / GRIDD_KEY_FILE, and back it up — losing it loses key persons' protected fields; only `gridd dev` makes one for you")
	}
	dir := c.DevDir
	if dir == "" {
		dir = envOr("GRIDD_DIR", ".gridd")
	}
	path := filepath.Join(dir, "data.key")
	if b, err := os.ReadFile(path); err == nil {
		return parseDataKey(path, string(b))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s for the data key (set GRIDD_KEY_FILE or GRIDD_DATA_KEY): %w", dir, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create data key %s: %w", path, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	log.Warn("gridd dev: generated a new data key for protected fields", "path", path)
	return key, nil
}

// checkDataKey compares the data key with the key check value stored by
// the first start on this database (storing it then): a wrong key refuses
// to start instead of serving until someone opens a sealed field.
func (a *app) checkDataKey(ctx context.Context) error {
	ok, err := a.db.CheckDataKey(ctx, derivedKey(a.dataKey, "gridd data key check value v1"))
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("the data key does not match the key this database's protected fields were sealed with (key check value mismatch): configure the original GRIDD_DATA_KEY / --data-key-file")
	}
	// Files written before identities were sealed are sealed now.
	n, err := a.keyPersonStore.SealPlaintext(ctx)
	if n > 0 {
		a.log.Info("sealed the identity of key-person files stored in plaintext", "files", n)
	}
	return err
}

// derivedKey derives a purpose-bound subkey from the data key.
func derivedKey(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

func parseDataKey(src, v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if b, err := hex.DecodeString(v); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) == 32 {
		return b, nil
	}
	if len(v) == 32 {
		return []byte(v), nil
	}
	return nil, fmt.Errorf("%s: want a 32-byte key as 64 hex characters or base64", src)
}

// openRegisters builds the register and key-person services and makes a
// committed grid change re-assign the register records once the
// point-in-grid index is refreshed.
func (a *app) openRegisters(c Config) error {
	key, err := dataKey(c, a.log)
	if err != nil {
		return err
	}
	a.dataKey = key
	ciph, err := registers.NewCipher(key)
	if err != nil {
		return err
	}
	now := a.db.Now
	loc := a.deepestGrids
	access := registers.Access{Tree: func() auth.Hierarchy { return a.locator.Tree() }, Audit: a.auditLog}
	a.registers = &registers.Service{Store: postgis.NewRegisterStore(a.db), Locate: loc, Cipher: ciph, Now: now, Access: access}
	a.sessions.Cipher = ciph // TOTP secrets
	a.keyPersonStore = postgis.NewKeyPersonStore(a.db, ciph)
	a.keyPersons = &registers.KeyPersons{Store: a.keyPersonStore, Locate: loc, Cipher: ciph, Now: now,
		Users: a.people, PrincipalFor: a.auth.PrincipalFor, Access: access}
	a.registry.Cards.Counts = func(ctx context.Context, code string) (any, error) { return a.registers.Store.GridCounts(ctx, code) }
	refresh := a.registry.OnChange
	a.registry.OnChange = func(ctx context.Context) {
		if refresh != nil {
			refresh(ctx)
		}
		if res, err := a.registers.Reassign(ctx); err != nil {
			a.log.Error("re-assign register records", "err", err)
		} else if res.Records+res.KeyPersons > 0 {
			a.log.Info("register records re-assigned", "records", res.Records, "key_persons", res.KeyPersons)
		}
	}
	return nil
}

// deepestGrids returns the deepest current grid of each point ("" outside
// every grid) from the point-in-grid index.
func (a *app) deepestGrids(ctx context.Context, pts []orb.Point) ([]string, error) {
	res, err := a.locator.Locate(ctx, pts, nil)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(res))
	for i, r := range res {
		best := -1
		for _, h := range r.Chain {
			if h.Level > best {
				best, out[i] = h.Level, h.Code
			}
		}
	}
	return out, nil
}

// cmdAuditRegisters prints the register coverage audit.
func cmdAuditRegisters(ctx context.Context, args []string) error {
	var c Config
	var parent string
	var norm int
	var tol, ptol float64
	fs := flag.NewFlagSet("audit registers", flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.StringVar(&parent, "parent", "", "audit only this grid's subtree")
	fs.IntVar(&norm, "norm", 300, "target households per basic grid")
	fs.Float64Var(&tol, "tolerance", 0.5, "flag basic grids whose households differ from the norm by more than this fraction")
	fs.Float64Var(&ptol, "population-tolerance", 0.1, "flag grids whose registered people differ from the official population by more than this fraction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.locator.Refresh(ctx); err != nil {
		return err
	}
	rep, err := a.registers.Coverage(ctx, auth.Operator(), registers.CoverageOptions{Parent: parent, HouseholdNorm: norm, HouseholdTolerance: tol,
		PopulationTolerance: ptol, On: a.db.Now().In(workday.Shanghai())})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	if !rep.Clean {
		return errs.E(errs.Unprocessable, "audit_failed", "%d coverage findings, %d records outside every grid", len(rep.Findings), len(rep.Outside))
	}
	return nil
}

// cmdImportRegisters imports a CSV or xlsx file into a register, like
// POST /api/v1/registers/{kind}/import but as the operator (no scope).
func cmdImportRegisters(ctx context.Context, args []string) error {
	const use = "usage: gridd import registers KIND FILE [--crs wgs84|cgcs2000|gcj02|bd09] [--map HEADER:field,...] [--partial] [--dry-run]"
	if len(args) < 2 {
		return errors.New(use)
	}
	kind, err := registers.ParseKind(args[0])
	if err != nil {
		return fmt.Errorf("%w\n%s", err, use)
	}
	file := args[1]
	var c Config
	var sysName, mapping string
	var partial, dry bool
	fs := flag.NewFlagSet("import registers", flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.StringVar(&sysName, "crs", "wgs84", "coordinate system of lon/lat")
	fs.StringVar(&mapping, "map", "", "column mapping HEADER:field,HEADER:field")
	fs.BoolVar(&partial, "partial", false, "store the good rows even when some are rejected")
	fs.BoolVar(&dry, "dry-run", false, "validate and report only")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	sys, err := crs.Parse(sysName)
	if err != nil {
		return err
	}
	m := map[string]string{}
	if mapping != "" {
		for _, pair := range strings.Split(mapping, ",") {
			h, f, ok := strings.Cut(pair, ":")
			if !ok {
				return fmt.Errorf("--map: want HEADER:field pairs, got %q", pair)
			}
			m[strings.TrimSpace(h)] = strings.TrimSpace(f)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	format := ""
	if strings.HasSuffix(strings.ToLower(file), ".xlsx") {
		format = "xlsx"
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.locator.Refresh(ctx); err != nil {
		return err
	}
	rep, err := a.registers.Import(ctx, auth.Operator(), kind, data, registers.ImportOptions{Format: format, CRS: sys, Mapping: m, Partial: partial, DryRun: dry})
	if rep != nil {
		for _, p := range rep.Problems {
			fmt.Fprintf(os.Stderr, "row %d: %s: %s — %s\n", p.Row, p.Field, p.Reason, p.Detail)
		}
		fmt.Printf("%d rows: %d accepted, %d rejected; stored %d (%d outside every grid)%s\n", rep.Total, rep.Accepted, rep.Rejected,
			rep.Stored, rep.Outside, map[bool]string{true: " (dry run: nothing written)", false: ""}[rep.DryRun])
	}
	if err == nil && !dry {
		err = a.auditLog.Record(ctx, &auditlog.Entry{Action: auditlog.ActionWrite, Actor: "cli", Method: "CLI",
			Route: "gridd import registers", Object: fmt.Sprintf("import:%s:%d", kind, rep.Stored)})
	}
	return err
}

// seedDemoRegisters fills the registers of a freshly loaded demo town
// (households matching each basic grid's official figures, their people,
// businesses, places of concern and key persons; all synthetic).
func seedDemoRegisters(ctx context.Context, a *app, town *demo.Town, seed int64) error {
	parents := map[string]bool{}
	for _, g := range town.Grids {
		parents[g.ParentCode] = true
	}
	var grids []registers.DemoGrid
	for _, g := range town.Grids {
		if parents[g.Code] {
			continue
		}
		dg := registers.DemoGrid{Code: g.Code, Geometry: g.Geometry, Households: g.Households, Population: g.Population, CountyCode: demo.CountyCode}
		if u, err := a.people.FindUserByUsername(ctx, g.Code); err == nil {
			dg.WorkerID = u.ID
		}
		grids = append(grids, dg)
	}
	d := registers.GenerateDemo(grids, uint64(seed))
	if err := registers.LoadDemo(ctx, a.registers, a.keyPersons, d); err != nil {
		return err
	}
	a.log.Info("demo registers loaded", "households", len(d.Households), "others", len(d.Others), "key_persons", len(d.KeyPersons))
	return nil
}
