# gridd — two commands on a fresh Debian/Ubuntu machine:
#   make run    PostGIS bootstrapped under ./.gridd, demo town loaded, console on :8080
#   make test   the same bootstrap into a throw-away cluster, then go test -race ./...

GO      ?= go
BIN     := bin/gridd
GRIDD_DIR ?= .gridd
export CGO_ENABLED := 1

# Debian 12 names the extension package postgresql-15-postgis-3; the
# postgresql-postgis metapackage follows the distribution's default version.
PG_PACKAGES   := postgresql postgresql-postgis
TEST_PACKAGES := gdal-bin chromium

.PHONY: all build run stop test bench sim city-month fuzz deps-pg deps-test vet clean
.PHONY: web deps-web deps-fonts

all: build

build: web
	$(GO) build -o $(BIN) ./cmd/gridd

# web builds the console bundle (web/dist, embedded by go:embed) when it is
# missing or its sources changed: npm ci from the committed lockfile, then
# esbuild. Nothing is fetched at run time; the console works offline.
WEB_SRC := $(shell find web/src web/static web/m -type f 2>/dev/null) web/build.mjs web/package.json web/package-lock.json

web: web/dist/index.html

web/dist/index.html: $(WEB_SRC) | deps-web
	cd web && npm ci --no-audit --no-fund && npm run build

# deps-web installs Node.js and npm from the distribution when missing (as root).
deps-web:
	@if command -v npm >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "npm not found: install nodejs and npm to build the web console" >&2; exit 1; fi; \
	echo "installing nodejs npm ..."; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null

# deps-fonts installs a Chinese font for the browser tests' screenshots
# (headless chromium draws CJK text as boxes without one).
deps-fonts:
	@if command -v fc-list >/dev/null 2>&1 && [ -n "$$(fc-list :lang=zh 2>/dev/null)" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "no Chinese font: install fonts-wqy-microhei (or fonts-noto-cjk) for readable console screenshots" >&2; exit 0; fi; \
	echo "installing fonts-wqy-microhei ..."; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null

# deps-pg installs PostgreSQL + PostGIS from the distribution when missing
# (as root), unless DATABASE_URL points at a database already.
deps-pg:
	@if [ -n "$$DATABASE_URL" ]; then exit 0; fi; \
	if ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "PostGIS not found. Install the package postgresql-15-postgis-3 (Debian 12) or postgresql-postgis (Ubuntu) as root, or set DATABASE_URL." >&2; exit 1; fi; \
	echo "installing PostgreSQL + PostGIS ($(PG_PACKAGES)) from the distribution..."; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PG_PACKAGES) >/dev/null || { \
	  echo "could not install PostGIS: install the package postgresql-15-postgis-3 (or postgresql-postgis) and retry" >&2; exit 1; }

# deps-test installs what the outside-client and browser tests drive.
deps-test:
	@missing=""; command -v ogrinfo >/dev/null 2>&1 || missing="$$missing gdal-bin"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || missing="$$missing haproxy"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "missing test tools:$$missing (install them as root)" >&2; exit 1; fi; \
	echo "installing$$missing ..."; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null

run: deps-pg build
	./$(BIN) dev --dir $(GRIDD_DIR)

stop:
	@if [ -x $(BIN) ]; then ./$(BIN) db stop --dir $(GRIDD_DIR); else $(GO) run ./cmd/gridd db stop --dir $(GRIDD_DIR); fi

vet:
	$(GO) vet ./...

# test runs every package against a throw-away PostGIS cluster (durability
# off) that is stopped and removed afterwards, whatever the outcome.
test: deps-pg deps-test deps-fonts build
	@set -e; dir=$$(mktemp -d /tmp/gridd-test.XXXXXX); chmod 755 $$dir; \
	trap "./$(BIN) db stop --dir $$dir/pg >/dev/null 2>&1 || true; rm -rf $$dir" EXIT; \
	url=$$(./$(BIN) db start --dir $$dir/pg --ephemeral); \
	admin=$$(echo "$$url" | sed 's#/gridd?#/postgres?#'); \
	echo "test cluster: $$admin"; \
	GRIDD_TEST_DB="$$admin" GRIDD_BIN="$(CURDIR)/$(BIN)" $(GO) test -race -count=1 -timeout 40m ./...

# bench runs the benchmarks (index vs PostGIS in the same run; the field
# app's in chromium) on a
# throw-away cluster configured like a real one (fsync, synchronous commits,
# full-page writes: write throughput is measured with durable commits);
# results go in BENCHMARKS.md by hand, with date and machine.
# fuzz runs every fuzz target of the readers of outside input (GeoJSON,
# Shapefile zip/.shp/.dbf, CSV/xlsx, GPX, photos) for FUZZTIME each; `make
# test` runs only their seed corpora. Crashers land in testdata/fuzz/.
FUZZTIME ?= 60s
FUZZ_TARGETS := \
	./internal/registry:FuzzParseGeoJSON ./internal/registry:FuzzParseGeometryJSON \
	./internal/registry:FuzzParseShapefileZip ./internal/registry:FuzzShapefileRecords ./internal/registry:FuzzDBF \
	./internal/registers:FuzzReadTable ./internal/casework:FuzzCleanPhoto ./internal/httpapi:FuzzParseGPX

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

bench: deps-pg deps-test build
	@set -e; dir=$$(mktemp -d /tmp/gridd-bench.XXXXXX); chmod 755 $$dir; \
	trap "./$(BIN) db stop --dir $$dir/pg >/dev/null 2>&1 || true; rm -rf $$dir" EXIT; \
	url=$$(./$(BIN) db start --dir $$dir/pg); \
	admin=$$(echo "$$url" | sed 's#/gridd?#/postgres?#'); \
	GRIDD_TEST_DB="$$admin" GRIDD_BENCH_FULL=1 $(GO) test -run '^$$' -bench . -benchmem -benchtime 2s -timeout 60m ./... > bench.out 2>&1 || status=$$?; \
	cat bench.out; exit $${status:-0}

# The city simulation (cmd/gridd/sim_test.go): two gridd processes behind
# HAProxy on a private primary and its streaming standby (reads on the
# standby), simulated phones, console users, SSE-only clients and a GIS
# client; one instance killed at 1/2, the standby crashed at 3/4 and
# started again at 7/8. Not part of `make test`. The issue's size:
# make sim SIM_ARGS='-sim.phones 100 -sim.streams 200 -sim.consoles 10 -sim.duration 2m'
SIM_ARGS ?=
sim: deps-pg deps-test
	$(GO) test -tags sim -run '^TestSim$$' -count=1 -v -timeout 30m ./cmd/gridd -args $(SIM_ARGS)

# The city month (cmd/gridd/citymonth_test.go): CITY_ARGS' -city.workers
# workers (default 1000), each with its own grid, a month of fixes stored
# through patrol intake (uploads of 12, group commit) into a private
# durable cluster, the patrol_settle job computing every worker-day, the
# month audit; each phase timed, the results checked, and the total
# extrapolated to 10,000 workers. Not part of `make test`. Also
# -city.every (fix interval), -city.batch, -city.senders, -city.month,
# -city.settle-during, -city.sample, -city.seed, -city.dir.
CITY_ARGS ?=
city-month: deps-pg
	$(GO) test -tags citymonth -run '^TestCityMonth$$' -count=1 -v -timeout 6h ./cmd/gridd -args $(CITY_ARGS)

clean:
	rm -rf bin bench.out
