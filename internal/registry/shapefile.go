package registry

import (
	"github.com/gridd/gridd/spatial/validity"

	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gridd/gridd/internal/errs"
)

// Size guards of ParseShapefileZip.
const (
	ShapefileMaxUncompressed = 512 << 20 // bytes, all entries together
	ShapefileMaxEntries      = 100
)

// ESRI shape type codes used here.
const (
	shpTypeNull      = 0
	shpTypePolygon   = 5
	shpTypePolygonZ  = 15
	shpTypePolygonM  = 25
	shpTypePolyline  = 3
	shpTypePolylineZ = 13
	shpTypePolylineM = 23
)

// shpWGS84PRJ is the ESRI WKT written with exports.
const shpWGS84PRJ = `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`

// ParseShapefileZip reads a zipped ESRI Shapefile of grids: the first .shp in
// the archive and its .dbf (required), .prj and .cpg (optional) with the same
// base name; the .shx index is not needed. DBF columns are matched without
// regard to case: CODE, NAME, LEVEL and PARENT (also PARENT_COD,
// PARENT_CODE, PARENTCODE). DBF text is UTF-8 unless the .cpg (or the DBF
// language driver) says GBK/936/GB18030 or the bytes are not valid UTF-8, in
// which case it is decoded as GB18030 (a superset of GBK).
//
// Polygon parts are split into exterior rings (clockwise in the Shapefile
// convention) and holes (counter-clockwise); each hole goes to the smallest
// exterior that contains it, and a hole that no exterior contains is taken as
// an exterior (data written with the wrong winding). Rings are otherwise kept
// as written, for ValidateFeatures to judge. Records deleted in the DBF are
// skipped. Feature.Index is the 0-based record number.
//
// Per-record problems ("not_polygon", "invalid_geometry", "invalid_level")
// leave the record out of the result. Errors (*errs.Error): "invalid_shapefile"
// (not a zip, no .shp/.dbf, malformed or truncated files), "unsupported_crs"
// (the .prj is not geographic WGS84 or CGCS2000, e.g. a projected CRS; the
// error names it) and, of kind TooLarge, "archive_too_large" (more than
// ShapefileMaxEntries entries or ShapefileMaxUncompressed bytes uncompressed).
func ReadShapefileZip(r io.ReaderAt, size int64) (*ShapeTable, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Reason: "invalid_shapefile", Msg: "the upload is not a readable ZIP archive; expected a zipped Shapefile (.shp, .shx, .dbf, .prj)", Err: err}
	}
	if len(zr.File) > ShapefileMaxEntries {
		return nil, errs.E(errs.TooLarge, "archive_too_large", "the ZIP archive has %d entries; at most %d are allowed", len(zr.File), ShapefileMaxEntries)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > ShapefileMaxUncompressed || f.UncompressedSize64 > ShapefileMaxUncompressed {
			return nil, errs.E(errs.TooLarge, "archive_too_large", "the ZIP archive unpacks to more than %d MiB; split the import", ShapefileMaxUncompressed>>20)
		}
	}

	var shpFile *zip.File
	for _, f := range zr.File {
		if shpIgnorable(f) {
			continue
		}
		if strings.EqualFold(path.Ext(f.Name), ".shp") {
			shpFile = f
			break
		}
	}
	if shpFile == nil {
		return nil, errs.E(errs.Invalid, "invalid_shapefile", "the ZIP archive holds no .shp file; expected a zipped Shapefile (.shp, .shx, .dbf, .prj)")
	}
	base := strings.TrimSuffix(shpFile.Name, path.Ext(shpFile.Name))
	companion := func(ext string) *zip.File {
		for _, f := range zr.File {
			if !shpIgnorable(f) && strings.EqualFold(f.Name, base+ext) {
				return f
			}
		}
		return nil
	}
	dbfFile := companion(".dbf")
	if dbfFile == nil {
		return nil, errs.E(errs.Invalid, "invalid_shapefile", "%s has no %s.dbf next to it; the attribute table is required", shpFile.Name, path.Base(base))
	}

	if f := companion(".prj"); f != nil {
		prj, err := shpReadEntry(f)
		if err != nil {
			return nil, err
		}
		if err := shpCheckPRJ(prj); err != nil {
			return nil, err
		}
	}
	var cpg string
	if f := companion(".cpg"); f != nil {
		b, err := shpReadEntry(f)
		if err != nil {
			return nil, err
		}
		cpg = string(b)
	}
	dbfData, err := shpReadEntry(dbfFile)
	if err != nil {
		return nil, err
	}
	table, err := shpParseDBF(dbfData)
	if err != nil {
		return nil, err
	}
	decode := shpTextDecoder(cpg, table)

	rc, err := shpFile.Open()
	if err != nil {
		return nil, shpInvalid(err, "cannot open %s", shpFile.Name)
	}
	defer rc.Close()
	shapes, err := shpReadShapes(bufio.NewReaderSize(rc, 1<<16), int64(shpFile.UncompressedSize64))
	if err != nil {
		return nil, err
	}
	if len(shapes) != len(table.rows) {
		return nil, errs.E(errs.Invalid, "invalid_shapefile", "the .shp holds %d shapes but the .dbf %d rows; they must match one to one", len(shapes), len(table.rows))
	}

	return &ShapeTable{Shapes: shapes, table: table, decode: decode}, nil
}

