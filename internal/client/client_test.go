package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/client"
	"github.com/vigilproject/vigil/internal/server/api"
)

// request is what the fake server saw.
type request struct {
	Method, Path, Query, Auth, ContentType, Body string
}

// fake serves canned answers, one per request in turn (the last one
// repeats), and records every request.
type fake struct {
	mu      sync.Mutex
	answers []answer
	seen    []request
}

type answer struct {
	status int
	body   string
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.seen = append(f.seen, request{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)})
	a := f.answers[min(len(f.seen), len(f.answers))-1]
	f.mu.Unlock()
	if a.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func start(t *testing.T, token string, answers ...answer) (*client.Client, *fake) {
	t.Helper()
	f := &fake{answers: answers}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL+"/", token, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// decode reads a fixture into a new value of out's type.
func decode[T any](t *testing.T, name string) *T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(fixture(t, name)), &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &v
}

const digest = "sha256:2c8e4b1d0f3a5e6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"

func TestEndpoints(t *testing.T) {
	before := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name   string
		call   func(ctx context.Context, c *client.Client) (any, error)
		status int
		file   string
		want   func(t *testing.T) any
		req    request
	}{
		{
			name: "add reference",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.AddReference(ctx, "registry.example/team/app:1.4")
			},
			status: 202, file: "job.json",
			want: func(t *testing.T) any { return decode[api.AddImageResponse](t, "job.json").Job },
			req:  request{Method: "POST", Path: "/v1/images", ContentType: "application/json", Body: `{"reference":"registry.example/team/app:1.4"}`},
		},
		{
			name: "add JSON SBOM as an object",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.AddSBOM(ctx, "registry.example/team/app:1.4", []byte("  {\"bomFormat\": \"CycloneDX\"}\n"), true)
			},
			status: 201, file: "image.json",
			want: func(t *testing.T) any { return decode[api.AddImageResponse](t, "image.json").Image },
			req:  request{Method: "POST", Path: "/v1/images", ContentType: "application/json", Body: `{"sbom":{"bomFormat":"CycloneDX"},"name":"registry.example/team/app:1.4","wait":true}`},
		},
		{
			name: "add XML SBOM as a string",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.AddSBOM(ctx, "", []byte("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"/>\n"), false)
			},
			status: 201, file: "image.json",
			want: func(t *testing.T) any { return decode[api.AddImageResponse](t, "image.json").Image },
			req:  request{Method: "POST", Path: "/v1/images", ContentType: "application/json", Body: `{"sbom":"\u003cbom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"/\u003e\n"}`},
		},
		{
			name: "list with every filter",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Images(ctx, client.ImageQuery{Repository: "registry.example/*", Severity: "high", Fixable: true, KEV: true,
					Base: "debian:12", AssessedBefore: before, AssessedAge: 36 * time.Hour, Limit: 20, After: "abc"})
			},
			status: 200, file: "images.json",
			want: func(t *testing.T) any { return decode[api.ImageList](t, "images.json") },
			req: request{Method: "GET", Path: "/v1/images",
				Query: "after=abc&assessed_age=36h0m0s&assessed_before=2026-03-01T11%3A00%3A00Z&base=debian%3A12&fixable=true&kev=true&limit=20&repository=registry.example%2F%2A&severity=high"},
		},
		{
			name:   "list everything",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Images(ctx, client.ImageQuery{}) },
			status: 200, file: "images.json",
			want: func(t *testing.T) any { return decode[api.ImageList](t, "images.json") },
			req:  request{Method: "GET", Path: "/v1/images"},
		},
		{
			name: "show",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Image(ctx, digest, "inventory", "findings")
			},
			status: 200, file: "detail.json",
			want: func(t *testing.T) any { return decode[api.ImageDetail](t, "detail.json") },
			req:  request{Method: "GET", Path: "/v1/images/" + digest, Query: "include=inventory%2Cfindings"},
		},
		{
			name:   "delete",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return nil, c.DeleteImage(ctx, digest) },
			status: 204,
			want:   func(t *testing.T) any { return nil },
			req:    request{Method: "DELETE", Path: "/v1/images/" + digest},
		},
		{
			name:   "job",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Job(ctx, 17) },
			status: 200, file: "job-running.json",
			want: func(t *testing.T) any { return decode[api.Job](t, "job-running.json") },
			req:  request{Method: "GET", Path: "/v1/jobs/17"},
		},
		{
			name:   "impact of an id with a slash",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Impact(ctx, "debian/CVE-2024-5535") },
			status: 200, file: "impact.json",
			want: func(t *testing.T) any { return decode[api.Impact](t, "impact.json") },
			req:  request{Method: "GET", Path: "/v1/vulnerabilities/debian%2FCVE-2024-5535/impact"},
		},
		{
			name: "packages",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Packages(ctx, "pkg:deb/debian/libssl3", "< 3.0.14-1~deb12u1")
			},
			status: 200, file: "packages.json",
			want: func(t *testing.T) any { return decode[api.PackageList](t, "packages.json") },
			req:  request{Method: "GET", Path: "/v1/packages", Query: "purl=pkg%3Adeb%2Fdebian%2Flibssl3&range=%3C+3.0.14-1~deb12u1"},
		},
		{
			name: "create token",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				exp := time.Date(2026, 3, 31, 10, 0, 0, 0, time.UTC)
				return c.CreateToken(ctx, api.CreateTokenRequest{Name: "ci", Scope: "write", Expires: &exp})
			},
			status: 201, file: "token.json",
			want: func(t *testing.T) any { return decode[api.Token](t, "token.json") },
			req:  request{Method: "POST", Path: "/v1/tokens", ContentType: "application/json", Body: `{"name":"ci","scope":"write","expires":"2026-03-31T10:00:00Z"}`},
		},
		{
			name:   "tokens",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Tokens(ctx) },
			status: 200, file: "tokens.json",
			want: func(t *testing.T) any { return decode[api.TokenList](t, "tokens.json") },
			req:  request{Method: "GET", Path: "/v1/tokens"},
		},
		{
			name:   "revoke token",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return nil, c.RevokeToken(ctx, 2) },
			status: 204,
			want:   func(t *testing.T) any { return nil },
			req:    request{Method: "DELETE", Path: "/v1/tokens/2"},
		},
		{
			name: "create subscription",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.CreateSubscription(ctx, api.CreateSubscriptionRequest{URL: "https://hooks.example.com/vigil", Secret: "s", Events: []string{"finding.new"}, MinSeverity: "high", KEVOnly: true})
			},
			status: 201, file: "subscription.json",
			want: func(t *testing.T) any { return decode[api.Subscription](t, "subscription.json") },
			req: request{Method: "POST", Path: "/v1/subscriptions", ContentType: "application/json",
				Body: `{"url":"https://hooks.example.com/vigil","secret":"s","events":["finding.new"],"minSeverity":"high","kevOnly":true}`},
		},
		{
			name:   "subscriptions",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Subscriptions(ctx) },
			status: 200, file: "subscriptions.json",
			want: func(t *testing.T) any { return decode[api.SubscriptionList](t, "subscriptions.json") },
			req:  request{Method: "GET", Path: "/v1/subscriptions"},
		},
		{
			name:   "subscription",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Subscription(ctx, 3) },
			status: 200, file: "subscription.json",
			want: func(t *testing.T) any { return decode[api.Subscription](t, "subscription.json") },
			req:  request{Method: "GET", Path: "/v1/subscriptions/3"},
		},
		{
			name: "disable subscription",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.SetSubscriptionDisabled(ctx, 3, true)
			},
			status: 200, file: "subscription.json",
			want: func(t *testing.T) any { return decode[api.Subscription](t, "subscription.json") },
			req:  request{Method: "POST", Path: "/v1/subscriptions/3/disable"},
		},
		{
			name: "enable subscription",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.SetSubscriptionDisabled(ctx, 3, false)
			},
			status: 200, file: "subscription.json",
			want: func(t *testing.T) any { return decode[api.Subscription](t, "subscription.json") },
			req:  request{Method: "POST", Path: "/v1/subscriptions/3/enable"},
		},
		{
			name:   "delete subscription",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return nil, c.DeleteSubscription(ctx, 3) },
			status: 204,
			want:   func(t *testing.T) any { return nil },
			req:    request{Method: "DELETE", Path: "/v1/subscriptions/3"},
		},
		{
			name: "deliveries",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Deliveries(ctx, client.DeliveryQuery{State: "dead", Subscription: 3, Limit: 10, Before: 99})
			},
			status: 200, file: "deliveries.json",
			want: func(t *testing.T) any { return decode[api.DeliveryList](t, "deliveries.json") },
			req:  request{Method: "GET", Path: "/v1/deliveries", Query: "before=99&limit=10&state=dead&subscription=3"},
		},
		{
			name: "redrive",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Redrive(ctx, api.RedriveRequest{Subscription: 3, Deliveries: []int64{12, 13}})
			},
			status: 200, file: "redrive.json",
			want: func(t *testing.T) any { return decode[api.RedriveResponse](t, "redrive.json") },
			req:  request{Method: "POST", Path: "/v1/deliveries/redrive", ContentType: "application/json", Body: `{"subscription":3,"deliveries":[12,13]}`},
		},
		{
			name:   "reassess all",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Reassess(ctx, true) },
			status: 200, file: "reassess.json",
			want: func(t *testing.T) any { return decode[api.ReassessResponse](t, "reassess.json") },
			req:  request{Method: "POST", Path: "/v1/reassess", Query: "all=true"},
		},
		{
			name:   "ready",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return nil, c.Ready(ctx) },
			status: 200, file: "",
			want: func(t *testing.T) any { return nil },
			req:  request{Method: "GET", Path: "/readyz"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.file != "" {
				body = fixture(t, tt.file)
			}
			c, f := start(t, "vgl_secret", answer{tt.status, body})
			got, err := tt.call(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want(t)
			if want == nil {
				if got != nil {
					t.Errorf("got %v, want nothing", got)
				}
			} else if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			wantReq := tt.req
			wantReq.Auth = "Bearer vgl_secret"
			if diff := cmp.Diff([]request{wantReq}, f.seen); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoTokenNoHeader(t *testing.T) {
	c, f := start(t, "", answer{200, `{"images":[]}`})
	if _, err := c.Images(context.Background(), client.ImageQuery{}); err != nil {
		t.Fatal(err)
	}
	if f.seen[0].Auth != "" {
		t.Errorf("Authorization %q sent without a token", f.seen[0].Auth)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		answer     answer
		wantStatus int
		wantBody   api.ErrorBody
		wantText   string
	}{
		{
			name:       "API error",
			answer:     answer{401, `{"error":{"code":"unauthorized","message":"invalid or expired token"}}`},
			wantStatus: 401,
			wantBody:   api.ErrorBody{Code: "unauthorized", Message: "invalid or expired token"},
			wantText:   "GET /v1/images/" + digest + ": 401 unauthorized: invalid or expired token",
		},
		{
			name:       "not found",
			answer:     answer{404, `{"error":{"code":"not_found","message":"no image sha256:2c8e…"}}`},
			wantStatus: 404,
			wantBody:   api.ErrorBody{Code: "not_found", Message: "no image sha256:2c8e…"},
		},
		{
			name:       "a proxy's page",
			answer:     answer{502, "<html><body>Bad Gateway</body></html>"},
			wantStatus: 502,
			wantBody:   api.ErrorBody{Code: "unavailable", Message: "<html><body>Bad Gateway</body></html>"},
		},
		{
			name:       "empty body",
			answer:     answer{413, ""},
			wantStatus: 413,
			wantBody:   api.ErrorBody{Code: "too_large"},
			wantText:   "413 too_large: Request Entity Too Large",
		},
		{
			name:       "a long page is cut",
			answer:     answer{500, strings.Repeat("x", 1<<20)},
			wantStatus: 500,
			wantBody:   api.ErrorBody{Code: "internal", Message: strings.Repeat("x", 200) + "…"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := start(t, "vgl_x", tt.answer)
			_, err := c.Image(context.Background(), digest)
			var e *client.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not a *client.Error", err, err)
			}
			if e.Status != tt.wantStatus || e.Body != tt.wantBody {
				t.Errorf("got %d %+v, want %d %+v", e.Status, e.Body, tt.wantStatus, tt.wantBody)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q lacks %q", err, tt.wantText)
			}
		})
	}
}

func TestAnswerBounds(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		limit   int64
		wantErr error
	}{
		{name: "within", body: `{"images":[]}`, limit: 13},
		{name: "one byte over", body: `{"images":[]} `, limit: 13, wantErr: client.ErrTooLarge},
		{name: "not JSON", body: `images`, limit: 100, wantErr: errors.New("decoding")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := start(t, "", answer{200, tt.body})
			c.MaxResponse = tt.limit
			_, err := c.Images(context.Background(), client.ImageQuery{})
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatal(err)
			case tt.wantErr == client.ErrTooLarge && !errors.Is(err, client.ErrTooLarge):
				t.Fatalf("error %v, want ErrTooLarge", err)
			case tt.wantErr != nil && tt.wantErr != client.ErrTooLarge && (err == nil || !strings.Contains(err.Error(), tt.wantErr.Error())):
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func job(state, errText string) answer {
	b, _ := json.Marshal(api.Job{ID: 17, Kind: "index", State: state, Error: errText})
	return answer{200, string(b)}
}

func TestWait(t *testing.T) {
	tests := []struct {
		name      string
		answers   []answer
		wantState string
		wantErr   error
		wantPolls int
	}{
		{name: "done", answers: []answer{job("queued", ""), job("running", ""), job("done", "")}, wantState: "done", wantPolls: 3},
		{name: "failed", answers: []answer{job("running", ""), job("failed", "pull: 404")}, wantState: "failed", wantErr: client.ErrJobFailed, wantPolls: 2},
		{name: "server trouble is retried", answers: []answer{{503, `{"error":{"code":"unavailable","message":"database down"}}`}, job("done", "")}, wantState: "done", wantPolls: 2},
		{name: "unknown job ends the wait", answers: []answer{{404, `{"error":{"code":"not_found","message":"no job 17"}}`}}, wantErr: &client.Error{}, wantPolls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := start(t, "", tt.answers...)
			j, err := c.Wait(context.Background(), 17)
			switch want := tt.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatal(err)
				}
			case *client.Error:
				if !errors.As(err, &want) || want.Status != 404 {
					t.Fatalf("error %v, want a 404 *client.Error", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("error %v, want %v", err, want)
				}
			}
			if tt.wantState != "" && (j == nil || j.State != tt.wantState) {
				t.Errorf("job %+v, want state %s", j, tt.wantState)
			}
			if len(f.seen) != tt.wantPolls {
				t.Errorf("%d polls, want %d", len(f.seen), tt.wantPolls)
			}
		})
	}
	t.Run("context ends the wait", func(t *testing.T) {
		c, _ := start(t, "", job("queued", ""))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Wait(ctx, 17)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	})
}

func TestNew(t *testing.T) {
	tests := []struct {
		url     string
		wantErr string
	}{
		{url: "http://127.0.0.1:8080"},
		{url: "https://vigil.example/prefix/"},
		{url: "127.0.0.1:8080"},
		{url: "localhost"},
		{url: "ftp://vigil.example", wantErr: "http"},
		{url: "http://", wantErr: "no host"},
		{url: "http://user:pw@vigil.example", wantErr: "no user"},
		{url: "http://vigil.example/?x=1", wantErr: "query"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := client.New(tt.url, "", nil)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// A path prefix (a server behind a proxy) is kept.
func TestPathPrefix(t *testing.T) {
	f := &fake{answers: []answer{{200, `{"images":[]}`}}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := client.New(srv.URL+"/vigil/", "", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Images(context.Background(), client.ImageQuery{}); err != nil {
		t.Fatal(err)
	}
	if f.seen[0].Path != "/vigil/v1/images" {
		t.Errorf("path %s", f.seen[0].Path)
	}
}

func TestSBOMField(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{name: "json object", doc: `{"bomFormat":"CycloneDX"}`, want: `{"bomFormat":"CycloneDX"}`},
		{name: "json object after a byte order mark", doc: "\ufeff{\"a\": 1}", want: `{"a": 1}`},
		{name: "json object with spaces", doc: "\n {\"a\": 1} \n", want: `{"a": 1}`},
		{name: "broken json", doc: `{"a": `, want: `"{\"a\": "`},
		{name: "tag-value", doc: "SPDXVersion: SPDX-2.2\n", want: `"SPDXVersion: SPDX-2.2\n"`},
		{name: "xml", doc: `<bom/>`, want: `"\u003cbom/\u003e"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(client.SBOMField([]byte(tt.doc))); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
