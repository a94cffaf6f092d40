package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/notify"
	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
)

const hookSecret = "hook-secret-9f8e7d6c5b4a"

func TestSubscriptionsCommand(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "server.db")
	t.Setenv("VIGIL_SERVER", "")
	t.Setenv("VIGIL_TOKEN", "")
	t.Setenv("HOOK_SECRET", hookSecret)
	srvURL, _, _ := startServe(t, "--db", dsn, "--no-cache", "--workers", "0", "--dev", "--allow-webhook-hosts", "hooks.example.com,127.0.0.1:9")
	srv := []string{"--server", srvURL}

	// Subscriptions 1 and 2 are made before the table runs.
	for _, args := range [][]string{
		{"subscriptions", "add", "--url", "https://hooks.example.com/vigil", "--secret-env", "HOOK_SECRET", "--events", "finding.new",
			"--min-severity", "high", "--repository", "registry.example/*", "--kev-only", "--name", "team", "-f", "json"},
		{"subscriptions", "add", "--url", "http://127.0.0.1:9/slack", "--kind", "slack"},
	} {
		if code, out, errOut := runCLI(t, append(args, srv...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s %s", args, code, out, errOut)
		}
	}
	recordEvents(t, dsn, 1, 3) // ev-2 is KEV: 1 delivery to subscription 1, 3 to 2

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		wantNot  []string
	}{
		{name: "list", args: []string{"subscriptions", "list"},
			want: []string{"1   team", "cloudevents", "https://hooks.example.com/vigil", "yes", "finding.new >=high registry.example/* KEV", "enabled", "2   127.0.0.1:9", "slack"}},
		{name: "list json", args: []string{"subscriptions", "list", "-f", "json"}, want: []string{`"hasSecret": true`, `"kevOnly": true`}},
		{name: "deliveries", args: []string{"subscriptions", "deliveries"}, want: []string{"finding.new", "pending"}},
		{name: "deliveries of one", args: []string{"subscriptions", "deliveries", "--subscription", "1", "-f", "json"},
			want: []string{`"subscription": 1`, `"eventId": "ev-2"`}, wantNot: []string{`"subscription": 2`, `"eventId": "ev-1"`}},
		{name: "no dead deliveries", args: []string{"subscriptions", "deliveries", "--state", "dead"}, want: []string{"No deliveries."}},
		{name: "bad state", args: []string{"subscriptions", "deliveries", "--state", "lost"}, wantCode: 2, want: []string{"--state"}},
		{name: "redrive", args: []string{"subscriptions", "redrive", "1"}, want: []string{"0 dead deliveries made pending again."}},
		{name: "redrive nothing", args: []string{"subscriptions", "redrive"}, wantCode: 2, want: []string{"name a subscription"}},
		{name: "redrive unknown", args: []string{"subscriptions", "redrive", "99"}, wantCode: 2, want: []string{"404"}},
		{name: "disable", args: []string{"subscriptions", "disable", "2"}, want: []string{"disabled: disabled through the API"}},
		{name: "enable", args: []string{"subscriptions", "enable", "2"}, want: []string{"enabled"}},
		{name: "host not allowed", args: []string{"subscriptions", "add", "--url", "https://evil.example/"}, wantCode: 2, want: []string{"422", "allow-webhook-hosts"}},
		{name: "loopback not listed", args: []string{"subscriptions", "add", "--url", "http://127.0.0.1:10/"}, wantCode: 2, want: []string{"422"}},
		{name: "bad URL", args: []string{"subscriptions", "add", "--url", "ftp://hooks.example.com/"}, wantCode: 2, want: []string{"400", "http or https"}},
		{name: "no URL", args: []string{"subscriptions", "add"}, wantCode: 2, want: []string{"--url"}},
		{name: "unset secret variable", args: []string{"subscriptions", "add", "--url", "https://hooks.example.com/", "--secret-env", "NO_SUCH_VARIABLE_X"}, wantCode: 2, want: []string{"NO_SUCH_VARIABLE_X"}},
		{name: "bad id", args: []string{"subscriptions", "rm", "x"}, wantCode: 2, want: []string{"positive integer"}},
		{name: "rm unknown", args: []string{"subscriptions", "rm", "99"}, wantCode: 2, want: []string{"404"}},
		{name: "reassess without workers", args: []string{"reassess"}, wantCode: 2, want: []string{"503", "no workers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append(tt.args, srv...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			text := out
			if code != 0 {
				text = errOut
			}
			if strings.Contains(out+errOut, hookSecret) {
				t.Errorf("the output shows the secret:\n%s%s", out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(text, w) {
					t.Errorf("output holds %q:\n%s", w, text)
				}
			}
		})
	}

	if code, _, errOut := runCLI(t, append([]string{"subscriptions", "rm", "1"}, srv...)...); code != 0 || !strings.Contains(errOut, "Subscription 1 deleted.") {
		t.Fatalf("rm 1: exit %d: %s", code, errOut)
	}
	code, out, errOut := runCLI(t, append([]string{"subscriptions", "list", "-f", "json"}, srv...)...)
	var list api.SubscriptionList
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Subscriptions) != 1 || list.Subscriptions[0].ID != 2 {
		t.Errorf("after rm 1: exit %d: %s %s", code, out, errOut)
	}
}

