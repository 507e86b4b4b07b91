// Package webhook sends gridd's events to outside systems (WeChat Work or
// DingTalk robots, SMS gateways, the district platform): an admin
// subscribes a URL to event kinds in a grid subtree; each matching event
// is POSTed once per subscription, signed with the subscription's secret.
//
// Deliveries come from a transactional outbox: the relay reads committed
// events after its cursor and, in one transaction with the cursor's
// advance, records a delivery per matching subscription and enqueues its
// job (River, cmd/gridd). An event committed is thus delivered at least
// once even if gridd stops between the commit and the delivery; a delivery
// keeps its id across retries (X-Gridd-Delivery) so receivers can drop
// duplicates. After the last attempt a delivery is dead and stays listed
// with its last error.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/people"
)

// Subscription is one webhook.
type Subscription struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Kinds     []string  `json:"kinds"`               // empty: every kind
	GridCode  string    `json:"grid_code,omitempty"` // subtree root; empty: everywhere
	Secret    string    `json:"secret,omitempty"`    // shown once, at creation
	CreatedBy int64     `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// SinceEvent: events up to this id predate the subscription.
	SinceEvent int64 `json:"-"`
}

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusRetrying  = "retrying"
	StatusDead      = "dead" // the last attempt failed: a dead letter
)

// Delivery is one event sent (or being sent) to one subscription.
type Delivery struct {
	ID         int64       `json:"id"`
	WebhookID  int64       `json:"webhook_id"`
	EventID    int64       `json:"event_id"`
	Kind       events.Kind `json:"kind"`
	Status     string      `json:"status"`
	Attempts   int         `json:"attempts"`
	LastError  string      `json:"last_error"`
	LastStatus *int        `json:"last_status_code"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// DeliveryFilter narrows a subscription's deliveries.
type DeliveryFilter struct {
	Status *string
	Limit  int
}

// Store keeps subscriptions and deliveries.
type Store interface {
	CreateWebhook(ctx context.Context, s *Subscription) error
	FindWebhooks(ctx context.Context) ([]*Subscription, error)
	FindWebhook(ctx context.Context, id int64) (*Subscription, error)
	DeleteWebhook(ctx context.Context, id int64) error
	FindDeliveries(ctx context.Context, webhookID int64, f DeliveryFilter) ([]*Delivery, error)
}

// Hierarchy answers whether a grid lies within another.
type Hierarchy interface {
	IsWithin(code, root string) bool
	Has(code string) bool
}

// Service manages subscriptions; only an admin may.
type Service struct {
	Store Store
	Guard *Guard
	Tree  func() Hierarchy
	// Kinds are the event kinds one may subscribe to.
	Kinds []events.Kind
}

// Input is a new subscription.
type Input struct {
	URL      string   `json:"url"`
	Kinds    []string `json:"kinds"`
	GridCode string   `json:"grid_code"`
	Secret   string   `json:"secret"`
}

// MinSecret is the shortest secret accepted.
const MinSecret = 16

// Create validates in (the URL's target too: see Guard) and stores the
// subscription; the answer carries the secret, generated when not given.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in Input) (*Subscription, error) {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return nil, err
	}
	var fields []errs.Field
	if err := s.Guard.CheckURL(ctx, in.URL); err != nil {
		return nil, err
	}
	kinds := []string{}
	for i, k := range in.Kinds {
		if !slices.Contains(s.Kinds, events.Kind(k)) {
			fields = append(fields, errs.Field{Field: "kinds[" + strconv.Itoa(i) + "]", Reason: "unknown_kind", Detail: "not an event kind: " + k})
			continue
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	if in.GridCode != "" && !s.Tree().Has(in.GridCode) {
		fields = append(fields, errs.Field{Field: "grid_code", Reason: "unknown_grid", Detail: "no grid " + in.GridCode})
	}
	secret := in.Secret
	if secret == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		secret = hex.EncodeToString(b)
	} else if len(secret) < MinSecret {
		fields = append(fields, errs.Field{Field: "secret", Reason: "secret_too_short", Detail: "at least " + strconv.Itoa(MinSecret) + " characters, or omit it to have one generated"})
	}
	if len(fields) > 0 {
		e := errs.E(errs.Invalid, "invalid_webhook", "the subscription is invalid: see fields")
		e.Fields = fields
		return nil, e
	}
	sub := &Subscription{URL: in.URL, Kinds: kinds, GridCode: in.GridCode, Secret: secret, CreatedBy: p.User.ID}
	if err := s.Store.CreateWebhook(ctx, sub); err != nil {
		return nil, err
	}
	return sub, nil
}

// List returns every subscription, without secrets.
func (s *Service) List(ctx context.Context, p *auth.Principal) ([]*Subscription, error) {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return nil, err
	}
	subs, err := s.Store.FindWebhooks(ctx)
	for _, sub := range subs {
		sub.Secret = ""
	}
	return subs, err
}

// Delete removes a subscription and its deliveries.
func (s *Service) Delete(ctx context.Context, p *auth.Principal, id int64) error {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return err
	}
	return s.Store.DeleteWebhook(ctx, id)
}

// Deliveries lists a subscription's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, p *auth.Principal, id int64, f DeliveryFilter) ([]*Delivery, error) {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return nil, err
	}
	if _, err := s.Store.FindWebhook(ctx, id); err != nil {
		return nil, err
	}
	if f.Status != nil && !slices.Contains([]string{StatusPending, StatusDelivered, StatusRetrying, StatusDead}, *f.Status) {
		return nil, errs.Invalidf("status", "unknown_status", "want pending, delivered, retrying or dead")
	}
	return s.Store.FindDeliveries(ctx, id, f)
}

// Matches reports whether sub wants e: a kind it lists (or any), in its
// subtree (or anywhere), committed after it was created.
func Matches(sub *Subscription, h Hierarchy, e events.Event) bool {
	if e.ID <= sub.SinceEvent {
		return false
	}
	if len(sub.Kinds) > 0 && !slices.Contains(sub.Kinds, string(e.Kind)) {
		return false
	}
	if sub.GridCode == "" {
		return true
	}
	return e.GridCode != "" && (e.GridCode == sub.GridCode || h.IsWithin(e.GridCode, sub.GridCode))
}

// Sign returns the X-Gridd-Signature value of body sent at timestamp ts
// (Unix seconds, the X-Gridd-Timestamp header): "sha256=" and the hex
// HMAC-SHA256 of "<ts>.<body>" keyed with the secret.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature as a receiver does: the HMAC matches and the
// timestamp is within tolerance of now (against replay).
func Verify(secret, signature string, ts int64, body []byte, now time.Time, tolerance time.Duration) bool {
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return false
	}
	return hmac.Equal([]byte(signature), []byte(Sign(secret, ts, body)))
}
