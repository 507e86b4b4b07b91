package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gridd/gridd/internal/events"
)

// Sender POSTs deliveries.
type Sender struct {
	Client *http.Client
	Now    func() time.Time
}

// NewSender returns a sender whose connections pass g's check and which
// follows no redirect (a 3xx is a failed attempt): short timeouts, no
// proxy from the environment (a proxy would dial for us, unchecked).
func NewSender(g *Guard, now func() time.Time) *Sender {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: g.control}
	tr := &http.Transport{
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
	}
	c := &http.Client{Transport: tr, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if now == nil {
		now = time.Now
	}
	return &Sender{Client: c, Now: now}
}

// Body is what a receiver gets.
type Body struct {
	Delivery string    `json:"delivery"` // also X-Gridd-Delivery
	Event    EventBody `json:"event"`
}

// EventBody is the event as sent (without its internal scope lists).
type EventBody struct {
	ID       int64          `json:"id"`
	Kind     events.Kind    `json:"kind"`
	Object   string         `json:"object"`
	ObjectID string         `json:"object_id"`
	GridCode string         `json:"grid_code,omitempty"`
	Data     map[string]any `json:"data"`
	At       time.Time      `json:"at"`
}

// Send POSTs delivery d of e to sub. It returns the receiver's status code
// (0 when none came) and an error unless the receiver answered 2xx.
func (s *Sender) Send(ctx context.Context, sub *Subscription, d *Delivery, e events.Event) (int, error) {
	id := strconv.FormatInt(d.ID, 10)
	body, err := json.Marshal(Body{Delivery: id, Event: EventBody{ID: e.ID, Kind: e.Kind, Object: e.Object, ObjectID: e.ObjectID,
		GridCode: e.GridCode, Data: e.Data, At: e.At}})
	if err != nil {
		return 0, err
	}
	ts := s.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "gridd-webhook")
	req.Header.Set("X-Gridd-Delivery", id)
	req.Header.Set("X-Gridd-Event", string(e.Kind))
	req.Header.Set("X-Gridd-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Gridd-Signature", Sign(sub.Secret, ts, body))
	res, err := s.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("receiver answered %s", res.Status)
	}
	return res.StatusCode, nil
}
