package msg

// Problem titles, one per error kind (internal/errs), used by the HTTP API's
// problem+json bodies.
const (
	ProblemInternal           Key = "problem.internal"
	ProblemInvalid            Key = "problem.invalid"
	ProblemUnprocessable      Key = "problem.unprocessable"
	ProblemNotFound           Key = "problem.not_found"
	ProblemConflict           Key = "problem.conflict"
	ProblemPreconditionFailed Key = "problem.precondition_failed"
	ProblemUnauthorized       Key = "problem.unauthorized"
	ProblemForbidden          Key = "problem.forbidden"
	ProblemTooManyRequests    Key = "problem.too_many_requests"
	ProblemTooLarge           Key = "problem.too_large"
	ProblemUnavailable        Key = "problem.unavailable"
	ProblemUnsupportedMedia   Key = "problem.unsupported_media_type"
	ProblemMethodNotAllowed   Key = "problem.method_not_allowed"
)

var problemTitles = map[Key]Text{
	ProblemInternal:           {"服务器内部错误", "Internal error"},
	ProblemInvalid:            {"请求参数有误", "Invalid request"},
	ProblemUnprocessable:      {"请求无法处理", "Unprocessable request"},
	ProblemNotFound:           {"未找到", "Not found"},
	ProblemConflict:           {"状态冲突", "Conflict"},
	ProblemPreconditionFailed: {"版本不符", "Precondition failed"},
	ProblemUnauthorized:       {"未登录或登录已失效", "Unauthorized"},
	ProblemForbidden:          {"无权访问", "Forbidden"},
	ProblemTooManyRequests:    {"请求过于频繁", "Too many requests"},
	ProblemTooLarge:           {"请求体过大", "Request too large"},
	ProblemUnavailable:        {"服务暂不可用", "Service unavailable"},
	ProblemUnsupportedMedia:   {"不支持的内容类型", "Unsupported media type"},
	ProblemMethodNotAllowed:   {"不允许的请求方法", "Method not allowed"},
}
