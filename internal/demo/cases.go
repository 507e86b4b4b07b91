package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/locate"
	ppl "github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// CaseStores is implemented by a layer store that can also hand out the
// case stores (postgis.LayerStore does); Load then adds the routing table
// and the demo cases.
type CaseStores interface {
	CaseStores() (casework.Store, casework.UploadStore)
}

// MainRoadDistanceM is how close to a main road "main roads and both sides"
// (主干道及两侧) reaches in the demo routing table.
const MainRoadDistanceM = 50

// RoutingTable returns the plans' routing table (归口办理明细表, P5
// attachment 4) for town: the town-seat area is zone "seat", main roads
// are roads of kind "main_road", and "inside villages → 管区" becomes one
// in_grid rule per district office over its villages.
func RoutingTable(town *Town) []*casework.Rule {
	var rules []*casework.Rule
	add := func(name, category string, p casework.Predicate, lead string, co ...string) {
		if co == nil {
			co = []string{}
		}
		rules = append(rules, &casework.Rule{Position: len(rules) + 1, Name: name, Category: category, Predicate: p, LeadUnit: lead, CoUnits: co})
	}
	always := casework.Predicate{}
	seat := casework.Predicate{Kind: casework.PredInZone, Zone: "seat"}
	road := casework.Predicate{Kind: casework.PredNearRoad, RoadKind: "main_road", DistanceM: MainRoadDistanceM}
	districts := func(name, category string) {
		for _, d := range town.Departments {
			if len(d.GridCodes) > 0 {
				add(name+"：村内归"+d.Name, category, casework.Predicate{Kind: casework.PredInGrid, Grids: d.GridCodes}, d.Code)
			}
		}
	}
	add("垃圾清运归环卫所", "0104", always, "hwsuo")
	add("道路保洁归环卫所", "0105", always, "hwsuo")
	add("环卫设施归环卫所", "0106", always, "hwsuo")
	add("市容市貌：主干道及两侧归环卫所", "0101", road, "hwsuo")
	add("广告灯饰：主干道及两侧归环卫所", "0102", road, "hwsuo")
	add("门前五包：主干道及两侧归环卫所", "0103", road, "hwsuo")
	add("广告灯饰：驻地区域归执法中队", "0102", seat, "zfzd")
	districts("市容环境", "01")
	add("乱停乱放/违章建设：驻地区域归执法中队、建委", "02", seat, "zfzd", "jw")
	add("乱停乱放/违章建设：主干道沿线归执法中队、建委", "02", road, "zfzd", "jw")
	districts("乱停乱放/违章建设", "02")
	add("秸秆焚烧归农委", "0306", always, "nw")
	add("环境保护归环保所、农委", "03", always, "hbsuo", "nw")
	add("食药安全归食药所", "04", always, "sysuo")
	add("安全生产归安监所", "05", always, "ajsuo")
	add("森林防火归农委", "0602", always, "nw")
	add("市政设施归建委、农委", "06", always, "jw", "nw")
	add("建筑工地归建委、执法中队", "07", always, "jw", "zfzd")
	add("治安秩序归派出所", "08", always, "pcs")
	add("矛盾纠纷归综治办", "09", always, "zzb")
	add("社区小区归建委", "10", always, "jw")
	add("便民市场环境卫生归环卫所", "1101", always, "hwsuo")
	add("便民市场经营秩序：驻地区域归建委", "1102", seat, "jw")
	districts("便民市场经营秩序", "1102")
	return rules
}

// demoCaseSpecs: what the demo cases describe, per small class.
var demoCaseSpecs = []struct{ category, text string }{
	{"0101", "沿街墙面破损，影响市容"},
	{"0102", "商户广告牌松动，存在坠落隐患"},
	{"0103", "店铺门前堆放杂物"},
	{"0104", "垃圾桶满溢未及时清运"},
	{"0105", "路面散落建筑垃圾"},
	{"0201", "车辆占用人行道停放"},
	{"0202", "村民未经审批加盖房屋"},
	{"0304", "工地未覆盖防尘网，扬尘严重"},
	{"0306", "田间焚烧秸秆"},
	{"0401", "无证经营熟食摊点"},
	{"0503", "路边非法加油点"},
	{"0601", "路灯损坏不亮"},
	{"0801", "夜间有可疑人员聚集"},
	{"0903", "邻里因排水问题发生纠纷"},
	{"1101", "集市散场后垃圾未清理"},
}

