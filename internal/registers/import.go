package registers

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"
)

// Import columns: the field names below, or their Chinese headers, or any
// header mapped to a field with ImportOptions.Mapping.
var fieldAliases = map[string][]string{
	"name":         {"名称", "姓名", "户主"},
	"address":      {"地址", "住址"},
	"lon":          {"经度", "longitude", "x"},
	"lat":          {"纬度", "latitude", "y"},
	"category":     {"类型", "类别", "type"},
	"size":         {"人口", "户人数", "人数"},
	"phone":        {"电话", "手机", "联系电话"},
	"id_number":    {"身份证号", "身份证号码", "公民身份号码"},
	"household_id": {"户编号", "household"},
	"tags":         {"标签"},
	"licences":     {"证照"},
	"checklist":    {"检查项"},
	"rental":       {"出租"},
	"dilapidated":  {"危房"},
	"contact":      {"联系人"},
}

// ImportOptions are the knobs of a register import.
type ImportOptions struct {
	Format string     // "csv" or "xlsx" ("" = detect)
	CRS    crs.System // of lon/lat: wgs84, cgcs2000, gcj02, bd09
	// Mapping maps a header of the file to a field name.
	Mapping map[string]string
	Partial bool // store the good rows even when some are rejected
	DryRun  bool
	// CanWrite is asked for each row's grid (Import sets it from the
	// caller).
	CanWrite CanWrite
}

