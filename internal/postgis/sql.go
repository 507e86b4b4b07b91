package postgis

import "fmt"

// sprintf fills numbered parameter positions into a static SQL fragment.
// Only integers are substituted: never values.
func sprintf(fragment string, n int) string { return fmt.Sprintf(fragment, n) }