// ShapeTable is a zipped Shapefile read whole (ReadShapefileZip): its
// shapes and attribute rows, one to one.
type ShapeTable struct {
	Shapes []ShapeRecord
	table  *dbfTable
	decode func([]byte) string
}

// Column returns the index of the first DBF column named (without regard
// to case) one of names, or -1.
func (t *ShapeTable) Column(names ...string) int {
	for _, n := range names {
		for i, f := range t.table.fields {
			if strings.EqualFold(f.name, n) {
				return i
			}
		}
	}
	return -1
}

// Deleted says whether record i is deleted in the DBF.
func (t *ShapeTable) Deleted(i int) bool { return t.table.rows[i][0] == '*' }

// Text returns the trimmed text of column c of record i ("" for c < 0),
// decoded as the .cpg or the DBF says (UTF-8 or GB18030).
func (t *ShapeTable) Text(i, c int) string {
	if c < 0 {
		return ""
	}
	f := t.table.fields[c]
	row := t.table.rows[i]
	return strings.TrimSpace(t.decode(bytes.Trim(row[f.off:f.off+f.size], " \x00")))
}

func ParseShapefileZip(r io.ReaderAt, size int64) ([]Feature, []Problem, error) {
	t, err := ReadShapefileZip(r, size)
	if err != nil {
		return nil, nil, err
	}
	shapes := t.Shapes
	codeCol, nameCol, levelCol := t.Column("code"), t.Column("name"), t.Column("level")
	parentCol := t.Column("parent", "parent_code", "parent_cod", "parentcode")
	text := func(i, c int) string { return t.Text(i, c) }
	var features []Feature
	var problems []Problem
	for i, sh := range shapes {
		if t.Deleted(i) {
			continue
		}
		f := Feature{Index: i, Code: text(i, codeCol), Name: text(i, nameCol), ParentCode: text(i, parentCol)}
		prefix := fmt.Sprintf("features[%d].", i)
		ok := true
		if lv, good := gjPropLevel(text(i, levelCol)); good {
			f.Level = lv
		} else {
			ok = false
			problems = append(problems, newProblem(prefix+"level", i, f.Code, "invalid_level",
				fmt.Sprintf("LEVEL must be a whole number of 1 or more (1 street, 2 community, 3 basic grid), got %q", text(i, levelCol))))
		}
		if sh.Reason == "" && sh.Type == ShapePolyline {
			sh.Reason, sh.Detail = "not_polygon", "the shape is of Shapefile type polyline; a grid must be a Polygon"
		}
		if sh.Reason != "" {
			ok = false
			problems = append(problems, newProblem(prefix+"geometry", i, f.Code, sh.Reason, sh.Detail))
		}
		if !ok {
			continue
		}
		f.Geometry = sh.MultiPolygon()
		features = append(features, f)
	}
	return features, problems, nil
}

// shpIgnorable skips directories and macOS resource-fork debris.
func shpIgnorable(f *zip.File) bool {
	n := f.Name
	return f.FileInfo().IsDir() || strings.HasPrefix(n, "__MACOSX/") || strings.HasPrefix(path.Base(n), "._")
}

