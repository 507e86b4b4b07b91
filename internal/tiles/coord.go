package tiles

import (
	"fmt"
	"strconv"

	"github.com/gridd/gridd/internal/errs"
)

// MaxZoom is the deepest zoom served.
const MaxZoom = 22

// Coord is a tile address in the XYZ (slippy map) scheme: y grows south.
type Coord struct{ Z, X, Y int }

func (c Coord) String() string { return fmt.Sprintf("%d/%d/%d", c.Z, c.X, c.Y) }

// ParseCoord parses and validates z, x and y: 0 <= z <= MaxZoom and
// 0 <= x, y < 2^z. The error names the offending part.
func ParseCoord(z, x, y string) (Coord, error) {
	zi, err := strconv.Atoi(z)
	if err != nil || zi < 0 || zi > MaxZoom {
		return Coord{}, errs.Invalidf("z", "invalid_tile", "want a zoom from 0 to %d, got %q", MaxZoom, z)
	}
	n := 1 << zi
	xi, err := strconv.Atoi(x)
	if err != nil || xi < 0 || xi >= n {
		return Coord{}, errs.Invalidf("x", "invalid_tile", "at zoom %d want x from 0 to %d, got %q", zi, n-1, x)
	}
	yi, err := strconv.Atoi(y)
	if err != nil || yi < 0 || yi >= n {
		return Coord{}, errs.Invalidf("y", "invalid_tile", "at zoom %d want y from 0 to %d, got %q", zi, n-1, y)
	}
	return Coord{zi, xi, yi}, nil
}
