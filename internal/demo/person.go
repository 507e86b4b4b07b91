package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// departments returns the units of the routing table. The three district offices (管区) split
// the villages between them in code order: the seat village and its clockwise neighbours first.
func departments(grids []Grid) []Department {
	var villages []string
	for _, g := range grids {
		if g.Level == 2 {
			villages = append(villages, g.Code)
		}
	}
	third := (len(villages) + 2) / 3
	return []Department{
		{Code: "hwsuo", Name: "环卫所"},
		{Code: "zfzd", Name: "执法中队"},
		{Code: "gq1", Name: "第一管区", GridCodes: villages[:third]},
		{Code: "gq2", Name: "第二管区", GridCodes: villages[third : 2*third]},
		{Code: "gq3", Name: "第三管区", GridCodes: villages[2*third:]},
		{Code: "jw", Name: "建委"},
		{Code: "hbsuo", Name: "环保所"},
		{Code: "nw", Name: "农委"},
		{Code: "sysuo", Name: "食药所"},
		{Code: "ajsuo", Name: "安监所"},
		{Code: "pcs", Name: "派出所"},
		{Code: "zzb", Name: "综治办"},
	}
}

var (
	surnames = []rune("王张李刘孙赵陈杨高徐马朱于郭韩任吕宋胡周吴郑曹田董崔魏姜袁石邵孟许程谢毕贾")
	given    = []rune("建国志强秀英桂兰明华俊杰海燕玉梅文军红霞丽娟庆春德胜凤芝洪涛永刚淑珍金凤立新晓东春梅雪峰保平爱华光辉静怡浩然子涵")
)

// roster hands out unique names, phone numbers and usernames.
type roster struct {
	rng    *rand.Rand
	names  map[string]bool
	phones map[string]bool
	serial int
}

func (r *roster) person(username, role string) Person {
	if username == "" {
		r.serial++
		username = fmt.Sprintf("p%04d", r.serial)
	}
	return Person{Username: username, Name: r.name(), Phone: r.phone(), Role: role}
}

func (r *roster) name() string {
	for {
		var b strings.Builder
		b.WriteRune(surnames[r.rng.IntN(len(surnames))])
		b.WriteRune(given[r.rng.IntN(len(given))])
		if r.rng.IntN(10) < 7 {
			b.WriteRune(given[r.rng.IntN(len(given))])
		}
		if n := b.String(); !r.names[n] {
			r.names[n] = true
			return n
		}
	}
}

func (r *roster) phone() string {
	prefixes := []string{"13", "15", "18"}
	for {
		p := fmt.Sprintf("%s%09d", prefixes[r.rng.IntN(len(prefixes))], r.rng.IntN(1_000_000_000))
		if !r.phones[p] {
			r.phones[p] = true
			return p
		}
	}
}

// people returns the users: admin and center logins, one login per department, one full-time
// worker per basic grid (username = grid code), and per village the "1+N" team: a grid head for
// both grids, a party-group leader per grid, a supervising leader and cadre for both grids and a
// volunteer per grid; then the logins of the other grid forces: volunteer-1, informant-1, nine
// community police of PoliceCommunity (police-1 … police-9) and the liaison of the first
// department (liaison-1). They are drawn last, so the rest of the roster stays as it was.
func people(rng *rand.Rand, grids []Grid, depts []Department) []Person {
	r := &roster{rng: rng, names: map[string]bool{}, phones: map[string]bool{}}
	admin := r.person("admin", RoleAdmin)
	admin.Name = "系统管理员"
	center := r.person("center", RoleCenter)
	center.ScopeGridCode = TownCode
	out := []Person{admin, center}

	for _, d := range depts {
		p := r.person("dept-"+d.Code, RoleDepartment)
		p.DepartmentCode = d.Code
		out = append(out, p)
	}
	children := map[string][]string{}
	var villages []string
	for _, g := range grids {
		switch g.Level {
		case 2:
			villages = append(villages, g.Code)
		case 3:
			children[g.ParentCode] = append(children[g.ParentCode], g.Code)
			p := r.person(g.Code, RoleWorker)
			p.Assignments = []Assignment{{GridCode: g.Code, GridRole: GridRoleWorker, FullTime: true}}
			out = append(out, p)
		}
	}
	for _, v := range villages {
		kids := children[v]
		both := func(role string) Person {
			p := r.person("", RoleViewer)
			for _, g := range kids {
				p.Assignments = append(p.Assignments, Assignment{GridCode: g, GridRole: role})
			}
			return p
		}
		out = append(out, both(GridRoleHead))
		for _, g := range kids {
			p := r.person("", RoleViewer)
			p.Assignments = []Assignment{{GridCode: g, GridRole: GridRolePartyLeader}}
			out = append(out, p)
		}
		out = append(out, both(GridRoleSupervisingLeader), both(GridRoleSupervisingCadre))
		for _, g := range kids {
			p := r.person("", RoleViewer)
			p.Assignments = []Assignment{{GridCode: g, GridRole: GridRoleVolunteer}}
			out = append(out, p)
		}
	}
	out = append(out, r.person("volunteer-1", RoleVolunteer), r.person("informant-1", RoleInformant))
	for i := 1; i <= 9; i++ {
		p := r.person(fmt.Sprintf("police-%d", i), RolePolice)
		p.ScopeGridCode = PoliceCommunity
		out = append(out, p)
	}
	liaison := r.person("liaison-1", RoleLiaison)
	liaison.DepartmentCode = depts[0].Code
	return append(out, liaison)
}