func shpInvalid(err error, format string, args ...any) error {
	return &errs.Error{Kind: errs.Invalid, Reason: "invalid_shapefile", Msg: fmt.Sprintf(format, args...), Err: err}
}

// shpReadEntry reads a whole (size-guarded) zip entry.
func shpReadEntry(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, shpInvalid(err, "cannot open %s", f.Name)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return nil, shpInvalid(err, "cannot read %s", f.Name)
	}
	if uint64(len(b)) > f.UncompressedSize64 {
		return nil, shpInvalid(nil, "%s is larger than the ZIP directory says", f.Name)
	}
	return b, nil
}

// shpCheckPRJ accepts an empty .prj or a geographic CRS on the WGS84 or
// CGCS2000 datum; anything else is an "unsupported_crs" error naming it.
func shpCheckPRJ(prj []byte) error {
	wkt := strings.TrimSpace(strings.TrimPrefix(string(prj), "\xef\xbb\xbf"))
	if wkt == "" {
		return nil
	}
	if !utf8.ValidString(wkt) {
		if d, err := simplifiedchinese.GB18030.NewDecoder().String(wkt); err == nil {
			wkt = d
		}
	}
	kw := strings.ToUpper(strings.TrimSpace(wkt))
	if i := strings.IndexAny(kw, "[("); i >= 0 {
		kw = strings.TrimSpace(kw[:i])
	}
	name := shpWKTName(wkt, "")
	const expect = "expected geographic longitude/latitude on WGS84 (EPSG:4326) or CGCS2000 (EPSG:4490); reproject the data before importing"
	switch kw {
	case "PROJCS", "PROJCRS", "PROJECTEDCRS":
		return errs.E(errs.Invalid, "unsupported_crs", "the .prj declares the projected coordinate system %q; %s", name, expect)
	case "GEOGCS", "GEOGCRS", "GEOGRAPHICCRS", "GEODCRS", "GEODETICCRS":
		datum := shpWKTName(wkt, "DATUM")
		if datum == "" {
			datum = shpWKTName(wkt, "TRF")
		}
		for _, n := range []string{datum, name} {
			norm := strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' {
					return r - 'a' + 'A'
				}
				if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
					return r
				}
				return -1
			}, n)
			for _, ok := range []string{"WGS84", "WGS1984", "CGCS2000", "CHINA2000", "CHINAGEODETICCOORDINATESYSTEM2000"} {
				if strings.Contains(norm, ok) {
					return nil
				}
			}
		}
		return errs.E(errs.Invalid, "unsupported_crs", "the .prj declares the geographic coordinate system %q (datum %q); %s", name, datum, expect)
	}
	short := wkt
	if len(short) > 80 {
		short = short[:80] + "..."
	}
	return errs.E(errs.Invalid, "unsupported_crs", "cannot interpret the .prj (%q); %s", short, expect)
}

// shpWKTName returns the first quoted name after keyword[ (or of the whole
// WKT when keyword is "").
func shpWKTName(wkt, keyword string) string {
	s := wkt
	if keyword != "" {
		i := strings.Index(strings.ToUpper(s), keyword+"[")
		if i < 0 {
			return ""
		}
		s = s[i:]
	}
	i := strings.IndexByte(s, '"')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(s[i+1:], '"')
	if j < 0 {
		return ""
	}
	return s[i+1 : i+1+j]
}

type dbfField struct {
	name      string
	typ       byte
	off, size int
}

type dbfTable struct {
	fields []dbfField
	rows   [][]byte // each row starts with the deletion flag
	ldid   byte     // language driver id
}

