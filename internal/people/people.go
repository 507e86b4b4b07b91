// Package people holds users, their roles, departments (职能单位) and the
// dated assignments of people to grids (网格长, 网格员, 党小组长, 蹲点领导,
// 蹲点干部, 平安志愿者), so "who was responsible for grid G on date D" has
// an answer.
package people

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/errs"
)

// Role is a user's access role.
type Role string

const (
	RoleAdmin      Role = "admin"      // everything
	RoleCenter     Role = "center"     // a grid center, scoped to a grid subtree
	RoleDepartment Role = "department" // a department's staff: its unit's work
	RoleWorker     Role = "worker"     // a grid worker: its own grids
	RoleViewer     Role = "viewer"     // read-only, scoped to a grid subtree

	// The other grid forces (P4 六(四)(五), P1 五.2): they report into the
	// grid (their reports carry their role as the source) and read what
	// they reported; they read no grid's data.
	RoleVolunteer Role = "volunteer" // 平安志愿者: reports, rates the handling of its reports
	RoleInformant Role = "informant" // 信息员: reports
	RolePolice    Role = "police"    // 社区民警: reports; on the community rota (scope: its community)
	RoleLiaison   Role = "liaison"   // 部门联络员: reports for its department (department_code)
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleCenter, RoleDepartment, RoleWorker, RoleViewer, RoleVolunteer, RoleInformant, RolePolice, RoleLiaison}

// FieldForces are the roles of the other grid forces: reporters outside
// the grid staff.
var FieldForces = []Role{RoleVolunteer, RoleInformant, RolePolice, RoleLiaison}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", errs.Invalidf("role", "invalid_role", "want one of admin, center, department, worker, viewer, volunteer, informant, police, liaison; got %q", s)
}

// GridRole is a person's role in a grid, from the plans' "1+N" model.
type GridRole string

const (
	GridHead              GridRole = "head"               // 网格长
	GridWorker            GridRole = "worker"             // 网格员
	GridPartyLeader       GridRole = "party_leader"       // 党小组长
	GridSupervisingLeader GridRole = "supervising_leader" // 蹲点领导
	GridSupervisingCadre  GridRole = "supervising_cadre"  // 蹲点干部
	GridVolunteer         GridRole = "volunteer"          // 平安志愿者
)

// GridRoles lists every grid role.
var GridRoles = []GridRole{GridHead, GridWorker, GridPartyLeader, GridSupervisingLeader, GridSupervisingCadre, GridVolunteer}

// ParseGridRole validates a grid role name.
func ParseGridRole(s string) (GridRole, error) {
	for _, r := range GridRoles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", errs.Invalidf("grid_role", "invalid_grid_role", "want one of head, worker, party_leader, supervising_leader, supervising_cadre, volunteer; got %q", s)
}

// User is a person known to gridd; with a password hash they can log in.
type User struct {
	ID             int64
	Username       string
	Name           string
	Phone          string
	Role           Role
	DepartmentCode string // for RoleDepartment
	ScopeCode      string // grid subtree root for center and viewer; "" = whole registry
	PasswordHash   string
	Disabled       bool
}

// Department is a responsible unit (职能单位).
type Department struct {
	Code string
	Name string
}

// Assignment places a user in a grid role for a span of dates.
// ValidTo is exclusive; nil means open-ended.
type Assignment struct {
	ID        int64
	UserID    int64
	Username  string
	Name      string
	GridCode  string
	GridRole  GridRole
	FullTime  bool
	ValidFrom time.Time // a civil date at 00:00 UTC
	ValidTo   *time.Time
}

// AssignmentFilter selects assignments; nil fields do not filter.
type AssignmentFilter struct {
	ID       *int64
	GridCode *string
	// GridCodes selects assignments to any of these grids (nil: any grid).
	GridCodes []string
	UserID    *int64
	Role      *GridRole
	// On selects assignments valid on that civil date.
	On *time.Time
}

// Store is what this package needs from the database.
type Store interface {
	CreateUser(ctx context.Context, u *User) error
	FindUserByUsername(ctx context.Context, username string) (*User, error)
	FindUserByID(ctx context.Context, id int64) (*User, error)
	FindUsers(ctx context.Context) ([]*User, error)
	SetPassword(ctx context.Context, userID int64, hash string) error
	CreateDepartment(ctx context.Context, d *Department) error
	FindDepartments(ctx context.Context) ([]*Department, error)
	CreateAssignment(ctx context.Context, a *Assignment) error
	EndAssignment(ctx context.Context, id int64, on time.Time) error
	FindAssignments(ctx context.Context, f AssignmentFilter) ([]*Assignment, error)
}

// NewUser validates the fields of a new user.
func NewUser(username, name, phone, role, department, scope string) (*User, error) {
	r, err := ParseRole(role)
	if err != nil {
		return nil, err
	}
	if !ValidUsername(username) {
		return nil, errs.Invalidf("username", "invalid_username", "want 1–64 letters, digits, '.', '_' or '-', got %q", username)
	}
	if name == "" {
		return nil, errs.Invalidf("name", "name_required", "the name must not be empty")
	}
	if phone != "" && !validPhone(phone) {
		return nil, errs.Invalidf("phone", "invalid_phone", "want an 11-digit mainland mobile number starting with 1, got %q", phone)
	}
	if r == RoleDepartment && department == "" {
		return nil, errs.Invalidf("department_code", "department_required", "a department user needs department_code")
	}
	if r == RoleLiaison && department == "" {
		return nil, errs.Invalidf("department_code", "department_required", "a liaison needs the department_code of the department it speaks for")
	}
	if r == RolePolice && scope == "" {
		return nil, errs.Invalidf("scope_code", "scope_required", "a community police officer needs scope_code: the community (grid) on whose rota it serves")
	}
	return &User{Username: username, Name: name, Phone: phone, Role: r, DepartmentCode: department, ScopeCode: scope}, nil
}

// NewDepartment validates a department.
func NewDepartment(code, name string) (*Department, error) {
	if len(code) == 0 || len(code) > 40 {
		return nil, errs.Invalidf("code", "invalid_code", "want 1–40 characters a-z, 0-9, '_' or '-', got %q", code)
	}
	for _, c := range code {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return nil, errs.Invalidf("code", "invalid_code", "want 1–40 characters a-z, 0-9, '_' or '-', got %q", code)
		}
	}
	if name == "" {
		return nil, errs.Invalidf("name", "name_required", "the name must not be empty")
	}
	return &Department{Code: code, Name: name}, nil
}

// ValidUsername reports whether s is a well-formed username: 1 to 64
// letters, digits, '.', '_' or '-'.
func ValidUsername(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func validPhone(s string) bool {
	if len(s) != 11 || s[0] != '1' {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
