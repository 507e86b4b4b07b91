package httpapi

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/xuri/excelize/v2"
)

// AssessmentWorkbook writes a month's results as xlsx: a summary sheet, a
// sheet per rubric block (one row per worker and item, with the arithmetic
// and the evidence ids) and the department figures. Headers are Chinese,
// English with lang "en".
func AssessmentWorkbook(month string, version int, results []*assessment.Result, deps []assessment.DepartmentFigure, lang string) ([]byte, error) {
	en := lang == "en"
	t := func(zh, eng string) string {
		if en {
			return eng
		}
		return zh
	}
	yes := func(b bool) string {
		if b {
			return t("是", "yes")
		}
		return t("否", "no")
	}
	f := excelize.NewFile()
	defer f.Close()
	summary := t("总分", "Summary")
	if err := f.SetSheetName("Sheet1", summary); err != nil {
		return nil, err
	}
	blocks := []struct{ key, zh, en string }{
		{assessment.BlockAttendance, "出勤率", "Attendance"},
		{assessment.BlockMassWork, "群众工作", "Mass work"},
		{assessment.BlockInformation, "信息采集数量和质量", "Information collection"},
		{assessment.BlockBacktrace, "倒追考核", "Backward tracing"},
	}
	head := []any{t("月份", "Month"), t("版本", "Version"), t("街道排名", "Rank in street"), t("网格员账号", "Worker"), t("姓名", "Name"),
		t("街道", "Street"), t("网格", "Grids")}
	for _, b := range blocks {
		head = append(head, t(b.zh, b.en))
	}
	head = append(head, t("加分", "Bonus"), t("总分", "Total"), t("一票否决", "Vetoed"), t("绩效资格", "Pay eligible"),
		t("当月合格", "Qualified"), t("季度等级", "Quarterly grade"), t("预警", "Flags"), t("缺少证据", "Missing evidence"))
	rows := [][]any{head}
	for _, r := range results {
		row := []any{month, version, r.Rank, r.Worker.Username, r.Worker.Name, r.Worker.StreetName, strings.Join(r.Worker.Grids, ",")}
		for _, b := range blocks {
			row = append(row, blockScore(r, b.key))
		}
		grade := ""
		if r.Quarter != nil {
			grade = t(r.Quarter.Grade, r.Quarter.GradeEN)
		}
		row = append(row, r.Bonus, r.Total, yes(r.Vetoed), yes(r.PayEligible), yes(r.Qualified), grade,
			strings.Join(r.FlagsDetails, "; "), strings.Join(r.Missing, ","))
		rows = append(rows, row)
	}
	if err := writeRows(f, summary, rows); err != nil {
		return nil, err
	}
	for _, b := range blocks {
		name := t(b.zh, b.en)
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		rows := [][]any{{t("网格员账号", "Worker"), t("姓名", "Name"), t("考核项", "Item"), t("次数", "Count"), t("分值", "Points"),
			t("计算说明", "Arithmetic"), t("证据", "Evidence")}}
		for _, r := range results {
			for _, bl := range r.Blocks {
				if bl.Key != b.key {
					continue
				}
				for _, it := range bl.Items {
					rows = append(rows, []any{r.Worker.Username, r.Worker.Name, t(it.Name, it.NameEN), it.Count, it.Points, it.Detail, evidenceText(it.Evidence, en)})
				}
				rows = append(rows, []any{r.Worker.Username, r.Worker.Name, t("本项得分", "Block score"), "", bl.Score,
					fmt.Sprintf("%v + (%s)", bl.Max, t("各项分值之和", "sum of the items")), ""})
			}
		}
		if err := writeRows(f, name, rows); err != nil {
			return nil, err
		}
	}
	if len(deps) > 0 {
		name := t("职能部门", "Departments")
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		rows := [][]any{{t("单位代码", "Unit"), t("单位", "Name"), t("派遣", "Dispatched"), t("处置反馈", "Handled"),
			t("按期处置", "Handled on time"), t("按期处置率", "On-time rate"), t("退回", "Returns"), t("返工", "Reworks")}}
		for _, d := range deps {
			rate := any("")
			if d.OnTimeRate != nil {
				rate = *d.OnTimeRate
			}
			rows = append(rows, []any{d.Unit, d.Name, d.Dispatched, d.Handled, d.OnTime, rate, d.Returns, d.Reworks})
		}
		if err := writeRows(f, name, rows); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func blockScore(r *assessment.Result, key string) float64 {
	for _, b := range r.Blocks {
		if b.Key == key {
			return b.Score
		}
	}
	return 0
}

var refKinds = map[string]string{"case": "案件", "call": "电话", "day": "日期", "grid": "网格", "survey": "测评", "finding": "记录"}

func evidenceText(refs []assessment.Ref, en bool) string {
	parts := make([]string, 0, len(refs))
	for _, r := range refs {
		k := r.Kind
		if !en {
			if z, ok := refKinds[k]; ok {
				k = z
			}
		}
		s := k + " " + r.ID
		if r.Date != "" && r.Date != r.ID {
			s += " " + r.Date
		}
		if r.Note != "" {
			s += " (" + r.Note + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func writeRows(f *excelize.File, sheet string, rows [][]any) error {
	for i, row := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return err
		}
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	return nil
}
