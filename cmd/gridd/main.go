// Command gridd is the grid-management service: one binary with
// subcommands to serve the API, migrate the database, load the demo town,
// import grids, manage users, run audits and manage a private PostgreSQL.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `gridd — grid-based community management (网格化管理)

Usage:
  gridd serve                 serve the API and console (DATABASE_URL, GRIDD_ADDR)
  gridd serve --province-url URL   a read-only province instance over the subscribed cities
  gridd dev [--dir .gridd]    start a private PostGIS (unless DATABASE_URL), migrate, load the demo if empty, serve
  gridd migrate               apply database migrations (idempotent)
  gridd demo [--seed N] [--password P]   load the demo town into an empty database
  gridd import grids FILE [--crs wgs84|cgcs2000|gcj02|bd09] [--partial] [--dry-run] [--accept-gaps]
  gridd import zones|roads FILE [--crs ...] [--dry-run]   routing layers (GeoJSON or zipped Shapefile; code, name, kind, unit); replaces the layer, keeping history
  gridd export zones|roads FILE [--at DATE]               a routing layer as GeoJSON (as of a date: YYYY-MM-DD, end of that day in Shanghai)
  gridd import registers KIND FILE [--crs ...] [--map HEADER:field,...] [--partial] [--dry-run]   households, people, businesses, ... from CSV/xlsx
  gridd user add --username U --name N --role R [--password P] [--department D] [--scope CODE]
  gridd user passwd --username U --password P
  gridd audit topology [--parent CODE] [--sliver-m2 1]
  gridd audit verify-log [--head HASH]   check the audit log's hash chain (exit 1 when broken)
  gridd audit checkpoint                sign the audit log's head into --audit-checkpoint-dir now (serve does it every --audit-checkpoint-every)
  gridd audit registers [--parent CODE] [--norm 300] [--tolerance 0.5]   register coverage audit
  gridd audit patrols --month YYYY-MM [--parent CODE] [--cells]   patrol coverage against the assessment rules
  gridd patrols partitions [--ahead 2]   create this month's and the next months' patrol partitions; list them and the archived months
  gridd patrols archive --before YYYY-MM [--out DIR [--drop]]   detach the patrol fixes of months before YYYY-MM (kept in schema patrol_archive, or written to DIR as gzip CSV and dropped)
  gridd assess --month YYYY-MM [--rubric FILE] [--json] [--xlsx FILE]   monthly assessment (月考核): compute, store a version, print
  gridd db start|stop|url [--dir DIR] [--ephemeral] [--logical]
  gridd province publish --county-code CODE              on a city database: publish grids, cases, monthly figures (wal_level=logical)
  gridd province subscribe --city-code CODE --conninfo STR --province-url URL   on the province database: subscribe to a city
  gridd province status --province-url URL               the subscribed cities, connected or not, lag

Environment:
  DATABASE_URL   PostgreSQL URL (default: the private cluster under --dir)
  GRIDD_ADDR     listen address (default :8080)
  GRIDD_LOG      log level: debug, info, warn, error (default info)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gridd:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Print(usage)
		return fmt.Errorf("no subcommand")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest)
	case "dev":
		return cmdDev(ctx, rest)
	case "migrate":
		return cmdMigrate(ctx, rest)
	case "demo":
		return cmdDemo(ctx, rest)
	case "import":
		return cmdImport(ctx, rest)
	case "export":
		return cmdExportLayer(ctx, rest)
	case "user":
		return cmdUser(ctx, rest)
	case "audit":
		return cmdAudit(ctx, rest)
	case "assess":
		return cmdAssess(ctx, rest)
	case "patrols":
		return cmdPatrols(ctx, rest)
	case "db":
		return cmdDB(ctx, rest)
	case "province":
		return cmdProvince(ctx, rest)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown subcommand %q", cmd)
}
