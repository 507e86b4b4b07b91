package main

import (
	"bytes"
	"encoding/base64"
	"html"
	"image/color"
	"image/png"
	"regexp"
	"strconv"
	"testing"

	"github.com/gridd/gridd/internal/mapimage"
	"github.com/xuri/excelize/v2"
)

// checkTownMap decodes a map image and checks that it shows the town:
// most pixels are not background (the grids are filled white over the
// off-white background and cover most of the view) and grid outlines are
// drawn (grey pixels).
func checkTownMap(t *testing.T, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("map is not a PNG: %v", err)
	}
	bg, outline, total := 0, 0, 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			total++
			if c == mapimage.Background {
				bg++
			}
			if c.R == c.G && c.G == c.B && c.R >= 0x30 && c.R <= 0xa0 {
				outline++
			}
		}
	}
	if share := float64(total-bg) / float64(total); share < 0.3 {
		t.Errorf("map: only %.1f%% of pixels are not background", 100*share)
	}
	if outline < 2000 {
		t.Errorf("map: %d outline pixels, want grid outlines", outline)
	}
	if r.Dx() != 1000 || r.Dy() != 760 {
		t.Errorf("map size %v", r)
	}
}

// TestMeetingPack: the weekly pack of a week with three cases opens in
// excelize with its sheets, figures and ledger; its map (in the workbook
// and in the printable page) shows the town; the ledger export lists the
// month's cases; bad input names the field.
func TestMeetingPack(t *testing.T) {
	clk := &testClock{t: cst(2026, 12, 8, 9, 0)} // Tuesday of 2026-W50
	ta := newCaseApp(t, clk)
	admin, worker := ta.login("admin"), ta.login(ownGrid)
	var numbers []string
	for i := range 3 {
		c := ta.report(worker, reportBody("0104", pointIn(ownGrid, uint64(300+i), 30)), nil)
		numbers = append(numbers, c.Number)
	}
	clk.Set(cst(2026, 12, 12, 9, 0))

	res := ta.do("GET", "/api/v1/reports/weekly?week=2026-W50&format=xlsx", admin, nil, nil)
	if res.Status != 200 || res.Header.Get("Content-Type") != xlsxContentType {
		t.Fatalf("weekly xlsx: %d %s %.200s", res.Status, res.Header.Get("Content-Type"), res.Body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("the pack does not open: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	want := []string{"概况", "各单位处置情况", "各村（社区）情况", "案件热点（近十二个月）", "案件台账"}
	if len(sheets) != len(want) {
		t.Fatalf("sheets %v, want %v", sheets, want)
	}
	for i := range want {
		if sheets[i] != want[i] {
			t.Errorf("sheet %d = %q, want %q", i, sheets[i], want[i])
		}
	}
	title, _ := f.GetCellValue("概况", "A1")
	if title != "2026-W50 周例会材料" {
		t.Errorf("title %q", title)
	}
	ledger, err := f.GetRows("案件台账")
	if err != nil {
		t.Fatal(err)
	}
	inLedger := map[string]bool{}
	for _, r := range ledger[1:] {
		inLedger[r[0]] = true
	}
	for _, n := range numbers {
		if !inLedger[n] {
			t.Errorf("case %s not in the ledger", n)
		}
	}
	var st struct {
		Total struct {
			Reported int `json:"reported"`
		} `json:"total"`
	}
	ta.do("GET", "/api/v1/stats/cases?from=2026-12-07&to=2026-12-13&group_by=unit", admin, nil, nil).decode(t, &st)
	if len(ledger)-1 != st.Total.Reported {
		t.Errorf("ledger has %d cases, stats %d", len(ledger)-1, st.Total.Reported)
	}
	units, _ := f.GetRows("各单位处置情况")
	last := units[len(units)-1]
	if last[0] != "合计" || last[1] != strconv.Itoa(st.Total.Reported) {
		t.Errorf("units total row %v, want 合计 %d", last, st.Total.Reported)
	}
	pics, err := f.GetPictures("概况", "A6")
	if err != nil || len(pics) != 1 {
		t.Fatalf("map picture: %v (%d)", err, len(pics))
	}
	checkTownMap(t, pics[0].File)

	// The printable page carries the same map.
	res = ta.do("GET", "/api/v1/reports/weekly?week=2026-W50", admin, nil, nil)
	if res.Status != 200 {
		t.Fatalf("weekly html: %d %.300s", res.Status, res.Body)
	}
	m := regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`).FindSubmatch(res.Body)
	if m == nil {
		i := bytes.Index(res.Body, []byte("pack-map"))
		t.Fatalf("no map in the page: %.300s", res.Body[max(i, 0):])
	}
	b, err := base64.StdEncoding.DecodeString(html.UnescapeString(string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	checkTownMap(t, b)
	if !bytes.Contains(res.Body, []byte("<svg")) || !bytes.Contains(res.Body, []byte(numbers[0])) {
		t.Error("page lacks the chart or the ledger")
	}
	// English.
	res = ta.do("GET", "/api/v1/reports/monthly?month=2026-12&lang=en", admin, nil, nil)
	if res.Status != 200 || !bytes.Contains(res.Body, []byte("Monthly meeting pack 2026-12")) {
		t.Errorf("monthly en: %d %.200s", res.Status, res.Body)
	}

	// The ledger export.
	res = ta.do("GET", "/api/v1/reports/ledger.xlsx?from=2026-12-01&to=2026-12-31", worker, nil, nil)
	if res.Status != 200 {
		t.Fatalf("ledger: %d %s", res.Status, res.Body)
	}
	lf, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := lf.GetRows("案件台账")
	if len(rows) < 2+3 || rows[1][0] != "案件编号" {
		t.Errorf("ledger rows: %d, header %v", len(rows), rows[1])
	}

	for q, field := range map[string]string{"weekly?week=2026-W60": "week", "weekly?week=2026-50": "week", "weekly": "week",
		"weekly?week=2026-W50&format=pdf": "format", "monthly?month=2026-13": "month", "ledger.xlsx?from=2026-12-01": "from,to",
		"ledger.xlsx?from=2026-12-01&to=2026-11-01": "to"} {
		res := ta.do("GET", "/api/v1/reports/"+q, admin, nil, nil)
		if res.Status != 400 || problemOf(t, res).Errors[0].Field != field {
			t.Errorf("%s: %d %s, want 400 naming %s", q, res.Status, res.Body, field)
		}
	}
}

const xlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
