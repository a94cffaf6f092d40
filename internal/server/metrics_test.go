package server

import (
	"bufio"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/store/storetest"
)

var sampleRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*)\})? (\S+)$`)

// parseExposition reads the text format strictly: every family declared
// once with HELP and TYPE before its samples, every sample well formed.
// It returns the samples by "name{labels}".
func parseExposition(t *testing.T, text string) map[string]float64 {
	t.Helper()
	samples := map[string]float64{}
	types := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(rest, " ")
			if _, dup := types[name]; dup {
				t.Errorf("TYPE of %s given twice", name)
			}
			types[name] = typ
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sampleRE.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("malformed sample %q", line)
			continue
		}
		family := m[1]
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if f, ok := strings.CutSuffix(family, suf); ok && types[f] == "histogram" {
				family = f
			}
		}
		if types[family] == "" {
			t.Errorf("sample %q before the TYPE of %s", line, family)
		}
		v, err := strconv.ParseFloat(m[4], 64)
		if err != nil {
			t.Errorf("sample %q: %v", line, err)
		}
		samples[m[1]+m[2]] = v
	}
	return samples
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t), advisories: emptyAdvisories(t)})
	e.srv.metrics.statsTTL = time.Hour
	e.call("GET", "/v1/images", e.read, nil)
	e.call("GET", "/v1/images", e.read, nil)
	e.call("GET", "/v1/images/sha256:nope", e.read, nil)
	e.call("GET", "/nowhere", "", nil)
	e.callType("BREW", "/v1/images", e.read, "", nil)
	r := e.call("GET", "/metrics", "", nil)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	s := parseExposition(t, string(r.body))
	for k, want := range map[string]float64{
		`vigil_http_request_duration_seconds_count{route="GET /v1/images",method="GET",code="200"}`:            2,
		`vigil_http_request_duration_seconds_bucket{route="GET /v1/images",method="GET",code="200",le="+Inf"}`: 2,
		`vigil_http_request_duration_seconds_count{route="GET /v1/images/{digest}",method="GET",code="400"}`:   1,
		`vigil_http_request_duration_seconds_count{route="unmatched",method="GET",code="404"}`:                 1,
		`vigil_http_request_duration_seconds_count{route="unmatched",method="other",code="405"}`:               1,
		`vigil_http_requests_in_flight`:                 1,
		`vigil_images`:                                  0,
		`vigil_store_up`:                                1,
		`vigil_advisories_loaded`:                       1,
		`vigil_jobs{state="queued"}`:                    0,
		`vigil_images_by_severity{severity="critical"}`: 0,
		`vigil_packages`:                                0,
	} {
		if got, ok := s[k]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	// Buckets are cumulative.
	prev := -1.0
	for _, le := range []string{"0.005", "0.01", "0.1", "1", "10", "30", "+Inf"} {
		v := s[`vigil_http_request_duration_seconds_bucket{route="GET /v1/images",method="GET",code="200",le="`+le+`"}`]
		if v < prev {
			t.Errorf("bucket le=%s = %v after %v", le, v, prev)
		}
		prev = v
	}

	// Store gauges are cached: an upload shows only once the cache is
	// stale.
	decode[struct{}](t, e.call("POST", "/v1/images", e.write, sbomRequest(readTestdata(t, "app.cdx.json"), "", true)), 201)
	if s := parseExposition(t, string(e.call("GET", "/metrics", "", nil).body)); s["vigil_images"] != 0 {
		t.Errorf("vigil_images = %v within the cache's life, want the cached 0", s["vigil_images"])
	}
	e.srv.metrics.statsTTL = 0
	s = parseExposition(t, string(e.call("GET", "/metrics", "", nil).body))
	if s["vigil_images"] != 1 || s["vigil_packages"] != 4 || s[`vigil_images_by_severity{severity="unknown"}`] != 1 {
		t.Errorf("after an upload: images %v, packages %v, by severity unknown %v", s["vigil_images"], s["vigil_packages"], s[`vigil_images_by_severity{severity="unknown"}`])
	}
}

func TestQuoteLabel(t *testing.T) {
	for in, want := range map[string]string{`a`: `"a"`, `a"b`: `"a\"b"`, `a\b`: `"a\\b"`, "a\nb": `"a\nb"`} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}
