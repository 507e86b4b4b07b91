package msg

// Problem details of the province instance (issue 20): the reasons its
// routes and its read-only guard give.
var provinceTexts = map[Key]Text{
	"problem.detail.province_read_only":   {"省级汇总实例只读：数据来自各市的逻辑复制，请在所属市的系统中修改", "the province instance is read-only: its data is replicated from the cities; change it in the city's gridd"},
	"problem.detail.parent_not_supported": {"省级热点分析覆盖全部城市，不支持按网格筛选", "province hot spots cover every city; a grid subtree belongs to one city's gridd"},
	"problem.detail.invalid_tile":         {"瓦片坐标无效", "want 0 ≤ z ≤ 22 and 0 ≤ x, y < 2^z"},
	"problem.detail.invalid_county_code":  {"县级行政区划代码应为 6 位数字", "want a six-digit administrative division code"},
}
