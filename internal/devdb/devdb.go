// Package devdb bootstraps a private PostgreSQL + PostGIS cluster in a
// directory owned by the project: `make run` keeps one under ./.gridd and
// `make test` makes a throw-away one under a temporary directory.
//
// The cluster listens on 127.0.0.1 at a free port and on a unix socket inside
// its own directory. PostgreSQL refuses to run as root, so when the caller is
// root the data directory is handed to the postgres system user and every
// server binary runs as that user.
package devdb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options describe the cluster to ensure.
type Options struct {
	Dir      string // cluster home: data/, socket, log and port file live here
	Database string // database to create (with the postgis extension)
	// Durable keeps fsync on. Only throw-away test clusters turn it off.
	Durable bool
	// Logical sets wal_level = logical, so that the cluster can publish
	// tables to a province database (logical replication; province.go in
	// cmd/gridd) and, as the province, subscribe to cities.
	Logical bool
	standby bool // a streaming standby (StartStandby)
}

// Cluster is a running private cluster.
type Cluster struct {
	Dir  string
	Port int
	bin  string
	opts Options
}

// ErrNoPostGIS is returned when no PostgreSQL installation with PostGIS exists.
var ErrNoPostGIS = errors.New("PostgreSQL with PostGIS not found: install the Debian/Ubuntu package postgresql-15-postgis-3 (or 'postgis'), or set DATABASE_URL")

// FindBin returns the newest PostgreSQL server bin directory whose share
// directory has the postgis extension.
func FindBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		v := filepath.Base(filepath.Dir(d))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join("/usr/share/postgresql", v, "extension", "postgis.control")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", ErrNoPostGIS
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start initialises the cluster if needed, starts it if it is not running and
// creates the database. It is safe to call on a running cluster.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin, opts: opts}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	if err := c.chown(dir); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		args := []string{"-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale", "C.UTF-8"}
		if !opts.Durable {
			args = append(args, "--no-sync")
		}
		if out, err := c.run("initdb", args...); err != nil {
			return nil, fmt.Errorf("initdb: %v\n%s", err, out)
		}
	}
	if err := c.writeConf(); err != nil {
		return nil, err
	}
	if c.running() {
		if p, err := c.readPort(); err == nil {
			c.Port = p
		}
	}
	if c.Port == 0 {
		port, err := c.choosePort()
		if err != nil {
			return nil, err
		}
		c.Port = port
		logFile := filepath.Join(dir, "postgres.log")
		o := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, dir)
		if out, err := c.run("pg_ctl", "-D", data, "-o", o, "-l", logFile, "-w", "-t", "60", "start"); err != nil {
			log, _ := os.ReadFile(logFile)
			return nil, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, tail(string(log), 2000))
		}
		if err := os.WriteFile(filepath.Join(dir, "port"), []byte(strconv.Itoa(port)), 0o644); err != nil {
			return nil, err
		}
	}
	if opts.Database != "" {
		if err := c.CreateDatabase(ctx, opts.Database); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// URL returns a connection string for database name.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, name)
}

