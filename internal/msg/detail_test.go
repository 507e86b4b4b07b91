package msg

import "testing"

// TestDetailTranslates renders details as the domain writes them (formatted
// in English) in Chinese: the arguments come back in place, a detail inside
// a detail is translated too, and unknown text is left as it is.
func TestDetailTranslates(t *testing.T) {
	c := Must()
	for _, tc := range []struct{ en, zh string }{
		{"wrong username or password", "用户名或密码错误"},
		{"at most 200 characters", "最多 200 个字符"},
		{"want at most 72 characters", "最多 72 个字符"},
		{`want a date YYYY-MM-DD, got "2026-13-01"`, `应为日期 年-月-日（YYYY-MM-DD），收到 "2026-13-01"`},
		{"case 17 does not exist", "案件 17 不存在"},
		{"description: at most 2000 characters", "description：最多 2000 个字符"},
		{"3 fields are invalid (first description: describe the problem)", "3 个字段有误（第一个 description：请描述问题）"},
		{"grids already exists", "网格已存在"},
		{"the path must not contain the NUL character (%00)", "路径中不能包含 NUL 字符（%00）"},
		{"something nobody wrote", "something nobody wrote"},
		{"", ""},
	} {
		if got := c.Detail(ZH, tc.en); got != tc.zh {
			t.Errorf("Detail(zh, %q) = %q, want %q", tc.en, got, tc.zh)
		}
		if got := c.Detail(EN, tc.en); got != tc.en {
			t.Errorf("Detail(en, %q) = %q", tc.en, got)
		}
	}
}
