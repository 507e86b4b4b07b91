package msg

// Details added with the second factor's reset, patrol archives, the province
// instance, audit sealing, the grid snapshot's patches and training gaps.
var detailsScale = map[string]string{
	"role %s must keep a second factor":    "角色 %s 必须保留第二验证因素",
	"an admin requires your second factor": "管理员已要求您使用第二验证因素",
	"no second factor to turn off":         "没有可关闭的第二验证因素",
	"a current 6-digit TOTP code":          "当前的 6 位动态验证码",

	"patrol partitions": "巡查轨迹分区",
	"patrol archive":    "巡查轨迹归档",
	"patrol archives":   "巡查轨迹归档",
	"dropping archived months needs a directory for their files":                                                "删除已归档月份前须指定保存其文件的目录",
	"give --out to drop the detached tables":                                                                    "删除已分离的表须给出 --out",
	"the fixes of %s are archived; fixes for that month are no longer accepted":                                 "%s 的轨迹点已归档，不再接收该月的轨迹点",
	"send only fixes of months not archived (gridd patrols archive)":                                            "只能上传未归档月份的轨迹点（见“gridd patrols archive”）",
	"the province instance is read-only: its data is replicated from the cities; change it in the city's gridd": "省级实例只读：数据由各市复制而来，请在该市的系统中修改",
	"the city database publishes nothing: run 'gridd province publish --county-code %s' there first":            "该市数据库尚未发布任何数据：请先在该市运行“gridd province publish --county-code %s”",
	"the city database publishes county %s, not %s":                                                             "该市数据库发布的区县代码为 %s，而不是 %s",
	"this database is already published as county %s; the province keys its rows by that code":                  "本数据库已按区县代码 %s 发布；省级库以该代码区分各市数据",
	"cities":                              "各市",
	"province grids":                      "省级网格",
	"province cases":                      "省级案件",
	"province assessments":                "省级考核",
	"province tile":                       "省级瓦片",
	"province case counts":                "省级案件统计",
	"province study area":                 "省级研究区域",
	"the province database is read-only":  "省级数据库只读",
	"province hot spots cover every city": "省级热点覆盖全部城市",
	"province figures are for province-wide readers; you are scoped to %s":            "省级统计仅供全省范围的用户查看；您的范围是 %s",
	"at most %d months per request":                                                   "每次最多查询 %d 个月",
	"province hot spots cover every city; a grid subtree belongs to one city's gridd": "省级热点覆盖全部城市；某一网格范围请在该市的系统中查看",
	"want a six-digit administrative division code such as 370114; got %q":            "应为六位行政区划代码，例如 370114；收到 %q",

	"audit seal":                 "审计链封存",
	"audit log ids":              "审计记录编号",
	"case ids":                   "案件标识",
	"grid snapshot mark":         "网格快照标记",
	"grid snapshot changes":      "网格快照变更",
	"want month=YYYY-MM, got %q": "月份应为 YYYY-MM，收到 %q",
	"want this month or an earlier one, got %s": "应为本月或更早的月份，收到 %s",
}
