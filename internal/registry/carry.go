package registry

// Carry-over: when an edit ends a grid (a merge, a division proposal's
// apply), what is keyed to that grid moves to its successor, the grid
// written in the same edit that overlaps the ended grid's last geometry
// most (ties: the lower code). An ended grid that no written grid overlaps
// keeps nothing: its assignments end with it.
//
// What moves:
//   - the people's assignments (every grid role) current on the edit's day
//     or starting later: each ends on that day and a new assignment of the
//     same person, role and end date starts on the successor (an assignment
//     the person already holds there is not duplicated);
//   - key persons that have no place (assigned by grid code only); located
//     key persons and every register record follow their points (people
//     their households) when the registers are re-assigned after the edit
//     (the households preview of a dry run shows them);
//   - checkpoints, by their point: a checkpoint of any grid the edit writes
//     or ends goes to the written grid its point lies in.
//
// Grids that keep their code (a vertex moved, a split's remaining part, a
// carve's source) keep their people.

// Carry-over kinds.
const (
	CarryAssignment  = "assignment"
	CarryKeyPersons  = "key_persons"
	CarryCheckpoints = "checkpoints"
)

// CarryOver is one thing that moves from a grid to another with an edit.
type CarryOver struct {
	Kind string `json:"kind"`
	From string `json:"from"`
	To   string `json:"to"`
	// OverlapM2 is the area of the ended grid the successor covers (0 for
	// checkpoints, which follow their points).
	OverlapM2 float64 `json:"overlap_m2"`
	// For assignments: the person and the grid role.
	UserID   int64  `json:"user_id,omitempty"`
	Username string `json:"username,omitempty"`
	Name     string `json:"name,omitempty"`
	Role     string `json:"grid_role,omitempty"`
	// For key persons and checkpoints: how many.
	Count int `json:"count,omitempty"`
}
