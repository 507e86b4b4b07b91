package msg

// ProblemDetail is the key of a problem's detail for a reason: in Chinese
// the HTTP layer shows this text for the reason (the English detail, which
// may quote the input, stays for English readers and logs).
func ProblemDetail(reason string) Key { return Key("problem.detail." + reason) }

// ProblemInternalDetail is the detail of an internal error; its argument
// is the request id.
const ProblemInternalDetail Key = "problem.internal_detail"

var problemDetails = map[Key]Text{
	ProblemInternalDetail:                   {"服务器内部错误；请向管理员提供请求编号 %s", "internal error; quote request id %s"},
	"problem.detail.bad_credentials":        {"用户名或密码错误", "wrong username or password"},
	"problem.detail.credentials_required":   {"请输入用户名和密码", "username and password are required"},
	"problem.detail.login_throttled":        {"登录失败次数过多，请稍后再试", "too many failed logins; try again later"},
	"problem.detail.token_required":         {"请先登录", "a bearer token is required"},
	"problem.detail.token_invalid":          {"登录已失效，请重新登录", "the token is unknown or revoked"},
	"problem.detail.token_expired":          {"登录已过期，请重新登录", "the token expired"},
	"problem.detail.user_disabled":          {"该账号已停用", "the account is disabled"},
	"problem.detail.key_required":           {"需要登录令牌或接口密钥", "a bearer token or an API key is required"},
	"problem.detail.key_invalid":            {"接口密钥无效或已吊销", "the API key is unknown or revoked"},
	"problem.detail.export_too_large":       {"符合条件的案件过多，请缩小筛选范围后再导出", "too many cases match; narrow the filters"},
	"problem.detail.invalid_query":          {"搜索词应为 1 到 100 个字符", "want 1 to 100 characters of text"},
	"problem.detail.invalid_cursor":         {"翻页位置无效，请从第一页重新开始", "not a cursor of this list with this sort"},
	"problem.detail.invalid_date":           {"日期格式应为 年-月-日", "want a date YYYY-MM-DD"},
	"problem.detail.invalid_period":         {"时间范围应为今日、本周或本月", "want today, week or month"},
	"problem.detail.invalid_sort":           {"排序方式无效", "want reported_at, stage_due or number"},
	"problem.detail.database_unavailable":   {"数据库暂不可用，请几秒后重试", "the database is unavailable; retry in a few seconds"},
	"problem.detail.forbidden":              {"无权执行此操作", "not allowed"},
	"problem.detail.invalid_action":         {"当前状态下不能执行此操作", "the action is not allowed in this state"},
	"problem.detail.idempotency_key_reused": {"同一请求编号已用于其他内容", "the Idempotency-Key was used for another request"},
	"problem.detail.range_required":         {"请选择开始和结束日期", "want from and to dates"},
	// Reasons whose detail quotes another package's error as it is.
	"problem.detail.unreadable_body":   {"无法读取请求体", "the request body cannot be read"},
	"problem.detail.invalid_form":      {"表单无法解析", "the form cannot be parsed"},
	"problem.detail.invalid_crs":       {"未知的坐标系", "unknown coordinate system"},
	"problem.detail.invalid_csv":       {"CSV 文件无法解析", "the CSV file cannot be parsed"},
	"problem.detail.invalid_calendar":  {"工作日历有误", "the calendar is invalid"},
	"problem.detail.invalid_id_number": {"身份证号有误", "the ID number is invalid"},
	"problem.detail.invalid_multipart": {"multipart 请求体无法解析", "the multipart body cannot be parsed"},
}