// demoTargets are the states the demo cases are taken to, in turn.
var demoTargets = []string{"reported", "accepted", "dispatched", "handling", "closed", "rejected", "handled",
	"verifying", "postponed", "closed_rework", "on_site", "extension", "closed", "merged", "escalated", "returned"}

// loadCases adds the routing table and a few dozen demo cases spread over
// the four weeks before at, in every state of the loop, by driving the
// real state machine with the demo logins as actors.
func loadCases(ctx context.Context, town *Town, st Stores, at time.Time) error {
	cs, ok := st.Layers.(CaseStores)
	if !ok {
		return nil
	}
	if at.IsZero() {
		at = demoCasesAt
	}
	store, uploads := cs.CaseStores()
	if err := store.ReplaceRules(ctx, RoutingTable(town)); err != nil {
		return fmt.Errorf("demo routing table: %w", err)
	}
	loc := locate.New(st.Grids)
	if err := loc.Refresh(ctx); err != nil {
		return err
	}
	now := at
	svc := casework.NewService(store, st.People, loc, func() casework.Hierarchy { return loc.Tree() },
		func() time.Time { return now }, casework.Config{})
	users := map[string]*auth.Principal{}
	principal := func(username string) (*auth.Principal, error) {
		if p, ok := users[username]; ok {
			return p, nil
		}
		u, err := st.People.FindUserByUsername(ctx, username)
		if err != nil {
			return nil, err
		}
		p := &auth.Principal{User: u}
		if u.Role == ppl.RoleWorker {
			as, err := st.People.FindAssignments(ctx, ppl.AssignmentFilter{UserID: &u.ID})
			if err != nil {
				return nil, err
			}
			for _, a := range as {
				p.Grids = append(p.Grids, a.GridCode)
			}
		}
		users[username] = p
		return p, nil
	}
	var basic []Grid
	for _, g := range town.Grids {
		if g.Level == 3 {
			basic = append(basic, g)
		}
	}
	rng := rand.New(rand.NewPCG(20261120, 5))
	photo := demoPhoto()
	const n = 40
	var previous *casework.Case
	for i := range n {
		g := basic[rng.IntN(len(basic))]
		pt := randomPointIn(rng, g.Geometry)
		spec := demoCaseSpecs[rng.IntN(len(demoCaseSpecs))]
		target := demoTargets[i%len(demoTargets)]
		reported := at.Add(-time.Duration(27-i*27/n) * 24 * time.Hour).Add(-time.Duration(rng.IntN(8*60)) * time.Minute)
		now = reported
		reporter, err := principal(g.Code)
		if err != nil {
			return err
		}
		source := "worker_app"
		if i%5 == 3 {
			reporter, err = principal("center")
			if err != nil {
				return err
			}
			source = "hotline_12345"
		}
		rep := casework.Report{Category: spec.category, Description: spec.text, Lon: pt[0], Lat: pt[1], Source: source, ReportedAt: &reported}
		if target == "on_site" || target == "closed" {
			ph, err := cleanDemoPhoto(ctx, uploads, photo, reporter.User.ID)
			if err != nil {
				return err
			}
			rep.Photos = []int64{ph}
			rep.ResolvedOnSite = target == "on_site"
		}
		if target == "merged" && previous != nil {
			rep.Category, rep.Lon, rep.Lat = previous.Category, previous.Location[0]+0.0001, previous.Location[1]
			rep.Description = "重复上报：" + previous.Description
		}
		c, _, err := svc.Intake(ctx, reporter, rep, "")
		if err != nil {
			return fmt.Errorf("demo case %d: %w", i, err)
		}
		if err := driveDemoCase(ctx, svc, uploads, principal, c, target, previous, &now, photo); err != nil {
			return fmt.Errorf("demo case %d (%s): %w", i, target, err)
		}
		if target == "reported" || target == "accepted" {
			previous = c
		}
	}
	return nil
}

