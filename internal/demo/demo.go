// Package demo generates the deterministic demo town used to try gridd without real data: a
// three-level grid hierarchy (town → 13 villages → 26 basic grids) near Zhangqiu, Jinan, with
// topologically clean boundaries, the departments of the routing table, the people of the "1+N"
// model with their grid roles, main roads and the town-seat area.
//
// The generator is pure: no database, no I/O, no clock. The same seed always yields the same
// Town, down to the last coordinate and phone number.
//
// Geometry guarantees (checked by the package tests): every region is one polygon without holes,
// its ring closed, counter-clockwise (GeoJSON right-hand rule) and simple; coordinates are rounded
// to 1e-7 degrees; the children of every region cover it exactly and do not overlap; neighbours
// share exactly the same vertices along their common border.
package demo

import (
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// Demo town constants.
const (
	CountyCode      = "370114"          // 章丘区, Jinan, Shandong
	TownCode        = "370114001000000" // level-1 grid code of the demo town
	TownName        = "龙泉镇"
	CenterLon       = 117.53 // town centre, WGS84 degrees
	CenterLat       = 36.70
	TotalHouseholds = 7150
	TotalPopulation = 24280
	VillageCount    = 13
	GridsPerVillage = 2
)

// Person roles (Person.Role).
const (
	RoleAdmin      = "admin"
	RoleCenter     = "center"
	RoleDepartment = "department"
	RoleWorker     = "worker"
	RoleViewer     = "viewer"
	// The other grid forces (issue 18).
	RoleVolunteer = "volunteer" // 志愿者: reports and rates
	RoleInformant = "informant" // 信息员: reports
	RolePolice    = "police"    // 社区民警: on the rota of its community (ScopeGridCode)
	RoleLiaison   = "liaison"   // 部门联络员 (DepartmentCode)
)

// PoliceCommunity is the village whose community police are demo logins
// (police-1 … police-9: the norm of nine officers, three per shift).
const PoliceCommunity = "370114001001000"

// Grid roles (Assignment.GridRole).
const (
	GridRoleHead              = "head"               // 网格长
	GridRoleWorker            = "worker"             // 网格员
	GridRolePartyLeader       = "party_leader"       // 党小组长
	GridRoleSupervisingLeader = "supervising_leader" // 蹲点领导
	GridRoleSupervisingCadre  = "supervising_cadre"  // 蹲点干部
	GridRoleVolunteer         = "volunteer"          // 平安志愿者
)

// Town is the whole generated demo data set.
type Town struct {
	Grids       []Grid       // level 1 (1), level 2 (13), level 3 (26); parents before children
	Departments []Department // units of the routing table (归口办理明细表)
	People      []Person     // users with their grid role assignments
	Roads       []Road       // main roads, as lines
	SeatArea    orb.Polygon  // town-seat area (街道政府驻地)
}

// Grid is one region of the hierarchy. Code is a 15-digit DB11-style code: 6-digit county,
// 3-digit street/town, 3-digit village/community, 3-digit basic grid; the unused trailing parts
// of level-1 and level-2 codes are "000". ParentCode is empty for the town. Geometry always holds
// exactly one polygon with one (exterior) ring. Households and Population of a parent are the sums
// over its children.
type Grid struct {
	Code, Name string
	Level      int
	ParentCode string
	Geometry   orb.MultiPolygon
	Households int
	Population int
}

// Department is a responsible unit (职能单位). GridCodes lists the level-2 grids a district office
// (管区) is responsible for; it is empty for town-wide units.
type Department struct {
	Code, Name string
	GridCodes  []string
}

// Person is a user. Only admin, center, the grid workers (Username = grid code) and the
// department logins ("dept-<code>") are meant as demo logins; everybody else has a generated
// username ("p0001", …). ScopeGridCode is the grid a center login is scoped to (the town).
type Person struct {
	Username, Name, Phone string
	Role                  string // admin|center|department|worker|viewer|volunteer|informant|police|liaison
	DepartmentCode        string
	ScopeGridCode         string
	Assignments           []Assignment
}

// Assignment puts a person into a grid role.
type Assignment struct {
	GridCode string
	GridRole string // head|worker|party_leader|supervising_leader|supervising_cadre|volunteer
	FullTime bool
}

// Road is a main road (省道/县道) as a polyline; it crosses the town and may end slightly outside.
type Road struct {
	Name string
	Line orb.LineString
}

// Generate builds the demo town for seed. It is deterministic: equal seeds give deeply equal
// towns. It panics only if an internal geometric invariant fails, which the tests rule out for a
// range of seeds.
func Generate(seed int64) *Town {
	geomRNG := rand.New(rand.NewPCG(uint64(seed), 0x67726964642d6d65)) // "gridd-me"
	peopleRNG := rand.New(rand.NewPCG(uint64(seed), 0x67726964642d7070))
	statRNG := rand.New(rand.NewPCG(uint64(seed), 0x67726964642d7374))

	l := newLayout(geomRNG)
	t := &Town{}
	t.Grids = l.grids(statRNG)
	t.Roads = l.roads(geomRNG)
	t.SeatArea = l.seatArea(geomRNG)
	t.Departments = departments(t.Grids)
	t.People = people(peopleRNG, t.Grids, t.Departments)
	return t
}
