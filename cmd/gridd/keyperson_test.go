package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/registers"
)

// TestKeyPersonProtection: a worker cannot read another grid's key
// persons; unmasking needs the permission and a reason and is audited;
// the protected columns hold ciphertext; responses are not cacheable.
func TestKeyPersonProtection(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	admin := ta.login("admin")
	lon, lat := regPointIn(t, ta, otherGrid, 0)
	idNumber := validID("37010219900307421")
	diagnosis := "精神分裂症，规律服药"
	notes := "2026年10月走访，情绪稳定"
	res := ta.do("POST", "/api/v1/keypersons", admin, map[string]any{"category": "severe_mental_illness", "name": "钱七", "address": "四号院",
		"lon": lon, "lat": lat, "responsible": otherGrid, "id_number": idNumber, "diagnosis": diagnosis, "case_notes": notes}, nil)
	if res.Status != 201 {
		t.Fatalf("create key person: %d %s", res.Status, res.Body)
	}
	var kp struct {
		ID       int64
		GridCode string `json:"grid_code"`
		IDNumber string `json:"id_number"`
		Masked   bool
	}
	res.decode(t, &kp)
	if kp.GridCode != otherGrid || !kp.Masked || kp.IDNumber != idNumber[:4]+"**********"+idNumber[14:] {
		t.Errorf("created file: %+v", kp)
	}
	if bytes.Contains(res.Body, []byte(diagnosis)) || bytes.Contains(res.Body, []byte(idNumber)) {
		t.Errorf("the create response leaks protected fields: %s", res.Body)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("create: Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	path := fmt.Sprintf("/api/v1/keypersons/%d", kp.ID)

	// The raw columns hold ciphertext that opens only with the key and its row.
	var idEnc, diagEnc []byte
	var mask string
	if err := ta.db.Pool.QueryRow(ctx, `SELECT id_number_enc, diagnosis_enc, id_number_mask FROM key_persons WHERE id = $1`, kp.ID).Scan(&idEnc, &diagEnc, &mask); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(idEnc, []byte(idNumber)) || bytes.Contains(diagEnc, []byte(diagnosis)) || bytes.Contains(idEnc, []byte(idNumber[6:14])) {
		t.Fatalf("protected columns hold plaintext")
	}
	key, _ := hex.DecodeString(testDataKey)
	ciph, _ := registers.NewCipher(key)
	if got, err := ciph.Open(idEnc, registers.AD("key_persons", kp.ID, "id_number")); err != nil || got != idNumber {
		t.Errorf("ciphertext does not open with the test key: %q %v", got, err)
	}
	if _, err := ciph.Open(idEnc, registers.AD("key_persons", kp.ID+1, "id_number")); err == nil {
		t.Errorf("ciphertext opens under another row's associated data")
	}
	other, _ := registers.NewCipher(bytes.Repeat([]byte{7}, 32))
	if _, err := other.Open(idEnc, registers.AD("key_persons", kp.ID, "id_number")); err == nil {
		t.Errorf("ciphertext opens with another key")
	}

	// A worker of another grid: 403 on the file, its visits and its unmasking; not in its list.
	stranger := ta.login(ownGrid)
	for _, p := range []string{path, path + "/visits", path + "/unmasked?reason=" + url.QueryEscape("核实身份信息")} {
		res := ta.do("GET", p, stranger, nil, nil)
		if res.Status != 403 {
			t.Errorf("worker of %s GET %s: %d, want 403", ownGrid, p, res.Status)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q on the refusal", p, res.Header.Get("Cache-Control"))
		}
	}
	if res := ta.do("POST", path+"/visits", stranger, map[string]string{"visited_on": "2026-11-20", "notes": "x"}, nil); res.Status != 403 {
		t.Errorf("stranger records a visit: %d", res.Status)
	}
	var list struct{ Items []struct{ ID int64 } }
	ta.do("GET", "/api/v1/keypersons", stranger, nil, nil).decode(t, &list)
	if len(list.Items) != 0 {
		t.Errorf("stranger lists %d key persons", len(list.Items))
	}
	// Departments and viewers never read key persons.
	if res := ta.do("GET", path, ta.login("dept-hwsuo"), nil, nil); res.Status != 403 {
		t.Errorf("department reads a key person: %d", res.Status)
	}

	// The grid's own worker reads the masked file and records a visit.
	own := ta.login(otherGrid)
	res = ta.do("GET", path, own, nil, nil)
	if res.Status != 200 || bytes.Contains(res.Body, []byte(idNumber)) || bytes.Contains(res.Body, []byte(diagnosis)) {
		t.Fatalf("own worker, masked read: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", path+"/visits", own, map[string]string{"visited_on": "2026-11-20", "notes": notes}, nil); res.Status != 201 {
		t.Fatalf("visit: %d %s", res.Status, res.Body)
	}
	res = ta.do("GET", path+"/visits", own, nil, nil)
	if res.Status != 200 || bytes.Contains(res.Body, []byte(notes)) || !bytes.Contains(res.Body, []byte(`"notes":"***"`)) {
		t.Errorf("visit log should be masked: %d %s", res.Status, res.Body)
	}

	// Unmasking without the permission → 403, audited as a refused unmask
	// (status 403, nothing decrypted).
	unmask := path + "/unmasked?reason=" + url.QueryEscape("核实身份信息，办理救助")
	res = ta.do("GET", unmask, admin, nil, nil)
	if res.Status != 403 || !bytes.Contains(res.Body, []byte("permission_required")) {
		t.Fatalf("unmask without permission: %d %s", res.Status, res.Body)
	}
	if es, _ := ta.auditLog.Store.FindEntries(ctx, auditlog.Filter{Action: auditlog.ActionUnmask}); len(es) != 1 || es[0].Status != 403 || es[0].Actor != "admin" {
		t.Fatalf("a refused unmask: entries %+v, want one with status 403", es)
	}
	// Only an admin grants permissions.
	if res := ta.do("PUT", "/api/v1/users/center/permissions", ta.login("center"), map[string]any{"permissions": []string{registers.PermUnmask}}, nil); res.Status != 403 {
		t.Errorf("center grants permissions: %d", res.Status)
	}
	if res := ta.do("PUT", "/api/v1/users/admin/permissions", admin, map[string]any{"permissions": []string{"everything"}}, nil); res.Status != 400 {
		t.Errorf("unknown permission: %d", res.Status)
	}
	// The grant takes a second admin (accounts_test.go has the rest).
	grantBySecondAdmin(t, ta, admin, "admin", registers.PermUnmask)
	if res := ta.do("GET", path+"/unmasked", admin, nil, nil); res.Status != 400 || !bytes.Contains(res.Body, []byte("reason_required")) {
		t.Errorf("unmask without a reason: %d %s", res.Status, res.Body)
	}
	res = ta.do("GET", unmask, admin, nil, nil)
	if res.Status != 200 {
		t.Fatalf("unmask: %d %s", res.Status, res.Body)
	}
	if !bytes.Contains(res.Body, []byte(idNumber)) || !bytes.Contains(res.Body, []byte(diagnosis)) || !bytes.Contains(res.Body, []byte(notes)) {
		t.Errorf("unmasked file lacks the plaintext: %s", res.Body)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("unmask: Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	es, err := ta.auditLog.Store.FindEntries(ctx, auditlog.Filter{Action: auditlog.ActionUnmask})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Status != 200 || es[0].Actor != "admin" || es[0].Object != fmt.Sprintf("keyperson:%d", kp.ID) || es[0].Reason != "核实身份信息，办理救助" || es[0].GridCode != otherGrid {
		t.Fatalf("unmask audit entries: %+v", es)
	}
	// The audit log itself never holds the protected values.
	var leaked int
	if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE position($1 in concat_ws(' ', actor, path, object, reason)) > 0
		OR position($2 in concat_ws(' ', actor, path, object, reason)) > 0`, idNumber, diagnosis).Scan(&leaked); err != nil {
		t.Fatal(err)
	}
	if leaked != 0 {
		t.Errorf("%d audit entries contain protected values", leaked)
	}
	if rep, _ := auditlog.Verify(ctx, ta.auditLog.Store, ""); !rep.OK {
		t.Errorf("audit chain: %+v", rep)
	}
	if !strings.Contains(mask, "**********") {
		t.Errorf("stored mask %q", mask)
	}

	// The grid's worker updates the case notes and hands the file to the
	// grid head; the notes stay sealed and open to the new value.
	newNotes := "11月复查，已就业"
	res = ta.do("PATCH", path, own, map[string]any{"case_notes": newNotes, "responsible": "admin", "risk_level": "high"}, nil)
	if res.Status != 200 || bytes.Contains(res.Body, []byte(newNotes)) {
		t.Fatalf("patch: %d %s", res.Status, res.Body)
	}
	var notesEnc []byte
	var respID int64
	if err := ta.db.Pool.QueryRow(ctx, `SELECT case_notes_enc, responsible_user_id FROM key_persons WHERE id = $1`, kp.ID).Scan(&notesEnc, &respID); err != nil {
		t.Fatal(err)
	}
	if got, err := ciph.Open(notesEnc, registers.AD("key_persons", kp.ID, "case_notes")); err != nil || got != newNotes {
		t.Errorf("patched case notes: %q %v", got, err)
	}
	if u, _ := ta.people.FindUserByUsername(ctx, "admin"); u.ID != respID {
		t.Errorf("responsible user %d, want admin %d", respID, u.ID)
	}
	if res := ta.do("PATCH", path, stranger, map[string]any{"risk_level": "low"}, nil); res.Status != 403 {
		t.Errorf("stranger patches: %d", res.Status)
	}
	if res := ta.do("PATCH", path, own, map[string]any{"id_number": "123"}, nil); res.Status != 400 {
		t.Errorf("patch with a bad ID number: %d", res.Status)
	}

	// The audit log is readable by admins only and shows the unmask with its reason.
	res = ta.do("GET", "/api/v1/audit-log?action=unmask", admin, nil, nil)
	if res.Status != 200 || !bytes.Contains(res.Body, []byte("核实身份信息，办理救助")) || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("audit log read: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/audit-log", ta.login("center"), nil, nil); res.Status != 403 {
		t.Errorf("center reads the audit log: %d", res.Status)
	}
}

// TestDataKey: `gridd migrate` or `serve` with no key configured used to
// write a new ./.gridd/data.key silently, and nothing checked a key
// against stored data. Now the key comes from GRIDD_DATA_KEY, else the
// configured key file; only `gridd dev` generates one (mode 0600); and a
// key other than the database's (its stored check value) refuses to start.
func TestDataKey(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	t.Setenv("GRIDD_DATA_KEY", "")
	t.Setenv("GRIDD_KEY_FILE", "")
	if _, err := dataKey(Config{DevDir: dir}, log); err == nil || !strings.Contains(err.Error(), "no data key configured") {
		t.Fatalf("no key configured outside gridd dev: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data.key")); err == nil {
		t.Fatal("a key file was written without gridd dev")
	}
	url := dbtest.URL(t, dbtest.New(t))
	if err := run(context.Background(), []string{"migrate", "--database-url", url, "--dir", dir}); err == nil || !strings.Contains(err.Error(), "no data key configured") {
		t.Errorf("gridd migrate without a key: %v", err)
	}
	k1, err := dataKey(Config{DevDir: dir, DevDataKey: true}, log)
	if err != nil || len(k1) != 32 {
		t.Fatalf("gridd dev's generated key: %v (%d bytes)", err, len(k1))
	}
	st, err := os.Stat(filepath.Join(dir, "data.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	k2, err := dataKey(Config{DevDir: dir, DevDataKey: true}, log)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("the key file was not reused")
	}
	if k3, err := dataKey(Config{DevDir: t.TempDir(), DataKeyFile: filepath.Join(dir, "data.key")}, log); err != nil || !bytes.Equal(k1, k3) {
		t.Fatalf("--data-key-file: %v", err)
	}
	t.Setenv("GRIDD_KEY_FILE", filepath.Join(dir, "data.key"))
	if k3, err := dataKey(Config{DevDir: t.TempDir()}, log); err != nil || !bytes.Equal(k1, k3) {
		t.Fatalf("GRIDD_KEY_FILE: %v", err)
	}
	t.Setenv("GRIDD_DATA_KEY", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)))
	if k4, err := dataKey(Config{DevDir: dir}, log); err != nil || !bytes.Equal(k4, bytes.Repeat([]byte{9}, 32)) {
		t.Fatalf("GRIDD_DATA_KEY base64: %v", err)
	}
	t.Setenv("GRIDD_DATA_KEY", "too-short")
	if _, err := dataKey(Config{DevDir: dir}, log); err == nil {
		t.Fatalf("a short key was accepted")
	}

	// The first migrate stores the key check value; another key is refused.
	t.Setenv("GRIDD_KEY_FILE", "")
	t.Setenv("GRIDD_DATA_KEY", testDataKey)
	if err := run(context.Background(), []string{"migrate", "--database-url", url}); err != nil {
		t.Fatalf("migrate with a key: %v", err)
	}
	if err := run(context.Background(), []string{"migrate", "--database-url", url}); err != nil {
		t.Fatalf("migrate again with the same key: %v", err)
	}
	t.Setenv("GRIDD_DATA_KEY", strings.Repeat("ab", 32))
	err = run(context.Background(), []string{"migrate", "--database-url", url})
	if err == nil || !strings.Contains(err.Error(), "key check value mismatch") {
		t.Errorf("migrate with another key: %v", err)
	}
	c := Config{DatabaseURL: url, StatementTimeout: time.Minute, Addr: "127.0.0.1:0"}
	a, err := openApp(context.Background(), c, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if err := a.serve(context.Background(), c); err == nil || !strings.Contains(err.Error(), "key check value mismatch") {
		t.Errorf("serve with another key: %v", err)
	}
}

// TestKeyPersonIdentitySealed: a key person's name, address and category
// (severe_mental_illness, drug_user) used to be plaintext columns. Now they
// are sealed at rest like the ID number, the console still filters by
// category through a blind index, and files stored in plaintext before
// are sealed when gridd migrates or starts.
func TestKeyPersonIdentitySealed(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	admin := ta.login("admin")
	lon, lat := regPointIn(t, ta, otherGrid, 0)
	const name, address = "孙八号", "幸福路十七号院"
	idNumber := validID("37010219850101123")
	res := ta.do("POST", "/api/v1/keypersons", admin, map[string]any{"category": "drug_user", "name": name, "address": address,
		"lon": lon, "lat": lat, "responsible": otherGrid, "id_number": idNumber}, nil)
	if res.Status != 201 {
		t.Fatalf("create key person: %d %s", res.Status, res.Body)
	}
	var kp struct{ ID int64 }
	res.decode(t, &kp)
	var row string
	if err := ta.db.Pool.QueryRow(ctx, `SELECT concat_ws('|', name, address, category, encode(name_enc, 'escape'), encode(address_enc, 'escape'),
		encode(category_enc, 'escape'), encode(category_idx, 'escape')) FROM key_persons WHERE id = $1`, kp.ID).Scan(&row); err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{name, address, "drug_user"} {
		if strings.Contains(row, plain) {
			t.Errorf("the stored row holds %q in clear: %s", plain, row)
		}
	}
	var total int
	if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FROM key_persons WHERE category IS NOT NULL OR name IS NOT NULL OR address IS NOT NULL`).Scan(&total); err != nil || total != 0 {
		t.Errorf("%d files with a plaintext identity (%v)", total, err)
	}
	// Reads open it; the category filter uses the blind index.
	res = ta.do("GET", fmt.Sprintf("/api/v1/keypersons/%d", kp.ID), admin, nil, nil)
	if res.Status != 200 || !bytes.Contains(res.Body, []byte(`"category":"drug_user"`)) || !bytes.Contains(res.Body, []byte(address)) {
		t.Errorf("read: %d %s", res.Status, res.Body)
	}
	count := func(category string) int {
		var l struct {
			Items []struct {
				ID       int64
				Category string
			} `json:"items"`
		}
		res := ta.do("GET", "/api/v1/keypersons?limit=1000&category="+category, admin, nil, nil)
		res.decode(t, &l)
		for _, k := range l.Items {
			if k.Category != category {
				t.Errorf("filter %s returned a %s file", category, k.Category)
			}
		}
		return len(l.Items)
	}
	var want int
	if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FROM key_persons WHERE category_idx = (SELECT category_idx FROM key_persons WHERE id = $1)`, kp.ID).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if got := count("drug_user"); got != want || got == 0 {
		t.Errorf("drug_user files: %d, want %d", got, want)
	}
	// Finding a file by ID number goes through its blind index.
	byID := func() []int64 {
		var l struct{ Items []struct{ ID int64 } }
		res := ta.do("GET", "/api/v1/keypersons?id_number="+idNumber, admin, nil, nil)
		res.decode(t, &l)
		var ids []int64
		for _, k := range l.Items {
			ids = append(ids, k.ID)
		}
		return ids
	}
	if ids := byID(); len(ids) != 1 || ids[0] != kp.ID {
		t.Errorf("by ID number: %v, want [%d]", ids, kp.ID)
	}
	var leaked int
	if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE position($1 in concat_ws(' ', path, object, reason)) > 0`, idNumber).Scan(&leaked); err != nil || leaked != 0 {
		t.Errorf("%d audit entries hold the ID number searched for (%v)", leaked, err)
	}
	// A file stored in plaintext before this release is sealed at start.
	if _, err := ta.db.Pool.Exec(ctx, `UPDATE key_persons SET name = $2, address = $3, category = 'drug_user', name_enc = NULL, address_enc = NULL,
		category_enc = NULL, category_idx = NULL, id_number_idx = NULL WHERE id = $1`, kp.ID, name, address); err != nil {
		t.Fatal(err)
	}
	if err := ta.checkDataKey(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FROM key_persons WHERE category IS NOT NULL OR name IS NOT NULL OR address IS NOT NULL OR name_enc IS NULL`).Scan(&total); err != nil || total != 0 {
		t.Errorf("%d files left in plaintext after the start (%v)", total, err)
	}
	if got := count("drug_user"); got != want {
		t.Errorf("drug_user files after sealing: %d, want %d", got, want)
	}
	if ids := byID(); len(ids) != 1 || ids[0] != kp.ID {
		t.Errorf("by ID number after sealing: %v, want [%d]", ids, kp.ID)
	}
}