// driveDemoCase takes c through the loop to target, a few working hours per step.
func driveDemoCase(ctx context.Context, svc *casework.Service, uploads casework.UploadStore,
	principal func(string) (*auth.Principal, error), c *casework.Case, target string, previous *casework.Case, now *time.Time, photo []byte) error {
	if target == "on_site" || target == "reported" {
		return nil
	}
	center, err := principal("center")
	if err != nil {
		return err
	}
	admin, err := principal("admin")
	if err != nil {
		return err
	}
	version := c.Version
	step := func(p *auth.Principal, t casework.Transition) error {
		*now = now.Add(5 * time.Hour)
		out, err := svc.Transition(ctx, p, c.ID, version, t)
		if err != nil {
			return fmt.Errorf("%s: %w", t.Action, err)
		}
		version = out.Version
		*c = *out
		return nil
	}
	switch target {
	case "rejected":
		return step(center, casework.Transition{Action: casework.ActReject, Comment: "描述不清，请补充照片后重新上报"})
	case "escalated":
		return step(center, casework.Transition{Action: casework.ActEscalate, Comment: "超出镇级处置权限，上报区网格中心"})
	case "merged":
		if previous == nil {
			return nil
		}
		return step(center, casework.Transition{Action: casework.ActMerge, Into: previous.ID, Comment: "与已上报案件重复"})
	}
	if err := step(center, casework.Transition{Action: casework.ActAccept}); err != nil {
		return err
	}
	if target == "accepted" {
		return nil
	}
	unit := c.SuggestedLead
	if unit == "" {
		unit = "zzb"
	}
	if err := step(center, casework.Transition{Action: casework.ActDispatch, Unit: unit, CoUnits: c.SuggestedCo}); err != nil {
		return err
	}
	dept, err := principal("dept-" + unit)
	if err != nil {
		return err
	}
	if target == "dispatched" {
		return nil
	}
	if target == "returned" {
		return step(dept, casework.Transition{Action: casework.ActReturn, Comment: "不属于本单位职责范围"})
	}
	if err := step(dept, casework.Transition{Action: casework.ActUnitAccept}); err != nil {
		return err
	}
	switch target {
	case "handling":
		return nil
	case "postponed":
		if err := step(dept, casework.Transition{Action: casework.ActRequestPostpone, Comment: "需待农忙结束后处置"}); err != nil {
			return err
		}
		return step(center, casework.Transition{Action: casework.ActGrantPostponement})
	case "extension":
		if err := step(dept, casework.Transition{Action: casework.ActRequestExtension, Days: 3, Comment: "需协调施工队伍"}); err != nil {
			return err
		}
		return step(center, casework.Transition{Action: casework.ActGrantExtension})
	}
	handle := func() error {
		ph, err := cleanDemoPhoto(ctx, uploads, photo, dept.User.ID)
		if err != nil {
			return err
		}
		return step(dept, casework.Transition{Action: casework.ActHandle, Comment: "已处置完毕", Photos: []int64{ph}})
	}
	if err := handle(); err != nil {
		return err
	}
	if target == "handled" {
		return nil
	}
	if err := step(center, casework.Transition{Action: casework.ActSendVerification}); err != nil {
		return err
	}
	if target == "verifying" {
		return nil
	}
	verifier := admin
	if c.GridCode != "" {
		if verifier, err = principal(c.GridCode); err != nil {
			return err
		}
	}
	if target == "closed_rework" {
		if err := step(verifier, casework.Transition{Action: casework.ActVerifyFail, Comment: "现场问题仍然存在"}); err != nil {
			return err
		}
		if err := step(dept, casework.Transition{Action: casework.ActUnitAccept}); err != nil {
			return err
		}
		if err := handle(); err != nil {
			return err
		}
		if err := step(center, casework.Transition{Action: casework.ActSendVerification}); err != nil {
			return err
		}
	}
	if err := step(verifier, casework.Transition{Action: casework.ActVerifyPass, Comment: "核查通过"}); err != nil {
		return err
	}
	return step(verifier, casework.Transition{Action: casework.ActRate, Rating: 4 + int(c.ID%2), Comment: "处置及时"})
}

// randomPointIn draws a point inside mp by rejection from its bound.
func randomPointIn(rng *rand.Rand, mp orb.MultiPolygon) orb.Point {
	b := mp.Bound()
	for {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		if planar.MultiPolygonContains(mp, p) {
			return orb.Point{float64(int64(p[0]*1e7)) / 1e7, float64(int64(p[1]*1e7)) / 1e7}
		}
	}
}

// demoPhoto is a small generated PNG standing for a photo.
func demoPhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(60 + x*2), uint8(120 + y), 80, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

func cleanDemoPhoto(ctx context.Context, uploads casework.UploadStore, data []byte, owner int64) (int64, error) {
	p, err := casework.CleanPhoto(data)
	if err != nil {
		return 0, err
	}
	p.OwnerID = owner
	if err := uploads.CreateUpload(ctx, p); err != nil {
		return 0, err
	}
	return p.ID, nil
}

// demoCasesAt is when the demo cases end when LoadOptions.At is zero.
var demoCasesAt = time.Date(2026, 11, 20, 17, 0, 0, 0, workday.Shanghai())