// RowProblem is a rejected row: its number in the file as a spreadsheet
// shows it (the header is row 1, the first data row is row 2).
type RowProblem struct {
	Row    int    `json:"row"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// ImportReport says what an import did or would do.
type ImportReport struct {
	Kind     Kind         `json:"kind"`
	Total    int          `json:"total"`
	Accepted int          `json:"accepted"`
	Rejected int          `json:"rejected"`
	Stored   int          `json:"stored"`
	Outside  int          `json:"outside_every_grid"`
	DryRun   bool         `json:"dry_run"`
	IDs      []int64      `json:"ids"`
	Problems []RowProblem `json:"problems"`
}

// readTable returns the header and rows of a CSV or xlsx (first sheet) file.
func readTable(data []byte, format string) ([]string, [][]string, error) {
	if format == "" {
		format = "csv"
		if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
			format = "xlsx"
		}
	}
	var rows [][]string
	switch format {
	case "csv":
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(data) {
			return nil, nil, errs.Invalidf("body", "not_utf8", "the CSV file must be UTF-8 (save it as \"CSV UTF-8\")")
		}
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, errs.Invalidf("body", "invalid_csv", "%v", err)
			}
			rows = append(rows, rec)
		}
	case "xlsx":
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			return nil, nil, errs.Invalidf("body", "invalid_xlsx", "not a readable xlsx workbook: %v", err)
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, nil, errs.Invalidf("body", "invalid_xlsx", "the workbook has no sheet")
		}
		rows, err = f.GetRows(sheets[0])
		if err != nil {
			return nil, nil, errs.Invalidf("body", "invalid_xlsx", "%v", err)
		}
	default:
		return nil, nil, errs.Invalidf("format", "invalid_format", "want csv or xlsx, got %q", format)
	}
	if len(rows) < 2 {
		return nil, nil, errs.Invalidf("body", "no_rows", "want a header row and at least one data row")
	}
	return rows[0], rows[1:], nil
}

// columns maps field name → column index.
func columns(header []string, mapping map[string]string) (map[string]int, error) {
	known := map[string]string{}
	for f, as := range fieldAliases {
		known[f] = f
		for _, a := range as {
			known[strings.ToLower(a)] = f
		}
	}
	for h, f := range mapping {
		if _, ok := fieldAliases[f]; !ok {
			return nil, errs.Invalidf("map", "unknown_field", "column %q is mapped to %q, which is not a field (want one of %s)", h, f, strings.Join(sortedKeys(fieldAliases), ", "))
		}
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		f, ok := mapping[h]
		if !ok {
			f, ok = known[strings.ToLower(h)]
		}
		if !ok {
			continue
		}
		if j, dup := cols[f]; dup {
			return nil, errs.Invalidf("header", "duplicate_column", "columns %d and %d both map to %s", j+1, i+1, f)
		}
		cols[f] = i
	}
	return cols, nil
}

// Import reads a CSV or xlsx file of kind, validates each row, locates and
// stores the good ones as p (each row's grid must be one p may write).
// Unless opts.Partial, any bad row rejects the whole
// file (Unprocessable, every problem listed) and nothing is stored.
func (s *Service) Import(ctx context.Context, p *auth.Principal, kind Kind, data []byte, opts ImportOptions) (*ImportReport, error) {
	if err := requireWriter(p); err != nil {
		return nil, err
	}
	opts.CanWrite = s.CanWrite(p)
	header, rows, err := readTable(data, opts.Format)
	if err != nil {
		return nil, err
	}
	cols, err := columns(header, opts.Mapping)
	if err != nil {
		return nil, err
	}
	need := []string{"name"}
	switch kind {
	case Household:
		need = []string{"address", "lon", "lat"}
	case Person:
		need = []string{"name", "household_id"}
	default:
		need = append(need, "lon", "lat")
	}
	for _, f := range need {
		if _, ok := cols[f]; !ok {
			return nil, errs.Invalidf("header", "column_missing", "the file has no %s column (accepted headers: %s, %s; or map one with map=HEADER:%s)", f, f, strings.Join(fieldAliases[f], ", "), f)
		}
	}
	rep := &ImportReport{Kind: kind, Total: len(rows), DryRun: opts.DryRun, IDs: []int64{}, Problems: []RowProblem{}}
	type rowRec struct {
		row int
		r   *Record
	}
	var good []rowRec
	for i, cells := range rows {
		rowNo := i + 2
		get := func(f string) string {
			j, ok := cols[f]
			if !ok || j >= len(cells) {
				return ""
			}
			return strings.TrimSpace(cells[j])
		}
		empty := true
		for _, c := range cells {
			if strings.TrimSpace(c) != "" {
				empty = false
			}
		}
		if empty {
			rep.Total--
			continue
		}
		r, probs := recordFromRow(kind, get, opts.CRS)
		if len(probs) == 0 {
			for _, f := range Validate(r) {
				probs = append(probs, RowProblem{Field: f.Field, Reason: f.Reason, Detail: f.Detail})
			}
		}
		if len(probs) == 0 {
			if err := s.place(ctx, r); err != nil {
				if e, ok := errs.As(err); ok && e.Kind == errs.Invalid {
					probs = append(probs, RowProblem{Field: "household_id", Reason: e.Reason, Detail: e.Msg})
				} else {
					return nil, err
				}
			} else if opts.CanWrite != nil && !opts.CanWrite(r.GridCode) {
				probs = append(probs, RowProblem{Field: "lon,lat", Reason: "outside_scope", Detail: fmt.Sprintf("the record falls in grid %q, outside your scope", r.GridCode)})
			}
		}
		if len(probs) > 0 {
			for _, p := range probs {
				p.Row = rowNo
				rep.Problems = append(rep.Problems, p)
			}
			rep.Rejected++
			continue
		}
		if r.GridCode == "" && r.Kind != Person {
			rep.Outside++
		}
		good = append(good, rowRec{rowNo, r})
	}
	rep.Accepted = len(good)
	if rep.Total == 0 {
		return nil, errs.Invalidf("body", "no_rows", "the file has no data rows")
	}
	if rep.Rejected > 0 && !opts.Partial {
		fs := make([]errs.Field, len(rep.Problems))
		for i, p := range rep.Problems {
			n := p.Row
			fs[i] = errs.Field{Field: fmt.Sprintf("row %d: %s", p.Row, p.Field), Index: &n, Reason: p.Reason, Detail: p.Detail}
		}
		e := &errs.Error{Kind: errs.Unprocessable, Reason: "import_rejected",
			Msg: fmt.Sprintf("%d of %d rows are invalid; nothing was stored (send partial=true to store the %d good rows)", rep.Rejected, rep.Total, rep.Accepted), Fields: fs}
		return rep, e
	}
	if opts.DryRun || len(good) == 0 {
		return rep, nil
	}
	ids, err := s.Store.NextRecordIDs(ctx, len(good))
	if err != nil {
		return nil, err
	}
	now := s.now()
	recs := make([]*Record, len(good))
	for i, g := range good {
		g.r.ID = ids[i]
		s.seal(g.r)
		g.r.CreatedAt, g.r.UpdatedAt = now, now
		recs[i] = g.r
	}
	if err := s.Store.CreateRecords(ctx, recs); err != nil {
		return nil, err
	}
	rep.Stored = len(recs)
	rep.IDs = ids
	return rep, nil
}

func recordFromRow(kind Kind, get func(string) string, sys crs.System) (*Record, []RowProblem) {
	var probs []RowProblem
	bad := func(field, reason, format string, args ...any) {
		probs = append(probs, RowProblem{Field: field, Reason: reason, Detail: fmt.Sprintf(format, args...)})
	}
	r := &Record{Kind: kind, Name: get("name"), Address: get("address"), Category: get("category"), Phone: get("phone"), IDNumber: get("id_number")}
	if kind != Person {
		lonS, latS := get("lon"), get("lat")
		lon, err1 := strconv.ParseFloat(lonS, 64)
		lat, err2 := strconv.ParseFloat(latS, 64)
		switch {
		case lonS == "" || latS == "":
			bad("lon,lat", "location_required", "both lon and lat are required")
		case err1 != nil || err2 != nil:
			bad("lon,lat", "invalid_number", "want decimal degrees, got lon=%q lat=%q", lonS, latS)
		case (lat < -90 || lat > 90) && lat >= -180 && lat <= 180 && lon >= -90 && lon <= 90:
			bad("lon,lat", "lat_lon_swapped", "[%s, %s] looks like [lat, lon]; check the columns", lonS, latS)
		case lon < -180 || lon > 180 || lat < -90 || lat > 90:
			bad("lon,lat", "out_of_range", "want lon in [-180, 180] and lat in [-90, 90], got [%s, %s]", lonS, latS)
		default:
			x, y := crs.ToWGS84(sys, lon, lat)
			r.Geometry = orb.Point{x, y}
		}
	}
	if v := get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad("size", "invalid_number", "want a whole number of people, got %q", v)
		} else {
			r.Size = &n
		}
	}
	if v := get("household_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			bad("household_id", "invalid_number", "want the id of a registered household, got %q", v)
		} else {
			r.HouseholdID = &n
		}
	}
	if v := get("tags"); v != "" {
		for _, t := range splitList(v) {
			r.Tags = append(r.Tags, tagKey(t))
		}
	}
	for _, f := range []string{"rental", "dilapidated"} {
		v := get(f)
		if v == "" {
			continue
		}
		b, ok := parseYesNo(v)
		if !ok {
			bad(f, "invalid_boolean", "want 是/否 or true/false, got %q", v)
		}
		if f == "rental" {
			r.Attrs.Rental = b
		} else {
			r.Attrs.Dilapidated = b
		}
	}
	r.Attrs.Contact = get("contact")
	// licences: "business_licence|91370100XXXX|2027-06-30; tax_registration|..."
	if v := get("licences"); v != "" {
		for _, item := range splitList(v) {
			parts := strings.Split(item, "|")
			l := Licence{Type: licenceKey(strings.TrimSpace(parts[0]))}
			if len(parts) > 1 {
				l.Number = strings.TrimSpace(parts[1])
			}
			if len(parts) > 2 {
				l.Expires = strings.TrimSpace(parts[2])
			}
			if len(parts) > 3 {
				bad("licences", "invalid_licence", "want TYPE|NUMBER|YYYY-MM-DD, got %q", item)
			}
			r.Attrs.Licences = append(r.Attrs.Licences, l)
		}
	}
	// checklist: "item=ok; item=fail"
	if v := get("checklist"); v != "" {
		for _, item := range splitList(v) {
			name, val, _ := strings.Cut(item, "=")
			ok, valid := parseYesNo(strings.TrimSpace(val))
			if !valid {
				bad("checklist", "invalid_check", "want ITEM=是 or ITEM=否, got %q", item)
			}
			r.Attrs.Checklist = append(r.Attrs.Checklist, CheckItem{Item: strings.TrimSpace(name), OK: ok})
		}
	}
	return r, probs
}

func splitList(v string) []string {
	f := strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '；' || r == '、' })
	out := f[:0]
	for _, s := range f {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func parseYesNo(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "是", "有", "true", "yes", "y", "1", "ok", "合格":
		return true, true
	case "否", "无", "false", "no", "n", "0", "fail", "不合格":
		return false, true
	}
	return false, false
}

// tagKey accepts a tag key or its Chinese name.
func tagKey(t string) string {
	for k, n := range PersonTags {
		if t == n {
			return k
		}
	}
	return t
}

// licenceKey accepts a licence key or its Chinese name (with or without 《》).
func licenceKey(t string) string {
	t = strings.Trim(t, "《》")
	for k, n := range LicenceNames {
		if t == n {
			return k
		}
	}
	return t
}
