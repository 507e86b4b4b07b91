package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/people"
)

// Config is parsed here, once, and passed down as plain values.
type Config struct {
	DatabaseURL string
	// ReadDatabaseURL is a streaming standby of DatabaseURL serving the
	// tiles, OGC API Features, case and register lists, statistics and
	// exports (empty: the primary serves everything). ReadMaxLag takes it
	// out of use when it replays further behind; ReadWait bounds a
	// read-your-writes wait; ReadCheckEvery is the health check interval.
	ReadDatabaseURL  string
	ReadMaxLag       time.Duration
	ReadWait         time.Duration
	ReadCheckEvery   time.Duration
	Addr             string
	LogLevel         slog.Level
	DevDir           string
	StatementTimeout time.Duration
	TokenTTL         time.Duration
	MaxBody          int64
	// WriteRate, WriteBurst and WriteConcurrency bound each user's writes
	// (requests other than GET); zero: unlimited.
	WriteRate        float64
	WriteBurst       int
	WriteConcurrency int
	// DecodePixels is the budget of image pixels decoded at once (photos).
	DecodePixels int64
	WebDir       string
	// BasemapURL is the console's XYZ/WMTS basemap tile URL; empty: none.
	BasemapURL         string
	BasemapAttribution string
	// Now is the clock (tests inject one); nil means time.Now.
	Now func() time.Time
	// AllowUnsafeDurability serves on a database with fsync,
	// synchronous_commit or full_page_writes off (development only).
	AllowUnsafeDurability bool
	// DrainDelay is how long a stopping server answers /readyz with 503
	// (and ends its event streams) before it stops taking connections.
	DrainDelay time.Duration
	// GridsPoll is how often an instance checks the grids' revision in
	// case it missed the notification of a change.
	GridsPoll time.Duration
	// InstanceID names this instance among several on one database (jobs'
	// leader election, logs); empty: River picks one.
	InstanceID string
	// JobPoll is how often idle job workers look for work without a
	// notification (0: River's default); tests shorten it.
	JobPoll time.Duration
	// ClockEvery is how often the stage clocks' job runs (reminders,
	// escalation, digests; 0: every minute); tests shorten it.
	ClockEvery time.Duration
	// PatrolSettleEvery is how often the patrol_settle job computes the
	// days fixes arrived for since its last run (0: every 5 minutes;
	// negative: never, days are then computed when read).
	PatrolSettleEvery time.Duration
	// PatrolCopyMin: patrol batches of at least this many fixes are loaded
	// by COPY (0: never).
	PatrolCopyMin int
	// PatrolGroup: how many transactions write patrol uploads at once,
	// each taking every upload waiting (group commit; 0: 2; negative:
	// each upload its own transaction).
	PatrolGroup int
	// CaseGroup: how many transactions write case reports at once, each
	// taking every report waiting (group commit; 0: 2; negative: each
	// report its own transaction).
	CaseGroup int
	// Webhooks: WebhookAllowPrivate lets webhooks reach loopback, private
	// and link-local addresses (refused by default: SSRF); WebhookAttempts
	// bounds a delivery's attempts before it is a dead letter (0: 8);
	// WebhookBackoff spaces retries by attempt (nil: River's exponential
	// backoff; tests shorten it).
	WebhookAllowPrivate bool
	WebhookAttempts     int
	WebhookBackoff      func(attempt int) time.Duration
	// AuthCache is how many principals of recently used tokens an instance
	// keeps in memory (0: 10,000; negative: none, every request reads the
	// database).
	AuthCache int
	// PublicRate and PublicBurst limit the public "who answers here" lookup
	// per client address (0: 1 per second, bursts of 10).
	PublicRate  float64
	PublicBurst int
	// TrustedProxies are the reverse proxies (CIDR) whose X-Forwarded-For
	// names the client for throttling (none: the connection's peer).
	TrustedProxies []netip.Prefix
	// SecondFactorRoles must log in with a TOTP code (flag default admin
	// and center); users of other roles may enrol one.
	SecondFactorRoles []people.Role
	// APIKeyTTL is a new API key's default lifetime, APIKeyMaxTTL the
	// longest one may ask for (0: 90 and 365 days).
	APIKeyTTL, APIKeyMaxTTL time.Duration
	// AuditKey keys the audit log's hash chain and signs its checkpoints
	// (tests set it; otherwise GRIDD_AUDIT_KEY or the file AuditKeyFile).
	// DataKeyFile holds the data key (else GRIDD_DATA_KEY); DevDataKey,
	// set by `gridd dev` only, lets a missing key be generated.
	DataKeyFile  string
	DevDataKey   bool
	AuditKey     []byte
	AuditKeyFile string
	// AuditCheckpointDir receives signed checkpoints of the chain's head,
	// every AuditCheckpointEvery (0: a minute; one across instances, by the
	// River leader), and on `gridd audit checkpoint`; `gridd audit verify-log`
	// checks the newest one.
	AuditCheckpointDir   string
	AuditCheckpointEvery time.Duration
	// ProvinceURL, when set, makes `gridd serve` a read-only province
	// instance over this province database (the subscriptions' tables);
	// DatabaseURL stays the instance's own gridd database (logins).
	ProvinceURL string
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// commonFlags registers the flags every database-using subcommand shares.
func commonFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL)")
	fs.StringVar(&c.DevDir, "dir", envOr("GRIDD_DIR", ".gridd"), "private cluster directory used when no database URL is set (env GRIDD_DIR)")
	fs.DurationVar(&c.StatementTimeout, "statement-timeout", 30*time.Second, "SQL statement timeout")
	fs.StringVar(&c.DataKeyFile, "data-key-file", os.Getenv("GRIDD_KEY_FILE"), "file holding the 32-byte key that seals personal data (64 hex characters or base64; or env GRIDD_DATA_KEY); required except by gridd dev (env GRIDD_KEY_FILE)")
	fs.StringVar(&c.AuditKeyFile, "audit-key-file", os.Getenv("GRIDD_AUDIT_KEY_FILE"), "file holding the 32-byte audit chain key (64 hex characters or base64; or env GRIDD_AUDIT_KEY); keys the audit log and signs its checkpoints (env GRIDD_AUDIT_KEY_FILE)")
	fs.StringVar(&c.AuditCheckpointDir, "audit-checkpoint-dir", os.Getenv("GRIDD_AUDIT_CHECKPOINT_DIR"), "directory, outside the database, for signed checkpoints of the audit log's head (env GRIDD_AUDIT_CHECKPOINT_DIR)")
}

func serveFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Addr, "addr", envOr("GRIDD_ADDR", ":8080"), "listen address (env GRIDD_ADDR)")
	fs.DurationVar(&c.TokenTTL, "token-ttl", 12*time.Hour, "lifetime of a login token")
	fs.Int64Var(&c.MaxBody, "max-body", 1<<20, "largest ordinary request body in bytes")
	fs.Float64Var(&c.WriteRate, "write-rate", 5, "writes (non-GET requests, uploads included) per second one user may sustain; 0: unlimited")
	fs.IntVar(&c.WriteBurst, "write-burst", 60, "writes one user may send at once before write-rate applies")
	fs.IntVar(&c.WriteConcurrency, "write-concurrency", 8, "writes of one user in flight at a time; 0: unlimited")
	fs.Int64Var(&c.DecodePixels, "decode-pixels", 100_000_000, "image pixels (width × height) decoded at once across all uploads; a photo waits for its share")
	fs.StringVar(&c.BasemapURL, "basemap-url", os.Getenv("GRIDD_BASEMAP_URL"), "console basemap: XYZ tile URL with {z}/{x}/{y}, or a WMTS KVP GetTile URL with {TileMatrix}/{TileCol}/{TileRow}; empty: no basemap (env GRIDD_BASEMAP_URL)")
	fs.StringVar(&c.BasemapAttribution, "basemap-attribution", os.Getenv("GRIDD_BASEMAP_ATTRIBUTION"), "attribution shown for the basemap (env GRIDD_BASEMAP_ATTRIBUTION)")
	fs.StringVar(&c.WebDir, "web-dir", os.Getenv("GRIDD_WEB_DIR"), "serve the console from this built dist directory instead of the embedded copy (env GRIDD_WEB_DIR)")
	fs.StringVar(&c.ReadDatabaseURL, "read-database-url", os.Getenv("GRIDD_READ_DATABASE_URL"), "PostgreSQL URL of a streaming standby of the primary for tiles, OGC API Features, case and register lists, statistics and exports; empty: the primary serves them (env GRIDD_READ_DATABASE_URL)")
	fs.DurationVar(&c.ReadMaxLag, "read-max-lag", 5*time.Second, "a read replica replaying further behind the primary is taken out of use until it catches up")
	fs.DurationVar(&c.ReadWait, "read-wait", 200*time.Millisecond, "how long a read after the client's own write waits for the replica to replay it before reading the primary")
	fs.DurationVar(&c.ReadCheckEvery, "read-check-every", 500*time.Millisecond, "interval of the read replica's health check")
	fs.DurationVar(&c.GridsPoll, "grids-poll", 5*time.Second, "how often to check the grids' revision in case a change notification was missed (changes are otherwise seen at once, by notification)")
	fs.DurationVar(&c.DrainDelay, "drain-delay", 5*time.Second, "on SIGTERM, how long /readyz answers 503 before the server stops taking connections (at least a load balancer's health-check interval × its fall count); in-flight requests then finish")
	fs.BoolVar(&c.AllowUnsafeDurability, "allow-unsafe-durability", os.Getenv("GRIDD_ALLOW_UNSAFE_DURABILITY") == "1", "serve even when PostgreSQL runs with fsync, synchronous_commit or full_page_writes off — acknowledged writes may be lost in a crash; development only (env GRIDD_ALLOW_UNSAFE_DURABILITY=1)")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", os.Getenv("GRIDD_WEBHOOK_ALLOW_PRIVATE") == "true", "let webhooks reach loopback, private and link-local addresses (env GRIDD_WEBHOOK_ALLOW_PRIVATE=true)")
	fs.IntVar(&c.AuthCache, "auth-cache", defaultAuthCache, "principals of recently used tokens kept in memory, revoked on every instance by notification; negative: none")
	fs.Float64Var(&c.PublicRate, "public-rate", 1, "public who-answers lookups per second per client address")
	fs.IntVar(&c.PublicBurst, "public-burst", 10, "burst of public who-answers lookups per client address")
	fs.Func("trusted-proxies", "comma-separated CIDRs (or addresses) of the reverse proxies in front of gridd: from these peers only, the rightmost X-Forwarded-For hop that is not one of them is the client's address for login and lookup throttling; default none (the header is ignored)", func(v string) error {
		ps, err := parseTrustedProxies(v)
		c.TrustedProxies = append(c.TrustedProxies, ps...)
		return err
	})
	fs.IntVar(&c.WebhookAttempts, "webhook-attempts", 8, "attempts of a webhook delivery before it is a dead letter")
	fs.DurationVar(&c.PatrolSettleEvery, "patrol-settle-every", 5*time.Minute, "how often the days that new patrol fixes touched are computed (the month-end audit then finds them done); negative: only when read")
	fs.IntVar(&c.PatrolCopyMin, "patrol-copy-min", 64, "patrol uploads of at least this many fixes are loaded by COPY instead of one multi-row INSERT; 0: never")
	fs.IntVar(&c.PatrolGroup, "patrol-group", 2, "transactions writing patrol uploads at once (at most half the database pool); uploads that arrive while they all run share the next one (group commit); negative: each upload its own transaction")
	fs.IntVar(&c.CaseGroup, "case-group", 2, "transactions writing case reports at once (at most half the database pool); reports that arrive while they all run share the next one (group commit); negative: each report its own transaction")
	fs.DurationVar(&c.AuditCheckpointEvery, "audit-checkpoint-every", time.Minute, "how often a signed checkpoint of the audit log's head is written")
	fs.StringVar(&c.ProvinceURL, "province-url", os.Getenv("GRIDD_PROVINCE_URL"), "serve as a read-only province instance over this province database (the cities' subscriptions; gridd province subscribe); the database URL stays this instance's own, for logins (env GRIDD_PROVINCE_URL)")
	fs.DurationVar(&c.APIKeyTTL, "api-key-ttl", 90*24*time.Hour, "default lifetime of a new API key")
	fs.DurationVar(&c.APIKeyMaxTTL, "api-key-max-ttl", 365*24*time.Hour, "longest lifetime a new API key may ask for")
	c.SecondFactorRoles = []people.Role{people.RoleAdmin, people.RoleCenter}
	fs.Func("second-factor-roles", "roles that must log in with a TOTP second factor, comma-separated (default admin,center; \"none\": no role)", func(v string) error {
		roles, err := parseRoles(v)
		c.SecondFactorRoles = roles
		return err
	})
	level := envOr("GRIDD_LOG", "info")
	if err := c.LogLevel.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		fmt.Fprintf(os.Stderr, "gridd: GRIDD_LOG=%q is not a log level; using info\n", level)
	}
}

// parseRoles parses a comma-separated list of roles; "none" is no role.
func parseRoles(v string) ([]people.Role, error) {
	roles := []people.Role{}
	if v == "none" {
		return roles, nil
	}
	for _, f := range strings.Split(v, ",") {
		r, err := people.ParseRole(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	return roles, nil
}

// parseTrustedProxies parses a comma-separated list of CIDRs; a bare
// address is a prefix of its full length.
func parseTrustedProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: want a CIDR like 10.0.0.0/8 or an address", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want a CIDR like 10.0.0.0/8 or an address", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
