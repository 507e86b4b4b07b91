package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/people"
	"github.com/pquerna/otp/totp"
)

// newAccountsApp is the real wiring on the demo database with clk as the
// clock and a second factor required of admin and center (the serve
// default).
func newAccountsApp(t *testing.T, clk *testClock) *testApp {
	t.Helper()
	return newTestAppWith(t, true, func(c *Config) {
		c.Now = clk.Now
		c.SecondFactorRoles = []people.Role{people.RoleAdmin, people.RoleCenter}
	})
}

func loginBody(username, password, code string) map[string]string {
	b := map[string]string{"username": username, "password": password}
	if code != "" {
		b["code"] = code
	}
	return b
}

// TestSecondFactorRequiredForAdmin: a password alone no longer opens an
// admin session. The login answers an enrol-only token good for nothing
// but enrolling a TOTP factor; after that, logins need a code (used once)
// or a recovery code (used once).
func TestSecondFactorRequiredForAdmin(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)}
	ta := newAccountsApp(t, clk)

	res := ta.do("POST", "/api/v1/auth/login", "", loginBody("admin", dbtest.DemoPassword, ""), nil)
	var sess struct {
		Token    string `json:"token"`
		Required bool   `json:"second_factor_enrolment_required"`
	}
	sess.Required = false
	res.decode(t, &sess)
	if res.Status != 200 || !sess.Required {
		t.Fatalf("admin password-only login: %d %s, want an enrol-only session", res.Status, res.Body)
	}
	for _, path := range []string{"/api/v1/auth/me", "/api/v1/users", "/api/v1/keypersons"} {
		res = ta.do("GET", path, sess.Token, nil, nil)
		var pj problemJSON
		res.decode(t, &pj)
		if res.Status != http.StatusForbidden || pj.Reason != "second_factor_enrolment_required" {
			t.Errorf("GET %s with an enrol-only token: %d %s", path, res.Status, res.Body)
		}
	}
	if res = ta.do("GET", "/tiles/grids.json", sess.Token, nil, nil); res.Status != http.StatusForbidden {
		t.Errorf("tiles with an enrol-only token: %d", res.Status)
	}

	res = ta.do("POST", "/api/v1/auth/totp", sess.Token, nil, nil)
	var enr struct {
		Secret string `json:"secret"`
		URI    string `json:"otpauth_uri"`
	}
	res.decode(t, &enr)
	if res.Status != 200 || enr.Secret == "" || !strings.HasPrefix(enr.URI, "otpauth://totp/gridd:admin?") || !strings.Contains(enr.URI, "secret="+enr.Secret) {
		t.Fatalf("enrol: %d %s", res.Status, res.Body)
	}
	code := func() string {
		c, err := totp.GenerateCode(enr.Secret, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	wrong := func() string { // a well-formed code that is not the current one
		c := []byte(code())
		c[0] = '0' + (c[0]-'0'+5)%10
		return string(c)
	}
	if res = ta.do("POST", "/api/v1/auth/totp/confirm", sess.Token, map[string]string{"code": wrong()}, nil); res.Status != 400 {
		t.Errorf("confirm with a wrong code: %d %s", res.Status, res.Body)
	}
	first := code()
	res = ta.do("POST", "/api/v1/auth/totp/confirm", sess.Token, map[string]string{"code": first}, nil)
	var rec struct {
		Codes []string `json:"recovery_codes"`
	}
	res.decode(t, &rec)
	if res.Status != 200 || len(rec.Codes) != 10 {
		t.Fatalf("confirm: %d %s", res.Status, res.Body)
	}
	if res = ta.do("GET", "/api/v1/auth/me", sess.Token, nil, nil); res.Status != 200 {
		t.Errorf("the enrolling session after confirmation: %d %s", res.Status, res.Body)
	}
	if res = ta.do("POST", "/api/v1/auth/totp", sess.Token, nil, nil); res.Status != http.StatusConflict {
		t.Errorf("re-enrol over a confirmed factor: %d %s", res.Status, res.Body)
	}
	// The secret is sealed at rest, the recovery codes hashed.
	var pos int
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT position(convert_to($1, 'UTF8') in totp_secret) FROM users WHERE username = 'admin'`, enr.Secret).Scan(&pos); err != nil || pos != 0 {
		t.Errorf("TOTP secret stored in clear (%d, %v)", pos, err)
	}
	var clear int
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM totp_recovery_codes WHERE position(convert_to($1, 'UTF8') in code_hash) > 0`, rec.Codes[0]).Scan(&clear); err != nil || clear != 0 {
		t.Errorf("recovery code stored in clear (%d, %v)", clear, err)
	}

	// From now on the password alone is a second_factor_required step.
	res = ta.do("POST", "/api/v1/auth/login", "", loginBody("admin", dbtest.DemoPassword, ""), nil)
	var pj problemJSON
	res.decode(t, &pj)
	if res.Status != 401 || pj.Reason != "second_factor_required" || !strings.Contains(string(res.Body), `"field":"code"`) {
		t.Errorf("password alone: %d %s", res.Status, res.Body)
	}
	// The code used to confirm is not accepted again (replay), nor a wrong one.
	for _, c := range []string{first, wrong()} {
		if res = ta.do("POST", "/api/v1/auth/login", "", loginBody("admin", dbtest.DemoPassword, c), nil); res.Status != 401 {
			t.Errorf("login with used or wrong code %s: %d %s", c, res.Status, res.Body)
		}
	}
	// A wrong password with the right code is still wrong.
	clk.Add(30 * time.Second)
	if res = ta.do("POST", "/api/v1/auth/login", "", loginBody("admin", "not-the-password", code()), nil); res.Status != 401 {
		t.Errorf("wrong password, right code: %d", res.Status)
	}
	clk.Add(30 * time.Second)
	res = ta.do("POST", "/api/v1/auth/login", "", loginBody("admin", dbtest.DemoPassword, code()), nil)
	sess.Required = false
	res.decode(t, &sess)
	if res.Status != 200 || sess.Required {
		t.Fatalf("login with a fresh code: %d %s", res.Status, res.Body)
	}
	if res = ta.do("GET", "/api/v1/users", sess.Token, nil, nil); res.Status != 200 {
		t.Errorf("full session: %d", res.Status)
	}
	// A recovery code works once, typed in capitals without dashes too.
	rc := strings.ToUpper(strings.ReplaceAll(rec.Codes[3], "-", ""))
	if res = ta.do("POST", "/api/v1/auth/login", "", loginBody("admin", dbtest.DemoPassword, rc), nil); res.Status != 200 {
		t.Errorf("recovery code: %d %s", res.Status, res.Body)
	}
	if res = ta.do("POST", "/api/v1/auth/login", "", loginBody("admin", dbtest.DemoPassword, rec.Codes[3]), nil); res.Status != 401 {
		t.Errorf("recovery code reused: %d %s", res.Status, res.Body)
	}

	// A lost authenticator: `gridd user reset-second-factor` removes it and
	// revokes the sessions; the next login enrols again.
	u, err := ta.people.FindUserByUsername(t.Context(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	if err := ta.sessions.ResetSecondFactor(t.Context(), u.ID); err != nil {
		t.Fatal(err)
	}
	within(t, "session after a second-factor reset", since, wantStatus(ta, "/api/v1/auth/me", sess.Token, 401))
	res = ta.do("POST", "/api/v1/auth/login", "", loginBody("admin", dbtest.DemoPassword, ""), nil)
	sess.Required = false
	res.decode(t, &sess)
	if res.Status != 200 || !sess.Required {
		t.Errorf("login after the reset: %d %s, want an enrol-only session", res.Status, res.Body)
	}

	// Center must enrol too; a worker need not (optional).
	res = ta.do("POST", "/api/v1/auth/login", "", loginBody("center", dbtest.DemoPassword, ""), nil)
	sess.Required = false
	res.decode(t, &sess)
	if res.Status != 200 || !sess.Required {
		t.Errorf("center password-only: %d %s", res.Status, res.Body)
	}
	res = ta.do("POST", "/api/v1/auth/login", "", loginBody(ownGrid, dbtest.DemoPassword, ""), nil)
	sess.Required = false
	res.decode(t, &sess)
	if res.Status != 200 || sess.Required {
		t.Errorf("worker password-only: %d %s", res.Status, res.Body)
	}
	if res = ta.do("GET", "/api/v1/auth/me", sess.Token, nil, nil); res.Status != 200 {
		t.Errorf("worker session: %d", res.Status)
	}
}

// TestAPIKeyExpiresAndDiesWithPassword: keys used to live for ever and
// survive a password change. Now they expire (default and maximum
// lifetime from configuration) and a password change revokes them.
func TestAPIKeyExpiresAndDiesWithPassword(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)}
	ta := newTestAppWith(t, true, func(c *Config) {
		c.Now = clk.Now
		c.APIKeyTTL, c.APIKeyMaxTTL = 30*24*time.Hour, 60*24*time.Hour
	})
	tok := ta.login(ownGrid)
	res := ta.do("POST", "/api/v1/auth/api-keys", tok, map[string]any{"name": "QGIS", "expires_in_days": 61}, nil)
	var pj problemJSON
	res.decode(t, &pj)
	if res.Status != 400 || len(pj.Errors) != 1 || pj.Errors[0].Field != "expires_in_days" {
		t.Errorf("a key beyond the maximum lifetime: %d %s", res.Status, res.Body)
	}
	newKey := func(body map[string]any) (string, time.Time) {
		t.Helper()
		res := ta.do("POST", "/api/v1/auth/api-keys", tok, body, nil)
		var k struct {
			Key       string    `json:"key"`
			ExpiresAt time.Time `json:"expires_at"`
		}
		res.decode(t, &k)
		if res.Status != 201 {
			t.Fatalf("create key: %d %s", res.Status, res.Body)
		}
		return k.Key, k.ExpiresAt
	}
	use := func(key string) response { return ta.do("GET", "/ogc/collections?key="+key, "", nil, nil) }
	key, exp := newKey(map[string]any{"name": "QGIS"})
	if !exp.Equal(clk.Now().Add(30 * 24 * time.Hour)) {
		t.Errorf("default expiry %s, want 30 days after %s", exp, clk.Now())
	}
	long, exp := newKey(map[string]any{"name": "QGIS long", "expires_in_days": 60})
	if !exp.Equal(clk.Now().Add(60 * 24 * time.Hour)) {
		t.Errorf("asked expiry %s, want 60 days", exp)
	}
	if res := use(key); res.Status != 200 {
		t.Fatalf("fresh key: %d %s", res.Status, res.Body)
	}
	clk.Add(30*24*time.Hour + time.Second)
	res = use(key)
	res.decode(t, &pj)
	if res.Status != 401 || pj.Reason != "key_expired" {
		t.Errorf("expired key: %d %s", res.Status, res.Body)
	}
	if res := use(long); res.Status != 200 {
		t.Fatalf("the 60-day key on day 30: %d %s", res.Status, res.Body)
	}
	// gridd user passwd (the people store) revokes every key of the user.
	u, err := ta.people.FindUserByUsername(t.Context(), ownGrid)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := dbtest.FastHasher.Hash("Another-Passphrase-9341")
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	if err := ta.people.SetPassword(t.Context(), u.ID, hash); err != nil {
		t.Fatal(err)
	}
	// The key's cached principal goes by notification.
	within(t, "key after a password change", since, wantStatus(ta, "/ogc/collections?key="+long, "", 401))
	var live int
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL`, u.ID).Scan(&live); err != nil || live != 0 {
		t.Errorf("live keys after a password change: %d (%v)", live, err)
	}
}

// doFrom is ta.do from another loopback source address.
func (ta *testApp) doFrom(src, method, path string, body any) response {
	ta.t.Helper()
	enc, err := json.Marshal(body)
	if err != nil {
		ta.t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}).DialContext}}
	defer c.CloseIdleConnections()
	req, err := http.NewRequest(method, ta.srv.URL+path, bytes.NewReader(enc))
	if err != nil {
		ta.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// TestLoginThrottleBySource: 26 accounts tried once each from one address
// used to pass unthrottled, while five failures locked any account (admin
// too) for everyone. Now the address trying is slowed down with growing
// delays (429 + Retry-After), and the owner logging in from elsewhere is not.
func TestLoginThrottleBySource(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)}
	ta := newTestAppWith(t, true, func(c *Config) { c.Now = clk.Now })
	const stranger, owner = "127.0.0.1", "127.0.0.2"
	first429 := 0
	for i := 1; i <= 26; i++ {
		res := ta.doFrom(stranger, "POST", "/api/v1/auth/login", loginBody(fmt.Sprintf("user%02d", i), "Guess-Number-1", ""))
		switch {
		case res.Status == 429:
			if first429 == 0 {
				first429 = i
			}
			if n, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || n < 1 {
				t.Errorf("attempt %d: 429 with Retry-After %q", i, res.Header.Get("Retry-After"))
			}
		case res.Status != 401 || first429 != 0:
			t.Errorf("attempt %d from %s: %d %s", i, stranger, res.Status, res.Body)
		}
	}
	if first429 == 0 || first429 > 11 {
		t.Fatalf("26 accounts tried once each from one address: first 429 at attempt %d", first429)
	}
	// Strangers hammering admin do not lock the owner out.
	for i := 0; i < 30; i++ {
		ta.doFrom(stranger, "POST", "/api/v1/auth/login", loginBody("admin", "Guess-Number-1", ""))
	}
	if res := ta.doFrom(owner, "POST", "/api/v1/auth/login", loginBody("admin", dbtest.DemoPassword, "")); res.Status != 200 {
		t.Errorf("owner from another address: %d %s", res.Status, res.Body)
	}
	// The delay grows: after waiting it out, the next failure waits twice as long.
	res := ta.doFrom(stranger, "POST", "/api/v1/auth/login", loginBody("admin", dbtest.DemoPassword, ""))
	wait, _ := strconv.Atoi(res.Header.Get("Retry-After"))
	if res.Status != 429 || wait < 1 {
		t.Fatalf("stranger's address: %d Retry-After %q", res.Status, res.Header.Get("Retry-After"))
	}
	clk.Add(time.Duration(wait) * time.Second)
	if res := ta.doFrom(stranger, "POST", "/api/v1/auth/login", loginBody("user99", "Guess-Number-1", "")); res.Status != 401 {
		t.Fatalf("after the wait: %d %s", res.Status, res.Body)
	}
	res = ta.doFrom(stranger, "POST", "/api/v1/auth/login", loginBody("user98", "Guess-Number-1", ""))
	if next, _ := strconv.Atoi(res.Header.Get("Retry-After")); res.Status != 429 || next != 2*wait {
		t.Errorf("next failure: %d Retry-After %q, want %d", res.Status, res.Header.Get("Retry-After"), 2*wait)
	}
	// The right password from the throttled address waits too (no oracle).
	if res := ta.doFrom(stranger, "POST", "/api/v1/auth/login", loginBody("admin", dbtest.DemoPassword, "")); res.Status != 429 {
		t.Errorf("right password from the throttled address: %d", res.Status)
	}
	clk.Add(16 * time.Minute)
	if res := ta.doFrom(stranger, "POST", "/api/v1/auth/login", loginBody("admin", dbtest.DemoPassword, "")); res.Status != 200 {
		t.Errorf("after the window: %d %s", res.Status, res.Body)
	}
}

// TestPasswordPolicy: 12345678, password and demo1234 used to be accepted
// (length alone). Now a new password must not be a common one and must be
// hard to guess (zxcvbn), refused with 422 naming the field.
func TestPasswordPolicy(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	create := func(pw string) response {
		return ta.do("POST", "/api/v1/users", tok, map[string]string{"username": "zhouliu", "name": "周六",
			"role": "worker", "password": pw}, nil)
	}
	for pw, reason := range map[string]string{
		"12345678":     "password_common",
		"password":     "password_common",
		"demo1234":     "password_common",
		"1234567890":   "password_common",
		"Password123":  "password_common",
		"short":        "password_too_short",
		"zhouliu2026":  "password_weak", // the username and a year
		"aaaaaaaaaaaa": "password_weak",
		"qwertyuiop[]": "password_weak",
	} {
		res := create(pw)
		var pj problemJSON
		res.decode(t, &pj)
		if res.Status != http.StatusUnprocessableEntity || len(pj.Errors) != 1 || pj.Errors[0].Field != "password" || pj.Reason != reason {
			t.Errorf("password %q: %d %s, want 422 %s on field password", pw, res.Status, res.Body, reason)
		}
	}
	var users int
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM users WHERE username LIKE 'zhou%'`).Scan(&users); err != nil || users != 0 {
		t.Errorf("%d users stored from refused requests (%v)", users, err)
	}
	if res := create("violet-harbour-tractor-57"); res.Status != 201 {
		t.Errorf("a strong passphrase: %d %s", res.Status, res.Body)
	}
}

