// Package patrol turns grid workers' GPS tracks into the figures the monthly
// assessment needs (REQUIREMENTS §4–5): which fixes count (cleaning), patrol
// time and distance inside the worker's own grids, area coverage of each
// grid (spatial/coverage), daily and monthly results against the
// configurable rules, and visits to checkpoints (关键点位).
//
// Days are civil days in Asia/Shanghai: a fix belongs to the day of its
// local time. A day's results are computed from that day's valid fixes only.
package patrol

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// Rules are the assessment's thresholds; all configurable.
type Rules struct {
	MaxAccuracyM    float64       // a fix less accurate than this is flagged (50 m)
	MaxSpeedKmh     float64       // faster than this, from consecutive fixes or reported, is flagged (30 km/h)
	FutureTolerance time.Duration // a fix later than its receipt plus this is flagged (2 min)
	MaxGap          time.Duration // segments split at gaps longer than this (10 min)
	RadiusM         float64       // R: a cell is covered within R of the track (30 m)
	Resolution      int           // H3 resolution of the coverage cells (12)
	MinDaily        time.Duration // a patrolled day has at least this inside own grids (2 h)
	FullCoverage    float64       // a full patrol day covers at least this share of the grid (0.80)
	MonthlyCoverage float64       // the month's union must cover this share (0.95)
	CheckpointM     float64       // a checkpoint is visited by a valid fix within this (30 m)
}

// Fingerprint identifies the rules a stored day was computed with: days
// computed with other rules are recomputed (Service.MarkStale).
func (r Rules) Fingerprint() string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%+v", r)))
	return hex.EncodeToString(sum[:8])
}

// DefaultRules are the assessment's defaults (P5 §六.1).
func DefaultRules() Rules {
	return Rules{
		MaxAccuracyM:    50,
		MaxSpeedKmh:     30,
		FutureTolerance: 2 * time.Minute,
		MaxGap:          10 * time.Minute,
		RadiusM:         30,
		Resolution:      12,
		MinDaily:        2 * time.Hour,
		FullCoverage:    0.80,
		MonthlyCoverage: 0.95,
		CheckpointM:     30,
	}
}

// Fix is one GPS fix, in WGS84. AccuracyM and SpeedMps are 0 when the
// phone did not report them (then they do not flag the fix).
type Fix struct {
	T          time.Time
	Lon, Lat   float64
	AccuracyM  float64
	SpeedMps   float64
	ReceivedAt time.Time // when gridd received it; zero = unknown
}

// Point returns the fix as an orb point.
func (f Fix) Point() orb.Point { return orb.Point{f.Lon, f.Lat} }

// Flag says why a fix does not count; 0 means it counts.
type Flag uint8

const (
	FlagAccuracy  Flag = 1 << iota // accuracy worse than MaxAccuracyM
	FlagSpeed                      // implied or reported speed above MaxSpeedKmh
	FlagDuplicate                  // same timestamp as an earlier fix
	FlagFuture                     // time later than its receipt
)

// FlagNames are the stable keys of the flags, in bit order.
var FlagNames = []string{"accuracy", "speed", "duplicate_time", "future_time"}

// Names returns the keys of the set flags.
func (f Flag) Names() []string {
	var out []string
	for i, n := range FlagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// Clean flags the fixes that must not count. fixes must be sorted by T.
// now is used as the receipt time of fixes without one.
//
// The speed rule compares a fix with the previous valid fix within MaxGap:
// a jump faster than MaxSpeedKmh flags the later fix, so one outlier costs
// one fix, not the rest of the day. A reported SpeedMps above the limit
// flags the fix too.
func Clean(fixes []Fix, r Rules, now time.Time) []Flag {
	flags := make([]Flag, len(fixes))
	maxV := r.MaxSpeedKmh / 3.6
	last := -1
	for i, f := range fixes {
		var fl Flag
		if r.MaxAccuracyM > 0 && f.AccuracyM > r.MaxAccuracyM {
			fl |= FlagAccuracy
		}
		recv := f.ReceivedAt
		if recv.IsZero() {
			recv = now
		}
		if f.T.After(recv.Add(r.FutureTolerance)) {
			fl |= FlagFuture
		}
		if i > 0 && f.T.Equal(fixes[i-1].T) {
			fl |= FlagDuplicate
		}
		if maxV > 0 && f.SpeedMps > maxV {
			fl |= FlagSpeed
		}
		if fl == 0 && last >= 0 && maxV > 0 {
			dt := f.T.Sub(fixes[last].T).Seconds()
			if dt > 0 && dt <= r.MaxGap.Seconds() && geo.Distance(fixes[last].Point(), f.Point())/dt > maxV {
				fl |= FlagSpeed
			}
		}
		flags[i] = fl
		if fl == 0 {
			last = i
		}
	}
	return flags
}

// Segments returns the valid fixes split into segments at gaps longer than
// MaxGap. A segment may hold a single fix.
func Segments(fixes []Fix, flags []Flag, r Rules) [][]Fix {
	var out [][]Fix
	var cur []Fix
	for i, f := range fixes {
		if flags[i] != 0 {
			continue
		}
		if len(cur) > 0 && f.T.Sub(cur[len(cur)-1].T) > r.MaxGap {
			out = append(out, cur)
			cur = nil
		}
		cur = append(cur, f)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// DayOf returns the civil day (00:00 in loc) of t.
func DayOf(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
