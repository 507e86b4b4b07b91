package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests of the package share one headless chromium (Debian's):
// each test gets a tab in a browser context of its own (its own cookies,
// storage, service workers and permissions), and fails on any uncaught
// exception, unhandled promise rejection, console error or browser log
// error its pages produce.

var shared struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	os.Exit(code)
}

func sharedBrowser(t testing.TB) context.Context {
	t.Helper()
	shared.once.Do(func() {
		path := "/usr/bin/chromium"
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		}
		if _, err := os.Stat(path); err != nil {
			shared.err = err
			return
		}
		dir, err := os.MkdirTemp("", "gridd-chromium-")
		if err != nil {
			shared.err = err
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("enable-unsafe-swiftshader", true),
			chromedp.Flag("lang", "zh-CN"),
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(1366, 768),
		}
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(actx)
		shared.ctx = ctx
		shared.cancel = func() { cancel(); cancelA(); os.RemoveAll(dir) }
		shared.err = chromedp.Do(ctx)
	})
	if shared.err != nil {
		t.Fatalf("chromium is required for the browser tests (make deps-test installs it): %v", shared.err)
	}
	return shared.ctx
}

// browser returns a tab of the shared chromium in a new browser context,
// with a 1366×768 viewport. The test fails at its end if the tab saw an
// uncaught exception, an unhandled rejection, a console error or a browser
// log error — except messages matching one of allowed (regular
// expressions for errors the test provokes on purpose, e.g. a dropped
// connection).
func browser(t testing.TB, allowed ...string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(sharedBrowser(t), chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		cancel()
		t.Fatalf("open a tab: %v", err)
	}
	report := watchPage(ctx, allowed...)
	t.Cleanup(func() {
		time.Sleep(100 * time.Millisecond) // let the last events arrive
		cancel()
		allowedSeen, bad := report()
		for _, a := range allowedSeen {
			t.Logf("allowed browser error: %s", a)
		}
		if len(bad) > 0 {
			t.Errorf("the page had %d errors:\n%s", len(bad), strings.Join(bad, "\n"))
		}
	})
	return ctx
}

// watchPage records what a tab reports as going wrong: uncaught exceptions
// and unhandled promise rejections (runtime.EventExceptionThrown), console
// errors (runtime.EventConsoleAPICalled) and browser log errors such as a
// failed load (log.EventEntryAdded) — chromedp.Console merges the three.
// report, called once the tab is closed, returns the messages matching one
// of allowed and the others.
func watchPage(ctx context.Context, allowed ...string) (report func() (allowedSeen, bad []string)) {
	var allowedSeen, bad []string
	var allow []*regexp.Regexp
	for _, a := range allowed {
		allow = append(allow, regexp.MustCompile(a))
	}
	var mu sync.Mutex
	// Console subscribes when it is called, not when the range starts:
	// called here, before the caller navigates, so that no early message
	// (a console.error in an inline script) is lost.
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException {
				continue
			}
			text := m.String()
			if m.Exception != nil && m.Exception.Exception != nil && m.Exception.Exception.Description != "" {
				text += " " + m.Exception.Exception.Description
			}
			if m.URL != "" {
				text += " (" + m.URL + ")"
			}
			ok := false
			for _, re := range allow {
				ok = ok || re.MatchString(text)
			}
			mu.Lock()
			if ok {
				allowedSeen = append(allowedSeen, text)
			} else {
				bad = append(bad, text)
			}
			mu.Unlock()
		}
	}()
	return func() ([]string, []string) {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), allowedSeen...), append([]string(nil), bad...)
	}
}

// TestBrowserHarnessCatchesPageErrors holds the safety net of every browser
// test: a page that throws, leaves a promise rejected, logs an error and
// fails a load is reported four times, and an allowed message is not.
func TestBrowserHarnessCatchesPageErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>t</title><script>
setTimeout(() => { throw new Error('uncaught boom'); }, 0);
Promise.reject(new Error('rejected nope'));
console.error('logged oops');
console.error('allowed hush');
fetch('/missing').then(() => { document.title = 'done'; });
</script>`)
	}))
	t.Cleanup(srv.Close)
	tab, cancel := chromedp.NewContext(sharedBrowser(t), chromedp.WithNewBrowserContext())
	report := watchPage(tab, `allowed hush`)
	cdpDo(t, tab, "open the page", chromedp.Navigate(srv.URL+"/"))
	waitFor[bool](t, tab, "the page's fetch", `document.title === 'done'`)
	time.Sleep(300 * time.Millisecond)
	cancel()
	allowedSeen, bad := report()
	all := strings.Join(bad, "\n")
	for _, want := range []string{"uncaught boom", "rejected nope", "logged oops", "404"} {
		if !strings.Contains(all, want) {
			t.Errorf("the harness missed %q; it saw:\n%s", want, all)
		}
	}
	if len(allowedSeen) != 1 || strings.Contains(all, "allowed hush") {
		t.Errorf("allowed %v, reported %v", allowedSeen, bad)
	}
}
