// Package province holds the migrations of a province database: the
// tables that logical replication fills from every city's publication
// (`gridd province subscribe`). It is a database of its own, not a gridd
// city database: a subscription writes into the table of the publisher's
// name, and a city's grid_versions and cases are keyed by id alone.
package province

import "embed"

// FS holds the *.sql migrations in goose format.
//
//go:embed *.sql
var FS embed.FS