// CreateDatabase creates name with the postgis extension unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return err
		}
	}
	db, err := pgx.Connect(ctx, c.URL(name))
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	_, err = db.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS postgis`)
	return err
}

// StartStandby makes dir a streaming standby of c unless it is one
// already — a base backup (pg_basebackup -R: the standby's connection to
// c is written into its configuration) taken as the postgres user — and
// starts it. The standby is read-only, replays c's write-ahead log as it
// arrives and keeps c from removing rows its queries still read
// (hot_standby_feedback).
func (c *Cluster) StartStandby(ctx context.Context, dir string) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(abs, 0o755); err != nil {
		return nil, err
	}
	if err := c.chown(abs); err != nil {
		return nil, err
	}
	data := filepath.Join(abs, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		args := []string{"-D", data, "-R", "-X", "stream", "-c", "fast", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", "postgres"}
		if !c.opts.Durable {
			args = append(args, "--no-sync")
		}
		if out, err := c.run("pg_basebackup", args...); err != nil {
			return nil, fmt.Errorf("pg_basebackup: %v\n%s", err, out)
		}
	}
	return Start(ctx, Options{Dir: abs, Durable: c.opts.Durable, standby: true})
}

// Restart starts the cluster again after Stop or Crash, on its port.
func (c *Cluster) Restart(ctx context.Context) error {
	opts := c.opts
	opts.Dir, opts.Database = c.Dir, ""
	_, err := Start(ctx, opts)
	return err
}

// Stop stops the cluster (fast shutdown).
func (c *Cluster) Stop() error {
	if !c.running() {
		return nil
	}
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// Crash stops the cluster as a crash would (pg_ctl stop -m immediate: no
// checkpoint, recovery from the WAL at the next start). Tests use it to
// check that acknowledged writes survive.
func (c *Cluster) Crash() error {
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "immediate", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop -m immediate: %v\n%s", err, out)
	}
	return nil
}

// StopWhenGone starts a detached watchdog that stops the cluster (immediate
// shutdown) and removes removeDir once process pid has exited: a throw-away
// cluster of a test binary does not outlive it, however the binary ends.
func (c *Cluster) StopWhenGone(pid int, removeDir string) error {
	ctl := []string{filepath.Join(c.bin, "pg_ctl"), "-D", filepath.Join(c.Dir, "data"), "-m", "immediate", "-w", "stop"}
	if os.Geteuid() == 0 {
		ctl = append([]string{"runuser", "-u", "postgres", "--"}, ctl...)
	}
	script := `while kill -0 "$1" 2>/dev/null; do sleep 2; done; shift; dir="$1"; shift; "$@" >/dev/null 2>&1; rm -rf "$dir"`
	cmd := exec.Command("sh", append([]string{"-c", script, "watchdog", strconv.Itoa(pid), removeDir}, ctl...)...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cluster watchdog: %w", err)
	}
	return cmd.Process.Release()
}

// Open returns the cluster at dir without starting it.
func Open(dir string) (*Cluster, error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: abs, bin: bin}
	c.Port, _ = c.readPort()
	return c, nil
}

func (c *Cluster) running() bool {
	_, err := c.run("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "status")
	return err == nil
}

func (c *Cluster) readPort() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.Dir, "port"))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// choosePort reuses the last port when it is free, else asks the kernel.
func (c *Cluster) choosePort() (int, error) {
	if p, err := c.readPort(); err == nil {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			l.Close()
			return p, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) writeConf() error {
	conf := []string{
		"# written by gridd devdb",
		"max_connections = 200",
		"shared_buffers = 256MB",
		"jit = off",
		"unix_socket_permissions = 0777",
	}
	if c.opts.standby {
		conf = append(conf, "hot_standby = on", "hot_standby_feedback = on")
	}
	if !c.opts.Durable {
		conf = append(conf, "fsync = off", "synchronous_commit = off", "full_page_writes = off")
	} else {
		// commit_delay lets concurrent commits share one WAL flush (only
		// when four or more other transactions are active, so a quiet
		// server pays nothing): many concurrent intakes, each its own
		// durable commit, are what this service does.
		conf = append(conf, "fsync = on", "synchronous_commit = on", "full_page_writes = on", "commit_delay = 1000", "commit_siblings = 4")
	}
	if c.opts.Logical {
		conf = append(conf, "wal_level = logical", "max_replication_slots = 20", "max_wal_senders = 20",
			"max_logical_replication_workers = 20", "max_worker_processes = 32")
	}
	path := filepath.Join(c.Dir, "data", "gridd.conf")
	if err := os.WriteFile(path, []byte(strings.Join(conf, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	if err := c.chown(path); err != nil {
		return err
	}
	main := filepath.Join(c.Dir, "data", "postgresql.conf")
	b, err := os.ReadFile(main)
	if err != nil {
		return err
	}
	if !strings.Contains(string(b), "include_if_exists = 'gridd.conf'") {
		b = append(b, []byte("\ninclude_if_exists = 'gridd.conf'\n")...)
		if err := os.WriteFile(main, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// run runs a PostgreSQL binary, as the postgres user when we are root.
func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = "/"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_ = ctx
	return cmd.CombinedOutput()
}

func (c *Cluster) chown(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs the postgres system user (from the postgresql package): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(path, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
