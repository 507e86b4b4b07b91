package auditlog

import "context"

// Request is what the transport knows about the request an entry belongs
// to. The HTTP layer puts it in the context (WithRequest) so that services,
// which take the caller but not the request, can record sensitive reads
// and refusals with the route and request id.
type Request struct {
	Method    string
	Route     string
	Path      string
	RequestID string
}

type requestKey struct{}

// WithRequest returns ctx carrying req.
func WithRequest(ctx context.Context, req Request) context.Context {
	return context.WithValue(ctx, requestKey{}, req)
}

// RequestFrom returns the request ctx carries (zero outside a request,
// e.g. a command).
func RequestFrom(ctx context.Context) Request {
	req, _ := ctx.Value(requestKey{}).(Request)
	return req
}

// Actor is who did what an entry records.
type Actor struct {
	ID       int64
	Username string
	Role     string
}

// Recorder appends entries (Log is one).
type Recorder interface {
	Record(ctx context.Context, e *Entry) error
}

// Access is the entry of a sensitive read by a: status 200 for a read
// that is answered, 403 for one that is refused. The request comes from
// ctx.
func Access(ctx context.Context, a Actor, action, object, grid, reason string, status int) *Entry {
	req := RequestFrom(ctx)
	return &Entry{ActorID: a.ID, Actor: a.Username, Role: a.Role, Action: action, Method: req.Method, Route: req.Route,
		Path: req.Path, RequestID: req.RequestID, Object: object, GridCode: grid, Reason: reason, Status: status}
}
