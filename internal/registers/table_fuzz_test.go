package registers

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
)

// FuzzReadTable: the CSV and xlsx reader of register imports answers any
// bytes with rows or an error, never a panic; every row it returns has a
// cell slice (possibly short) that the importer can index safely.
func FuzzReadTable(f *testing.F) {
	f.Add([]byte("地址,经度,纬度\n一号院,117.5,36.7\n"), "csv")
	f.Add([]byte("\xef\xbb\xbfname,phone\n\"unterminated,1\n"), "csv")
	f.Add([]byte("\xd5\xc5\xc8\xfd,1\n"), "csv") // GBK
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"地址", "经度", "纬度"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"一号院", 117.5, 36.7})
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes(), "xlsx")
	f.Add(buf.Bytes()[:buf.Len()/2], "xlsx")
	f.Add([]byte("PK\x03\x04"), "")
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		if len(data) > 1<<20 {
			return
		}
		header, rows, err := readTable(data, format)
		if err != nil {
			return
		}
		_, _ = columns(header, nil)
		for _, r := range rows {
			_ = len(r)
		}
	})
}
