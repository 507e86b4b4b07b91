package tiles

import (
	"context"
	"time"
)

// SnapshotPatch is what changed in a snapshot layer since a mark.
type SnapshotPatch struct {
	// Mark is where the next patch starts.
	Mark string
	// Changed are the current features among those changed, each with its
	// own code first and its parent's code second (when it has a parent);
	// the snapshot completes the ancestors from its parent's feature.
	Changed []SnapshotFeature
	// Gone are the codes of changed features that no longer exist.
	Gone []string
	// Reload tells that the mark is too old to patch from.
	Reload bool
}

// SnapshotPatcher reads what changed in a layer so that a snapshot
// patches the features affected by a change instead of reloading all.
type SnapshotPatcher interface {
	// Mark returns a mark taken before a full load: every change the load
	// may not see is among the changes since the mark.
	Mark(ctx context.Context) (string, error)
	// Changes reads the features changed since mark, as of day.
	Changes(ctx context.Context, day time.Time, mark string) (*SnapshotPatch, error)
}

// patch makes the snapshot of version from c and the changes since c's
// mark; ok false when the layer must be loaded whole (the mark is too
// old, or a grid moved to another parent, which changes its subtree's
// ancestors).
func (s *Snapshot) patch(ctx context.Context, c *snap, version string, day time.Time) (*snap, bool, error) {
	p, err := s.Patch.Changes(ctx, day, c.mark)
	if err != nil || p.Reload || len(p.Changed)+len(p.Gone) > len(c.feats)/4+16 {
		return nil, false, err // a large change (an import) is cheaper loaded whole
	}
	sn := &snap{version: version, day: c.day, mark: p.Mark, feats: c.feats, bounds: c.bounds, index: c.index, pos: c.pos}
	if len(p.Changed) == 0 && len(p.Gone) == 0 {
		return sn, true, nil
	}
	feats := append([]SnapshotFeature(nil), c.feats...)
	bounds := append(c.bounds[:0:0], c.bounds...)
	reindex := false
	for _, f := range p.Changed {
		code := f.Codes[0]
		if len(f.Codes) > 1 {
			if i, ok := c.pos[f.Codes[1]]; ok {
				f.Codes = append([]string{code}, feats[i].Codes...)
			}
		}
		i, ok := c.pos[code]
		if !ok {
			feats = append(feats, f)
			bounds = append(bounds, f.Geometry.Bound())
			reindex = true
			continue
		}
		if parentOf(feats[i]) != parentOf(f) {
			return nil, false, nil
		}
		if b := f.Geometry.Bound(); b != bounds[i] {
			bounds[i] = b
			reindex = true
		}
		feats[i] = f
	}
	if len(p.Gone) > 0 {
		gone := make(map[string]bool, len(p.Gone))
		for _, code := range p.Gone {
			if _, ok := c.pos[code]; ok {
				gone[code] = true
			}
		}
		if len(gone) > 0 {
			j := 0
			for i := range feats {
				if !gone[feats[i].Codes[0]] {
					feats[j], bounds[j] = feats[i], bounds[i]
					j++
				}
			}
			feats, bounds = feats[:j], bounds[:j]
			reindex = true
		}
	}
	sn.feats, sn.bounds = feats, bounds
	if reindex {
		sn.index = newBucketIndex(bounds)
		sn.pos = positions(feats)
	}
	return sn, true, nil
}

func parentOf(f SnapshotFeature) string {
	if len(f.Codes) > 1 {
		return f.Codes[1]
	}
	return ""
}

// positions maps each feature's code to its index.
func positions(feats []SnapshotFeature) map[string]int {
	m := make(map[string]int, len(feats))
	for i, f := range feats {
		m[f.Codes[0]] = i
	}
	return m
}
