package msg

// Details that join others (a field and what is wrong with it), and the
// errors of packages below the domain that a domain error quotes with %v
// (spatial/crs, the ID-number check).
var detailsGeneric = map[string]string{
	"%s: %s": "%s：%s",
	"crs: unknown coordinate system %q (accepted: wgs84, epsg:4326, crs84, cgcs2000, epsg:4490, gcj02, bd09; empty means wgs84)": "未知的坐标系 %q（可用：wgs84、epsg:4326、crs84、cgcs2000、epsg:4490、gcj02、bd09；不填即 wgs84）",
	"want 18 characters, got %d":                            "应为 18 位，收到 %d 位",
	"character %d must be a digit":                          "第 %d 位应为数字",
	"characters 7-14 must be a birth date YYYYMMDD, got %s": "第 7-14 位应为出生日期 YYYYMMDD，收到 %s",
	"the check character is wrong (the number is mistyped)": "校验位错误（号码有误）",
	"workday: year %d out of range 1..9999":                 "年份 %d 超出范围 1 到 9999",
	"workday: year %d given twice":                          "年份 %d 出现了两次",
	"workday: invalid date %q: want YYYY-MM-DD":             "日期 %q 无效：应为 YYYY-MM-DD",
}