// shpParseDBF parses a dBase III table.
func shpParseDBF(b []byte) (*dbfTable, error) {
	if len(b) < 33 {
		return nil, errs.E(errs.Invalid, "invalid_shapefile", "the .dbf is too short to be a dBase table")
	}
	n := int64(binary.LittleEndian.Uint32(b[4:8]))
	headerLen := int(binary.LittleEndian.Uint16(b[8:10]))
	recordLen := int(binary.LittleEndian.Uint16(b[10:12]))
	t := &dbfTable{ldid: b[29]}
	if headerLen > len(b) || headerLen < 33 || recordLen < 1 {
		return nil, errs.E(errs.Invalid, "invalid_shapefile", "the .dbf header is malformed")
	}
	off := 1
	for p := 32; p+32 <= headerLen && b[p] != 0x0d; p += 32 {
		d := b[p : p+32]
		name := string(bytes.TrimRight(bytes.SplitN(d[:11], []byte{0}, 2)[0], " "))
		size := int(d[16])
		t.fields = append(t.fields, dbfField{name: name, typ: d[11], off: off, size: size})
		off += size
	}
	if off > recordLen {
		return nil, errs.E(errs.Invalid, "invalid_shapefile", "the .dbf fields (%d bytes) do not fit its records (%d bytes)", off, recordLen)
	}
	if int64(headerLen)+n*int64(recordLen) > int64(len(b)) {
		return nil, errs.E(errs.Invalid, "invalid_shapefile", "the .dbf is truncated: it declares %d rows of %d bytes", n, recordLen)
	}
	t.rows = make([][]byte, n)
	for i := range t.rows {
		s := headerLen + i*recordLen
		t.rows[i] = b[s : s+recordLen]
	}
	return t, nil
}

// shpTextDecoder picks the DBF text encoding: GB18030 when the .cpg (or,
// without one, the language driver byte) names GBK/936/GB2312/GB18030 or when
// the character fields are not valid UTF-8, UTF-8 otherwise.
func shpTextDecoder(cpg string, t *dbfTable) func([]byte) string {
	utf8Text := func(b []byte) string { return string(b) }
	gbText := func(b []byte) string {
		d, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
		if err != nil {
			return string(b)
		}
		return string(d)
	}
	norm := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, strings.ToUpper(cpg))
	switch norm {
	case "GBK", "936", "CP936", "ANSI936", "MS936", "WINDOWS936", "GB2312", "GB18030", "54936", "CP54936", "20936", "EUCCN":
		return gbText
	}
	if norm == "" && (t.ldid == 0x4d || t.ldid == 0x7a) { // ESRI LDIDs for code page 936
		return gbText
	}
	for _, row := range t.rows {
		for _, f := range t.fields {
			if f.typ == 'C' && !utf8.Valid(row[f.off:f.off+f.size]) {
				return gbText
			}
		}
	}
	return utf8Text
}

// Shape types of a ShapeRecord.
const (
	ShapeNull     = "null"
	ShapePolygon  = "polygon"
	ShapePolyline = "polyline"
)

// ShapeRecord is one record of the .shp: its type and parts (rings of a
// polygon, lines of a polyline, as written), or a problem (Reason
// "not_polygon" for other types — points, multipatches —, "invalid_geometry"
// for a malformed record).
type ShapeRecord struct {
	Type           string
	Parts          [][]orb.Point
	Reason, Detail string
}

// MultiPolygon assembles a polygon record's rings (shpAssemble).
func (r ShapeRecord) MultiPolygon() orb.MultiPolygon {
	rings := make([]orb.Ring, len(r.Parts))
	for i, p := range r.Parts {
		rings[i] = orb.Ring(p)
	}
	return shpAssemble(rings)
}

// shpReadShapes reads the main file sequentially; size is its length.
func shpReadShapes(r io.Reader, size int64) ([]ShapeRecord, error) {
	var hdr [100]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, shpInvalid(err, "the .shp is too short to be a Shapefile")
	}
	if binary.BigEndian.Uint32(hdr[0:4]) != 9994 {
		return nil, errs.E(errs.Invalid, "invalid_shapefile", "the .shp does not start with the Shapefile file code 9994")
	}
	pos := int64(100)
	var shapes []ShapeRecord
	var content []byte
	for {
		var rh [8]byte
		n, err := io.ReadFull(r, rh[:])
		if err == io.EOF || (err == io.ErrUnexpectedEOF && n == 0) {
			break
		}
		if err != nil {
			return nil, shpInvalid(err, "the .shp is truncated at record %d", len(shapes))
		}
		pos += 8
		clen := int64(binary.BigEndian.Uint32(rh[4:8])) * 2
		if clen < 4 || clen > size-pos {
			return nil, errs.E(errs.Invalid, "invalid_shapefile", "the .shp record %d declares %d bytes of content, more than the file holds", len(shapes), clen)
		}
		if int64(cap(content)) < clen {
			content = make([]byte, clen)
		}
		content = content[:clen]
		if _, err := io.ReadFull(r, content); err != nil {
			return nil, shpInvalid(err, "the .shp is truncated at record %d", len(shapes))
		}
		pos += clen
		shapes = append(shapes, shpParseRecord(content))
	}
	return shapes, nil
}

