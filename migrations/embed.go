// Package migrations holds the numbered SQL migrations, embedded so that
// `gridd migrate` and the tests apply exactly the same files.
package migrations

import "embed"

// FS holds the *.sql migrations in goose format.
//
//go:embed *.sql
var FS embed.FS