// receiver is a webhook receiver: it verifies each delivery's signature
// and counts the deliveries of each idempotency key.
type receiver struct {
	mu     sync.Mutex
	byKey  map[string]int
	events []notify.CloudEvent
	bad    []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := notify.Verify(hookSecret, r.Header.Get(notify.SignatureHeader), body, 5*time.Minute, time.Now()); err != nil {
		rc.bad = append(rc.bad, fmt.Sprintf("signature: %v", err))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ce notify.CloudEvent
	if err := json.Unmarshal(body, &ce); err != nil {
		rc.bad = append(rc.bad, fmt.Sprintf("body: %v: %s", err, body))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key := r.Header.Get(notify.IdempotencyKeyHeader)
	if key != ce.ID {
		rc.bad = append(rc.bad, fmt.Sprintf("Idempotency-Key %q, CloudEvent id %q", key, ce.ID))
	}
	rc.byKey[key]++
	rc.events = append(rc.events, ce)
	w.WriteHeader(http.StatusNoContent)
}

// TestWebhookEndToEnd subscribes a receiver on 127.0.0.1 through the CLI
// to a real vigil serve, updates the vulnerability database under it, and
// checks the receiver gets the finding.new, signed, once.
func TestWebhookEndToEnd(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "server.db")
	vdb := filepath.Join(dir, "vuln.db")
	writeVulnDB(t, vdb, testAdvisories[1]) // curl only: the rootfs is clean
	t.Setenv("VIGIL_SERVER", "")
	t.Setenv("VIGIL_DB", "")
	t.Setenv("VIGIL_TOKEN", "")
	t.Setenv("HOOK_SECRET", hookSecret)
	rc := &receiver{byKey: map[string]int{}}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	hookHost := strings.TrimPrefix(hook.URL, "http://")

	srvURL, serveLog, stop := startServe(t, "--db", dsn, "--vuln-db", vdb, "--no-cache", "--workers", "1", "--update-interval", "0",
		"--dev", "--allow-webhook-hosts", hookHost)
	srv := []string{"--server", srvURL}
	if code, out, errOut := runCLI(t, append([]string{"subscriptions", "add", "--url", hook.URL + "/hook", "--secret-env", "HOOK_SECRET",
		"--events", "finding.new", "--min-severity", "high"}, srv...)...); code != 0 {
		t.Fatalf("subscriptions add: exit %d: %s %s", code, out, errOut)
	}

	sbomFile := filepath.Join(dir, "rootfs.cdx.json")
	if code, _, errOut := runCLI(t, "sbom", "dir:"+dpkgRootfs, "-f", "cyclonedx-json", "-o", sbomFile, "--no-cache"); code != 0 {
		t.Fatalf("sbom: %s", errOut)
	}
	code, out, errOut := runCLI(t, append([]string{"images", "add", "--sbom", sbomFile, "--name", "registry.example/team/app:1", "--wait", "-f", "json"}, srv...)...)
	var im api.Image
	if code != 0 || json.Unmarshal([]byte(out), &im) != nil || im.Assessed == nil {
		t.Fatalf("images add --sbom: exit %d: %s %s", code, out, errOut)
	}

	writeVulnDB(t, vdb, testAdvisories...) // the openssl advisory arrives

	deadline := time.Now().Add(60 * time.Second)
	for {
		rc.mu.Lock()
		n := len(rc.events)
		rc.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivery within 60 s; server:\n%s", serveLog)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A full re-assessment finds nothing new: no second event, no second
	// delivery. Then the delivery must be recorded delivered.
	code, out, errOut = runCLI(t, append([]string{"reassess", "--all", "-f", "json"}, srv...)...)
	var ra api.ReassessResponse
	if code != 0 || json.Unmarshal([]byte(out), &ra) != nil {
		t.Fatalf("reassess --all: exit %d: %s %s", code, out, errOut)
	}
	if ra.Events != 0 || ra.Packages == 0 {
		t.Errorf("reassess --all after the update: %+v, want packages matched and no events", ra)
	}
	var ds api.DeliveryList
	for {
		code, out, errOut := runCLI(t, append([]string{"subscriptions", "deliveries", "-f", "json"}, srv...)...)
		if code != 0 || json.Unmarshal([]byte(out), &ds) != nil {
			t.Fatalf("deliveries: exit %d: %s %s", code, out, errOut)
		}
		if len(ds.Deliveries) > 0 && ds.Deliveries[0].State == store.DeliveryDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries not recorded delivered: %+v", ds.Deliveries)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve stopped with %d:\n%s", code, serveLog)
	}

	if strings.Contains(serveLog.String(), hookSecret) {
		t.Error("the server's log shows the webhook secret")
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, b := range rc.bad {
		t.Error(b)
	}
	if len(ds.Deliveries) != 1 || ds.Deliveries[0].Attempts != 1 {
		t.Errorf("deliveries: %+v, want one, delivered at the first attempt", ds.Deliveries)
	}
	var found bool
	for key, n := range rc.byKey {
		if n != 1 {
			t.Errorf("idempotency key %s delivered %d times", key, n)
		}
	}
	for _, ce := range rc.events {
		if ce.Type != notify.TypePrefix+store.EventFindingNew {
			t.Errorf("delivered %s, want only finding.new", ce.Type)
		}
		if ce.Data.Vulnerability != nil && ce.Data.Vulnerability.ID == "CVE-2099-0001" && ce.Data.Image.Digest == im.Digest {
			found = true
		}
	}
	if !found || len(rc.events) != 1 {
		t.Errorf("received %d events, want the finding.new of CVE-2099-0001 in %s: %+v", len(rc.events), im.Digest, rc.events)
	}
}