// shpParseRecord decodes one record's content into its parts.
func shpParseRecord(c []byte) ShapeRecord {
	typ := int32(binary.LittleEndian.Uint32(c[0:4]))
	kind := ShapePolygon
	switch typ {
	case shpTypeNull:
		return ShapeRecord{Type: ShapeNull} // no geometry: validation reports "empty_geometry"
	case shpTypePolygon, shpTypePolygonZ, shpTypePolygonM:
	case shpTypePolyline, shpTypePolylineZ, shpTypePolylineM:
		kind = ShapePolyline
	default:
		return ShapeRecord{Reason: "not_polygon", Detail: fmt.Sprintf("the shape is of Shapefile type %d (%s); want a Polygon (or a PolyLine for road sections)", typ, shpTypeName(typ))}
	}
	malformed := func(what string) ShapeRecord {
		return ShapeRecord{Type: kind, Reason: "invalid_geometry", Detail: "the " + kind + " record is malformed: " + what}
	}
	if len(c) < 44 {
		return malformed("shorter than its header")
	}
	np := int64(int32(binary.LittleEndian.Uint32(c[36:40])))
	npts := int64(int32(binary.LittleEndian.Uint32(c[40:44])))
	if np < 0 || npts < 0 || 44+4*np+16*npts > int64(len(c)) {
		return malformed(fmt.Sprintf("%d parts and %d points do not fit in %d bytes", np, npts, len(c)))
	}
	if np == 0 || npts == 0 {
		return ShapeRecord{Type: kind}
	}
	parts := make([]int, np+1)
	for k := int64(0); k < np; k++ {
		parts[k] = int(int32(binary.LittleEndian.Uint32(c[44+4*k:])))
	}
	parts[np] = int(npts)
	if parts[0] != 0 {
		return malformed("the first part does not start at point 0")
	}
	for k := int64(0); k < np; k++ {
		if parts[k+1] <= parts[k] {
			return malformed(fmt.Sprintf("part %d is empty or out of order", k))
		}
	}
	pts := c[44+4*np:]
	out := make([][]orb.Point, np)
	for k := range out {
		r := make([]orb.Point, 0, parts[k+1]-parts[k])
		for j := parts[k]; j < parts[k+1]; j++ {
			x := math.Float64frombits(binary.LittleEndian.Uint64(pts[16*j:]))
			y := math.Float64frombits(binary.LittleEndian.Uint64(pts[16*j+8:]))
			r = append(r, orb.Point{x, y})
		}
		out[k] = r
	}
	return ShapeRecord{Type: kind, Parts: out}
}

func shpTypeName(t int32) string {
	switch t {
	case 1, 11, 21:
		return "point"
	case 3, 13, 23:
		return "polyline"
	case 8, 18, 28:
		return "multipoint"
	case 31:
		return "multipatch"
	}
	return "unknown"
}

// shpAssemble groups Shapefile parts into polygons: clockwise rings (or
// rings without area) are exteriors, counter-clockwise rings are holes of the
// smallest exterior that contains them; a hole no exterior contains becomes
// an exterior itself.
func shpAssemble(rings []orb.Ring) orb.MultiPolygon {
	if len(rings) == 0 {
		return nil
	}
	for _, r := range rings {
		for _, p := range r {
			if !validity.Finite(p[0]) || !validity.Finite(p[1]) {
				// Leave the parts alone; validation reports the bad number.
				mp := make(orb.MultiPolygon, len(rings))
				for i, r := range rings {
					mp[i] = orb.Polygon{r}
				}
				return mp
			}
		}
	}
	type ext struct {
		poly orb.Polygon
		area float64
	}
	var exts []*ext
	type hole struct {
		ring orb.Ring
		area float64
	}
	var holes []hole
	for _, r := range rings {
		a := validity.SignedArea(r)
		if a > 0 {
			holes = append(holes, hole{r, a})
		} else {
			exts = append(exts, &ext{orb.Polygon{r}, -a})
		}
	}
	sort.SliceStable(holes, func(i, j int) bool { return holes[i].area > holes[j].area })
	for _, h := range holes {
		var best *ext
		hb := h.ring.Bound()
		for _, e := range exts {
			eb := e.poly[0].Bound()
			if !validity.Within(hb, eb) || (best != nil && e.area >= best.area) {
				continue
			}
			if validity.RingIn(h.ring, e.poly[0]) == 1 {
				best = e
			}
		}
		if best == nil {
			exts = append(exts, &ext{orb.Polygon{h.ring}, h.area})
			continue
		}
		best.poly = append(best.poly, h.ring)
	}
	mp := make(orb.MultiPolygon, len(exts))
	for i, e := range exts {
		mp[i] = e.poly
	}
	return mp
}

