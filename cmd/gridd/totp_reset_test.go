package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/pquerna/otp/totp"
)

// enrolled logs username in, enrols and confirms a TOTP factor and returns
// a full session's token and the secret (clk moves on a step after).
func enrolled(t *testing.T, ta *testApp, clk *testClock, username string) (string, string) {
	t.Helper()
	var sess struct {
		Token string `json:"token"`
	}
	res := ta.do("POST", "/api/v1/auth/login", "", loginBody(username, dbtest.DemoPassword, ""), nil)
	res.decode(t, &sess)
	if res.Status != 200 {
		t.Fatalf("%s login: %d %s", username, res.Status, res.Body)
	}
	var enr struct {
		Secret string `json:"secret"`
	}
	res = ta.do("POST", "/api/v1/auth/totp", sess.Token, nil, nil)
	res.decode(t, &enr)
	if res.Status != 200 {
		t.Fatalf("%s enrol: %d %s", username, res.Status, res.Body)
	}
	if res = ta.do("POST", "/api/v1/auth/totp/confirm", sess.Token, map[string]string{"code": totpCode(t, enr.Secret, clk)}, nil); res.Status != 200 {
		t.Fatalf("%s confirm: %d %s", username, res.Status, res.Body)
	}
	clk.Add(30 * time.Second)
	return sess.Token, enr.Secret
}

func totpCode(t *testing.T, secret string, clk *testClock) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSecondFactorResetAndDisable: an admin restarts another user's
// enrolment (audited; the user's sessions end and it must enrol at its next
// login, even in a role for which the factor is optional); a user for whom
// the factor is optional turns it off with a current code — not with a
// used, wrong or recovery code — and a user whose role requires it cannot.
func TestSecondFactorResetAndDisable(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)}
	ta := newAccountsApp(t, clk)
	worker := ownGrid
	wTok, wSecret := enrolled(t, ta, clk, worker)

	// Turning it off: a recovery code or a malformed code is 400, a wrong
	// or replayed code 422; a current one 204.
	if res := ta.do("POST", "/api/v1/auth/totp/disable", wTok, map[string]string{"code": "abcd-efgh-ijkl-mnop"}, nil); res.Status != http.StatusBadRequest {
		t.Errorf("disable with a recovery code: %d %s", res.Status, res.Body)
	}
	used := totpCode(t, wSecret, clk)
	if res := ta.do("POST", "/api/v1/auth/login", "", loginBody(worker, dbtest.DemoPassword, used), nil); res.Status != 200 {
		t.Fatalf("worker login with a code: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/auth/totp/disable", wTok, map[string]string{"code": used}, nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("disable with a used code: %d %s", res.Status, res.Body)
	}
	clk.Add(30 * time.Second)
	c := []byte(totpCode(t, wSecret, clk))
	c[0] = '0' + (c[0]-'0'+5)%10
	if res := ta.do("POST", "/api/v1/auth/totp/disable", wTok, map[string]string{"code": string(c)}, nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("disable with a wrong code: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/auth/totp/disable", wTok, map[string]string{"code": totpCode(t, wSecret, clk)}, nil); res.Status != http.StatusNoContent {
		t.Fatalf("disable with a current code: %d %s", res.Status, res.Body)
	}
	clk.Add(30 * time.Second)
	if res := ta.do("POST", "/api/v1/auth/totp/disable", wTok, map[string]string{"code": totpCode(t, wSecret, clk)}, nil); res.Status != http.StatusConflict {
		t.Errorf("disable twice: %d %s", res.Status, res.Body)
	}
	var sess struct {
		Token    string `json:"token"`
		Required bool   `json:"second_factor_enrolment_required"`
	}
	res := ta.do("POST", "/api/v1/auth/login", "", loginBody(worker, dbtest.DemoPassword, ""), nil)
	res.decode(t, &sess)
	if res.Status != 200 || sess.Required {
		t.Fatalf("worker password-only after turning the factor off: %d %s", res.Status, res.Body)
	}
	wTok = sess.Token

	// A role that requires the factor cannot turn it off.
	cTok, cSecret := enrolled(t, ta, clk, "center")
	res = ta.do("POST", "/api/v1/auth/totp/disable", cTok, map[string]string{"code": totpCode(t, cSecret, clk)}, nil)
	var pj problemJSON
	res.decode(t, &pj)
	if res.Status != http.StatusForbidden || pj.Reason != "second_factor_required" {
		t.Errorf("center disables its factor: %d %s", res.Status, res.Body)
	}
	// Only an admin restarts someone's enrolment.
	if res := ta.do("POST", "/api/v1/users/"+worker+"/second-factor/reset", cTok, nil, nil); res.Status != http.StatusForbidden {
		t.Errorf("center resets a worker's factor: %d %s", res.Status, res.Body)
	}

	aTok, _ := enrolled(t, ta, clk, "admin")
	since := time.Now()
	if res := ta.do("POST", "/api/v1/users/"+worker+"/second-factor/reset", aTok, nil, nil); res.Status != http.StatusNoContent {
		t.Fatalf("admin resets the worker's factor: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/users/nobody-here/second-factor/reset", aTok, nil, nil); res.Status != http.StatusNotFound {
		t.Errorf("reset of an unknown user: %d %s", res.Status, res.Body)
	}
	within(t, "worker session after the admin's reset", since, wantStatus(ta, "/api/v1/auth/me", wTok, 401))
	// Written with the change, in its transaction (status 0: before the answer).
	var n int
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE actor = 'admin' AND action = 'write'
AND route = '/api/v1/users/{username}/second-factor/reset' AND object = $1`, "user:"+worker+":second-factor-reset").Scan(&n); err != nil || n != 1 {
		t.Errorf("audit entries of the reset: %d (%v), want 1", n, err)
	}
	// The worker (factor optional) must enrol at its next login, and cannot
	// turn the demand off.
	sess.Required = false
	res = ta.do("POST", "/api/v1/auth/login", "", loginBody(worker, dbtest.DemoPassword, ""), nil)
	res.decode(t, &sess)
	if res.Status != 200 || !sess.Required {
		t.Fatalf("worker login after the reset: %d %s, want an enrol-only session", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/auth/me", sess.Token, nil, nil); res.Status != http.StatusForbidden {
		t.Errorf("enrol-only worker session reads: %d", res.Status)
	}
	// Enrolling again satisfies the demand: the next login needs the code.
	var enr struct {
		Secret string `json:"secret"`
	}
	res = ta.do("POST", "/api/v1/auth/totp", sess.Token, nil, nil)
	res.decode(t, &enr)
	if res = ta.do("POST", "/api/v1/auth/totp/confirm", sess.Token, map[string]string{"code": totpCode(t, enr.Secret, clk)}, nil); res.Status != 200 {
		t.Fatalf("worker re-enrols: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/auth/login", "", loginBody(worker, dbtest.DemoPassword, ""), nil); res.Status != 401 {
		t.Errorf("worker password-only after re-enrolling: %d %s", res.Status, res.Body)
	}
}
