package registry

// Tree is the parent relation of the current grids, used to answer subtree
// questions (access scope) without a query. A Tree is immutable.
type Tree struct {
	parent map[string]string
	level  map[string]int
}

// NewTree builds a tree from grids.
func NewTree(grids []*Grid) *Tree {
	t := &Tree{parent: make(map[string]string, len(grids)), level: make(map[string]int, len(grids))}
	for _, g := range grids {
		t.parent[g.Code] = g.ParentCode
		t.level[g.Code] = g.Level
	}
	return t
}

// IsWithin reports whether code lies strictly below root.
func (t *Tree) IsWithin(code, root string) bool {
	seen := 0
	for c := t.parent[code]; c != "" && seen < 64; c = t.parent[c] {
		if c == root {
			return true
		}
		seen++
	}
	return false
}

// Has reports whether code is a current grid.
func (t *Tree) Has(code string) bool {
	_, ok := t.parent[code]
	return ok
}

// Level returns the level of code, or 0.
func (t *Tree) Level(code string) int { return t.level[code] }

// Parent returns the parent of code.
func (t *Tree) Parent(code string) string { return t.parent[code] }
