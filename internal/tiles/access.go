package tiles

import (
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
)

// Who may read a layer: the roles it names (Layer.Roles; none: everyone
// signed in). The handlers ask here, with the caller.

// ReadableLayer returns the named layer if p may read it.
func (r *Registry) ReadableLayer(p *auth.Principal, name string) (*Layer, error) {
	l, err := r.Layer(name)
	if err != nil {
		return nil, err
	}
	if !l.CanRead(p.Role()) {
		return nil, errs.Forbiddenf("role %s may not read the %s layer", p.Role(), l.Name)
	}
	return l, nil
}

// ReadableLayers returns the layers p may read, in order.
func (r *Registry) ReadableLayers(p *auth.Principal) []*Layer {
	var out []*Layer
	for _, l := range r.order {
		if l.CanRead(p.Role()) {
			out = append(out, l)
		}
	}
	return out
}