// secondAdmin creates (once) and logs in a second admin, "admin2".
func secondAdmin(t *testing.T, ta *testApp) string {
	t.Helper()
	if _, err := ta.people.FindUserByUsername(t.Context(), "admin2"); err != nil {
		hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
		if err != nil {
			t.Fatal(err)
		}
		if err := ta.people.CreateUser(t.Context(), &people.User{Username: "admin2", Name: "第二管理员", Role: people.RoleAdmin, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	return ta.login("admin2")
}

// grantBySecondAdmin has admin (token tok) ask for perms for username and
// a second admin approve it.
func grantBySecondAdmin(t *testing.T, ta *testApp, tok, username string, perms ...string) {
	t.Helper()
	res := ta.do("PUT", "/api/v1/users/"+username+"/permissions", tok, map[string]any{"permissions": perms}, nil)
	var pr struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	res.decode(t, &pr)
	if res.Status != http.StatusAccepted || pr.Status != "pending" {
		t.Fatalf("grant request: %d %s", res.Status, res.Body)
	}
	res = ta.do("POST", fmt.Sprintf("/api/v1/permission-requests/%d/approve", pr.ID), secondAdmin(t, ta), nil, nil)
	res.decode(t, &pr)
	if res.Status != 200 || pr.Status != "approved" {
		t.Fatalf("approve: %d %s", res.Status, res.Body)
	}
}

// TestGrantNeedsSecondAdmin: an admin used to grant itself keyperson:unmask
// (PUT /api/v1/users/admin/permissions) and read every ID number. Now a
// sensitive grant is a pending request a second admin decides; the
// requester and the grantee cannot; request and decision are audited.
func TestGrantNeedsSecondAdmin(t *testing.T) {
	ta := newTestApp(t, true)
	admin := ta.login("admin")
	perms := func(username string) []string {
		var ps []string
		if err := ta.db.Pool.QueryRow(t.Context(), `SELECT permissions FROM users WHERE username = $1`, username).Scan(&ps); err != nil {
			t.Fatal(err)
		}
		return ps
	}
	res := ta.do("PUT", "/api/v1/users/admin/permissions", admin, map[string]any{"permissions": []string{"keyperson:unmask"}}, nil)
	var pr struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	res.decode(t, &pr)
	if res.Status != http.StatusAccepted || pr.Status != "pending" || len(perms("admin")) != 0 {
		t.Fatalf("self-grant: %d %s, permissions now %v", res.Status, res.Body, perms("admin"))
	}
	approve := fmt.Sprintf("/api/v1/permission-requests/%d/approve", pr.ID)
	res = ta.do("POST", approve, admin, nil, nil)
	var pj problemJSON
	res.decode(t, &pj)
	if res.Status != http.StatusForbidden || pj.Reason != "second_admin_required" || len(perms("admin")) != 0 {
		t.Errorf("self-approval: %d %s", res.Status, res.Body)
	}
	// Not even in the database: the decider cannot be the requester.
	if _, err := ta.db.Pool.Exec(t.Context(), `UPDATE permission_requests SET decided_by = requested_by, decided_at = now(), approved = true WHERE id = $1`, pr.ID); err == nil {
		t.Error("the database let the requester decide its own request")
	}
	admin2 := secondAdmin(t, ta)
	// A request for admin2 itself cannot be approved by admin2.
	res = ta.do("PUT", "/api/v1/users/admin2/permissions", admin, map[string]any{"permissions": []string{"keyperson:unmask"}}, nil)
	var pr2 struct{ ID int64 }
	res.decode(t, &pr2)
	if res := ta.do("POST", fmt.Sprintf("/api/v1/permission-requests/%d/approve", pr2.ID), admin2, nil, nil); res.Status != http.StatusForbidden {
		t.Errorf("grantee approves its own grant: %d %s", res.Status, res.Body)
	}
	res = ta.do("GET", "/api/v1/permission-requests?status=pending", admin2, nil, nil)
	if res.Status != 200 || !strings.Contains(string(res.Body), `"requested_by":"admin"`) {
		t.Errorf("pending requests: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", approve, admin2, nil, nil); res.Status != 200 || !slices.Equal(perms("admin"), []string{"keyperson:unmask"}) {
		t.Fatalf("second admin approves: %d %s, permissions %v", res.Status, res.Body, perms("admin"))
	}
	if res := ta.do("POST", approve, admin2, nil, nil); res.Status != http.StatusConflict {
		t.Errorf("approve twice: %d", res.Status)
	}
	if res := ta.do("POST", fmt.Sprintf("/api/v1/permission-requests/%d/reject", pr2.ID), ta.login(ownGrid), nil, nil); res.Status != http.StatusForbidden {
		t.Errorf("a worker decides: %d", res.Status)
	}
	// Removing a permission needs no second admin.
	if res := ta.do("PUT", "/api/v1/users/admin/permissions", admin, map[string]any{"permissions": []string{}}, nil); res.Status != 200 || len(perms("admin")) != 0 {
		t.Errorf("revoke: %d %s", res.Status, res.Body)
	}
	// Request and decision are in the audit log, by whom (written with
	// their change: the object is the route's, the answer's status 0).
	var asked, approved int
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT
		count(*) FILTER (WHERE actor = 'admin' AND route = '/api/v1/users/{username}/permissions' AND path = '/api/v1/users/admin/permissions'),
		count(*) FILTER (WHERE actor = 'admin2' AND route = '/api/v1/permission-requests/{id}/approve' AND path = $1)
		FROM audit_log`, fmt.Sprintf("/api/v1/permission-requests/%d/approve", pr.ID)).Scan(&asked, &approved); err != nil || asked == 0 || approved == 0 {
		t.Errorf("audit entries for request %d and approval %d (%v)", asked, approved, err)
	}
}

// TestConsoleSecondFactorLogin drives the console's login in Chromium: an
// admin without a second factor is led through enrolment (secret, code,
// recovery codes) into the console; the next login asks for a code.
func TestConsoleSecondFactorLogin(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)}
	ta := newAccountsApp(t, clk)
	// The code step answers 401 second_factor_required on purpose.
	ctx := browser(t, `status of 401`)
	cdpDo(t, ctx, "log in with the password",
		chromedp.Navigate(ta.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#password"), dbtest.DemoPassword),
		chromedp.Click(chromedp.CSS("#login-submit")),
	)
	secret := waitFor[string](t, ctx, "the enrolment screen", `(document.querySelector('#totp-secret') || {}).textContent || ''`)
	code, err := totp.GenerateCode(secret, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	cdpDo(t, ctx, "confirm the code",
		chromedp.SendKeys(chromedp.CSS("#totp-confirm-code"), code),
		chromedp.Click(chromedp.CSS("#totp-confirm")),
	)
	if n := waitFor[int](t, ctx, "the recovery codes", `document.querySelectorAll('#recovery-codes li').length`); n != 10 {
		t.Errorf("%d recovery codes shown", n)
	}
	cdpDo(t, ctx, "continue", chromedp.Click(chromedp.CSS("#totp-done")))
	waitFor[bool](t, ctx, "the console after enrolment", `window.__gridd && window.__gridd.ready === true`)

	clk.Add(30 * time.Second)
	cdpGet(t, ctx, "forget the session", chromedp.Evaluate[bool](`(sessionStorage.clear(), true)`))
	cdpDo(t, ctx, "log in again",
		chromedp.Navigate(ta.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#password"), dbtest.DemoPassword),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#totp-code")),
	)
	code, err = totp.GenerateCode(secret, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	cdpDo(t, ctx, "enter the code",
		chromedp.SendKeys(chromedp.CSS("#totp-code"), code),
		chromedp.Click(chromedp.CSS("#login-submit")),
	)
	waitFor[bool](t, ctx, "the console after the code", `window.__gridd && window.__gridd.ready === true`)
}
