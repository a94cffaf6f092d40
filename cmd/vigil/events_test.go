package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
)

// recordEvents records n finding.new events, ids first… in the store at
// dsn, as a re-assessment would.
func recordEvents(t *testing.T, dsn string, first, n int) []store.Event {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var evs []store.Event
	for i := first; i < first+n; i++ {
		digest := fmt.Sprintf("sha256:%064d", i)
		id := "CVE-2099-" + strconv.Itoa(1000+i)
		evs = append(evs, store.Event{ID: "ev-" + strconv.Itoa(i), Type: store.EventFindingNew, Time: time.Date(2026, 11, 1, 11, 0, i, 0, time.UTC),
			Digest: sbom.Digest(digest), Repository: "registry.example/app", VulnID: id, Severity: advisory.SeverityHigh, KEV: i == 2,
			Data: store.EventData{Image: store.EventImage{Digest: digest, Repository: "registry.example/app"}, DBVersion: 3,
				Vulnerability: &store.EventVuln{ID: id, Severity: "high", Status: "fixed"}}})
	}
	got, err := st.RecordEventsForTest(ctx, evs)
	if err != nil || len(got) != n {
		t.Fatalf("recorded %d of %d events: %v", len(got), n, err)
	}
	return got
}

func TestEventsCommand(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "server.db")
	t.Setenv("VIGIL_SERVER", "")
	t.Setenv("VIGIL_TOKEN", "")
	srvURL, _, _ := startServe(t, "--db", dsn, "--no-cache", "--workers", "0", "--dev")
	evs := recordEvents(t, dsn, 1, 3)
	srv := []string{"--server", srvURL}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		wantNot  []string
	}{
		{name: "all", args: []string{"events"},
			want: []string{"1  2026-11-01T11:00:01Z  finding.new", "CVE-2099-1001 (high)", "CVE-2099-1002 (high) KEV", "CVE-2099-1003"}},
		{name: "after", args: []string{"events", "--after", strconv.FormatInt(evs[1].Seq, 10)},
			want: []string{"CVE-2099-1003"}, wantNot: []string{"CVE-2099-1001", "CVE-2099-1002"}},
		{name: "json", args: []string{"events", "-f", "json", "--after", strconv.FormatInt(evs[0].Seq, 10)},
			want: []string{`"vulnerability":"CVE-2099-1002"`, `"kev":true`, `"dbVersion":3`}, wantNot: []string{"CVE-2099-1001"}},
		{name: "negative after", args: []string{"events", "--after", "-1"}, wantCode: 2, want: []string{"--after"}},
		{name: "db update on a server without workers", args: []string{"db", "update"}, wantCode: 2, want: []string{"503", "no workers"}},
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

	t.Run("follow", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stdout := &lockedBuffer{}
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"events", "--follow", "-f", "json", "--after", strconv.FormatInt(evs[2].Seq, 10), "--server", srvURL}, nil, stdout, io.Discard)
		}()
		later := recordEvents(t, dsn, 4, 2)
		deadline := time.Now().Add(20 * time.Second)
		for strings.Count(stdout.String(), "\n") < len(later) {
			if time.Now().After(deadline) {
				t.Fatalf("the followed stream showed:\n%s", stdout)
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("interrupted events --follow exited %d", code)
		}
		var got []int64
		for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
			var e api.Event
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			got = append(got, e.Seq)
		}
		if len(got) != 2 || got[0] != later[0].Seq || got[1] != later[1].Seq {
			t.Errorf("followed events %v, want %d and %d", got, later[0].Seq, later[1].Seq)
		}
	})
}