// WriteShapefileZip writes grids as a zipped Shapefile for export: grids.shp,
// grids.shx, grids.dbf (UTF-8, columns CODE, NAME, LEVEL, PARENT, AREA_M2),
// grids.prj (WGS84) and grids.cpg ("UTF-8"). Exterior rings are written
// clockwise and holes counter-clockwise, as the format requires; a grid
// without geometry gets a null shape. Timestamps are taken from the newest
// ValidFrom so that the same grids always give the same bytes.
func WriteShapefileZip(w io.Writer, grids []*Grid) error {
	type rec struct {
		parts [][]orb.Point
		box   orb.Bound
		clen  int // content bytes
		npts  int
	}
	recs := make([]rec, len(grids))
	var fileBox orb.Bound
	haveBox := false
	stamp := time.Time{}
	codeW, nameW, parentW := 15, 1, 15
	for i, g := range grids {
		if g == nil {
			return fmt.Errorf("registry: WriteShapefileZip: grid %d is nil", i)
		}
		if g.ValidFrom.After(stamp) {
			stamp = g.ValidFrom
		}
		codeW = max(codeW, len(g.Code))
		parentW = max(parentW, len(g.ParentCode))
		nameW = max(nameW, len(g.Name))
		var r rec
		for _, p := range g.Geometry {
			for k, ring := range p {
				if len(ring) == 0 {
					continue
				}
				pts := make([]orb.Point, len(ring), len(ring)+1)
				copy(pts, ring)
				if pts[0] != pts[len(pts)-1] {
					pts = append(pts, pts[0])
				}
				a := validity.SignedArea(orb.Ring(pts))
				if (k == 0 && a > 0) || (k > 0 && a < 0) { // exterior CW, holes CCW
					orb.Ring(pts).Reverse()
				}
				if len(r.parts) == 0 {
					r.box = orb.Bound{Min: pts[0], Max: pts[0]}
				}
				r.parts = append(r.parts, pts)
				r.npts += len(pts)
				for _, pt := range pts {
					r.box = r.box.Extend(pt)
				}
			}
		}
		if len(r.parts) == 0 {
			r.clen = 4
		} else {
			r.clen = 44 + 4*len(r.parts) + 16*r.npts
			if !haveBox {
				fileBox, haveBox = r.box, true
			} else {
				fileBox = fileBox.Union(r.box)
			}
		}
		recs[i] = r
	}
	nameW = min(nameW, 254)
	codeW = min(codeW, 254)
	parentW = min(parentW, 254)
	if stamp.IsZero() {
		stamp = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	stamp = stamp.UTC()

	zw := zip.NewWriter(w)
	create := func(name string) (*bufio.Writer, error) {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: stamp})
		if err != nil {
			return nil, err
		}
		return bufio.NewWriterSize(fw, 1<<16), nil
	}
	le, be := binary.LittleEndian, binary.BigEndian
	var buf [8]byte
	put32 := func(bw *bufio.Writer, o binary.ByteOrder, v uint32) {
		o.PutUint32(buf[:4], v)
		bw.Write(buf[:4])
	}
	putF := func(bw *bufio.Writer, v float64) {
		le.PutUint64(buf[:], math.Float64bits(v))
		bw.Write(buf[:])
	}
	header := func(bw *bufio.Writer, fileBytes int64) {
		put32(bw, be, 9994)
		bw.Write(make([]byte, 20))
		put32(bw, be, uint32(fileBytes/2))
		put32(bw, le, 1000)
		put32(bw, le, shpTypePolygon)
		putF(bw, fileBox.Min[0])
		putF(bw, fileBox.Min[1])
		putF(bw, fileBox.Max[0])
		putF(bw, fileBox.Max[1])
		bw.Write(make([]byte, 32)) // Z and M ranges
	}

	// .shp
	shpLen := int64(100)
	for _, r := range recs {
		shpLen += 8 + int64(r.clen)
	}
	if shpLen/2 > math.MaxInt32 {
		return errors.New("registry: WriteShapefileZip: the export exceeds the 4 GiB Shapefile limit")
	}
	bw, err := create("grids.shp")
	if err != nil {
		return err
	}
	header(bw, shpLen)
	for i, r := range recs {
		put32(bw, be, uint32(i+1))
		put32(bw, be, uint32(r.clen/2))
		if len(r.parts) == 0 {
			put32(bw, le, shpTypeNull)
			continue
		}
		put32(bw, le, shpTypePolygon)
		putF(bw, r.box.Min[0])
		putF(bw, r.box.Min[1])
		putF(bw, r.box.Max[0])
		putF(bw, r.box.Max[1])
		put32(bw, le, uint32(len(r.parts)))
		put32(bw, le, uint32(r.npts))
		start := 0
		for _, p := range r.parts {
			put32(bw, le, uint32(start))
			start += len(p)
		}
		for _, p := range r.parts {
			for _, pt := range p {
				putF(bw, pt[0])
				putF(bw, pt[1])
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}

	// .shx
	if bw, err = create("grids.shx"); err != nil {
		return err
	}
	header(bw, 100+8*int64(len(recs)))
	off := int64(100)
	for _, r := range recs {
		put32(bw, be, uint32(off/2))
		put32(bw, be, uint32(r.clen/2))
		off += 8 + int64(r.clen)
	}
	if err := bw.Flush(); err != nil {
		return err
	}

	// .dbf
	type col struct {
		name      string
		typ       byte
		size, dec int
	}
	cols := []col{{"CODE", 'C', codeW, 0}, {"NAME", 'C', nameW, 0}, {"LEVEL", 'N', 4, 0}, {"PARENT", 'C', parentW, 0}, {"AREA_M2", 'N', 19, 2}}
	recLen := 1
	for _, c := range cols {
		recLen += c.size
	}
	if bw, err = create("grids.dbf"); err != nil {
		return err
	}
	hdr := make([]byte, 32)
	hdr[0] = 0x03
	hdr[1], hdr[2], hdr[3] = byte(stamp.Year()-1900), byte(stamp.Month()), byte(stamp.Day())
	le.PutUint32(hdr[4:8], uint32(len(grids)))
	le.PutUint16(hdr[8:10], uint16(32+32*len(cols)+1))
	le.PutUint16(hdr[10:12], uint16(recLen))
	bw.Write(hdr)
	for _, c := range cols {
		d := make([]byte, 32)
		copy(d[:11], c.name)
		d[11] = c.typ
		d[16], d[17] = byte(c.size), byte(c.dec)
		bw.Write(d)
	}
	bw.WriteByte(0x0d)
	for _, g := range grids {
		level := strconv.Itoa(g.Level)
		area := strconv.FormatFloat(g.AreaM2, 'f', 2, 64)
		if len(level) > 4 || len(area) > 19 {
			return fmt.Errorf("registry: WriteShapefileZip: grid %s: level %s or area %s does not fit the DBF column", g.Code, level, area)
		}
		bw.WriteByte(' ')
		bw.WriteString(shpPadRight(g.Code, codeW))
		bw.WriteString(shpPadRight(g.Name, nameW))
		bw.WriteString(strings.Repeat(" ", 4-len(level)) + level)
		bw.WriteString(shpPadRight(g.ParentCode, parentW))
		bw.WriteString(strings.Repeat(" ", 19-len(area)) + area)
	}
	bw.WriteByte(0x1a)
	if err := bw.Flush(); err != nil {
		return err
	}

	for _, e := range [][2]string{{"grids.prj", shpWGS84PRJ}, {"grids.cpg", "UTF-8"}} {
		if bw, err = create(e[0]); err != nil {
			return err
		}
		bw.WriteString(e[1])
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	return zw.Close()
}

// shpPadRight truncates s to at most n bytes on a rune boundary and pads it
// with spaces to n bytes.
func shpPadRight(s string, n int) string {
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s + strings.Repeat(" ", n-len(s))
}
