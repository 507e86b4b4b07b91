package httpapi

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/msg"
	"github.com/xuri/excelize/v2"
)

// AssessmentWorkbook writes a month's results as xlsx: a summary sheet, a
// sheet per rubric block (one row per worker and item, with the arithmetic
// and the evidence ids) and the department figures. Sheet names, headers
// and words come from the catalogue in lang (Chinese by default).
func AssessmentWorkbook(m *msg.Catalogue, lang msg.Lang, month string, version int, results []*assessment.Result, deps []assessment.DepartmentFigure) ([]byte, error) {
	en := lang == msg.EN
	t := func(k msg.Key, args ...any) string { return m.Sprintf(lang, k, args...) }
	yes := func(b bool) string {
		if b {
			return t(msg.AxYes)
		}
		return t(msg.AxNo)
	}
	// pick is a name the domain holds in both languages (items, grades).
	pick := func(zh, eng string) string {
		if en && eng != "" {
			return eng
		}
		return zh
	}
	f := excelize.NewFile()
	defer f.Close()
	summary := t(msg.AxSheetSummary)
	if err := f.SetSheetName("Sheet1", summary); err != nil {
		return nil, err
	}
	blocks := []struct {
		key  string
		name msg.Key
	}{
		{assessment.BlockAttendance, msg.AxBlockAttendance},
		{assessment.BlockMassWork, msg.AxBlockMassWork},
		{assessment.BlockInformation, msg.AxBlockInfo},
		{assessment.BlockBacktrace, msg.AxBlockBacktrace},
	}
	head := []any{t(msg.AxColMonth), t(msg.AxColVersion), t(msg.AxColRank), t(msg.AxColWorker), t(msg.AxColName),
		t(msg.AxColStreet), t(msg.AxColGrids)}
	for _, b := range blocks {
		head = append(head, t(b.name))
	}
	head = append(head, t(msg.AxColBonus), t(msg.AxColTotal), t(msg.AxColVetoed), t(msg.AxColPayEligible),
		t(msg.AxColQualified), t(msg.AxColGrade), t(msg.AxColFlags), t(msg.AxColMissing))
	rows := [][]any{head}
	for _, r := range results {
		row := []any{month, version, r.Rank, r.Worker.Username, r.Worker.Name, r.Worker.StreetName, strings.Join(r.Worker.Grids, ",")}
		for _, b := range blocks {
			row = append(row, blockScore(r, b.key))
		}
		grade := ""
		if r.Quarter != nil {
			grade = pick(r.Quarter.Grade, r.Quarter.GradeEN)
		}
		row = append(row, r.Bonus, r.Total, yes(r.Vetoed), yes(r.PayEligible), yes(r.Qualified), grade,
			strings.Join(r.FlagsDetails, "; "), strings.Join(r.Missing, ","))
		rows = append(rows, row)
	}
	if err := writeRows(f, summary, rows); err != nil {
		return nil, err
	}
	for _, b := range blocks {
		name := t(b.name)
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		rows := [][]any{{t(msg.AxColWorker), t(msg.AxColName), t(msg.AxColItem), t(msg.AxColCount), t(msg.AxColPoints),
			t(msg.AxColArithmetic), t(msg.AxColEvidence)}}
		for _, r := range results {
			for _, bl := range r.Blocks {
				if bl.Key != b.key {
					continue
				}
				for _, it := range bl.Items {
					rows = append(rows, []any{r.Worker.Username, r.Worker.Name, pick(it.Name, it.NameEN), it.Count, it.Points, it.Detail, evidenceText(m, lang, it.Evidence)})
				}
				rows = append(rows, []any{r.Worker.Username, r.Worker.Name, t(msg.AxBlockScore), "", bl.Score,
					t(msg.AxBlockSum, fmt.Sprint(bl.Max)), ""})
			}
		}
		if err := writeRows(f, name, rows); err != nil {
			return nil, err
		}
	}
	if len(deps) > 0 {
		name := t(msg.AxSheetDepts)
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		rows := [][]any{{t(msg.AxColUnit), t(msg.AxColUnitName), t(msg.AxColDispatched), t(msg.AxColHandled),
			t(msg.AxColOnTime), t(msg.AxColOnTimeRate), t(msg.AxColReturns), t(msg.AxColReworks)}}
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

func evidenceText(m *msg.Catalogue, lang msg.Lang, refs []assessment.Ref) string {
	parts := make([]string, 0, len(refs))
	for _, r := range refs {
		k := r.Kind
		if m.Has(msg.AxRefKind(k)) {
			k = m.Sprintf(lang, msg.AxRefKind(k))
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
