// Package client is a Go client for vigil serve's HTTP API: one method per
// endpoint, the wire types of internal/server/api, and errors that carry the
// server's status and error body.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/server/api"
)

// DefaultMaxResponse bounds the bytes read of one answer; an image's detail
// with its inventory and findings is the largest.
const DefaultMaxResponse = 256 << 20

// maxErrorBody bounds the bytes read of an error answer.
const maxErrorBody = 64 << 10

// Client calls one Vigil server. Its methods are safe for concurrent use.
type Client struct {
	base  string // scheme://host[/prefix], no trailing slash
	token string
	hc    *http.Client
	// MaxResponse bounds the bytes read of one answer (default
	// DefaultMaxResponse); a longer answer is an error.
	MaxResponse int64
	// UserAgent is sent with every request.
	UserAgent string
}

// New returns a client of the server at baseURL ("http://127.0.0.1:8080",
// optionally with a path prefix when behind a proxy; without a scheme,
// http:// is assumed). An empty token sends
// no Authorization header; a nil hc means http.DefaultClient.
func New(baseURL, token string, hc *http.Client) (*Client, error) {
	raw := strings.TrimSpace(baseURL)
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw // "127.0.0.1:8080"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("client: server URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("client: server URL %q: want http:// or https://", baseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("client: server URL %q: no host", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("client: server URL %q: want no user, query or fragment", baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return &Client{base: u.String(), token: token, hc: hc, MaxResponse: DefaultMaxResponse, UserAgent: "vigil-client"}, nil
}

// Error is a 4xx or 5xx answer. Use errors.As to read it:
//
//	var e *client.Error
//	if errors.As(err, &e) && e.Status == http.StatusNotFound { … }
type Error struct {
	Method string
	Path   string // the request's path and query
	Status int
	// Body is the server's error body; for an answer that is not the
	// API's JSON (a proxy's page), Code is derived from Status and
	// Message holds the start of the answer.
	Body api.ErrorBody
}

func (e *Error) Error() string {
	msg := e.Body.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Body.Code, msg)
}

// ErrJobFailed is returned, wrapped, by Wait when the job failed.
var ErrJobFailed = errors.New("job failed")

// ErrTooLarge is returned, wrapped, for an answer longer than MaxResponse.
var ErrTooLarge = errors.New("answer too large")

// do sends a request with an optional JSON body and decodes a JSON answer
// into out (nil: the answer is discarded). It returns the answer's status.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) (int, error) {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// The error names the URL, which holds no secret: the token
		// travels in a header.
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return resp.StatusCode, readError(resp, method, path)
	}
	limit := c.MaxResponse
	if limit <= 0 {
		limit = DefaultMaxResponse
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if int64(len(data)) > limit {
		return resp.StatusCode, fmt.Errorf("%s %s: %w (more than %d bytes)", method, path, ErrTooLarge, limit)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return resp.StatusCode, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: decoding the answer (%d): %w", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode, nil
}

// readError turns an error answer into an *Error.
func readError(resp *http.Response, method, path string) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{Method: method, Path: path, Status: resp.StatusCode}
	var body api.Error
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		e.Body = body.Error
		return e
	}
	e.Body.Code = codeOf(resp.StatusCode)
	msg := strings.TrimSpace(strings.ToValidUTF8(string(data), "?"))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	e.Body.Message = msg
	return e
}

// codeOf is the API's error code for a status, for answers that did not
// come from the API.
func codeOf(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusUnprocessableEntity:
		return "unprocessable"
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return "bad_request"
}

func seg(s string) string { return url.PathEscape(s) }

// Ready asks /readyz whether the server can serve.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodGet, "/readyz", nil, nil, nil)
	return err
}

// AddImage registers an image: a Job for a reference, the stored Image
// for an SBOM.
func (c *Client) AddImage(ctx context.Context, req api.AddImageRequest) (*api.AddImageResponse, error) {
	var out api.AddImageResponse
	if _, err := c.do(ctx, http.MethodPost, "/"+api.Version+"/images", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AddReference registers an image by reference; the server's workers pull
// it (Wait follows the job).
func (c *Client) AddReference(ctx context.Context, ref string) (*api.Job, error) {
	out, err := c.AddImage(ctx, api.AddImageRequest{Reference: ref})
	if err != nil {
		return nil, err
	}
	if out.Job == nil {
		return nil, fmt.Errorf("POST /%s/images: the answer holds no job", api.Version)
	}
	return out.Job, nil
}

// AddSBOM uploads an SBOM document (CycloneDX or SPDX, JSON, XML or
// tag-value, or Vigil JSON) for the image name ("repo:tag", optional).
// With wait the server assesses it before answering.
func (c *Client) AddSBOM(ctx context.Context, name string, doc []byte, wait bool) (*api.Image, error) {
	out, err := c.AddImage(ctx, api.AddImageRequest{SBOM: SBOMField(doc), Name: name, Wait: wait})
	if err != nil {
		return nil, err
	}
	if out.Image == nil {
		return nil, fmt.Errorf("POST /%s/images: the answer holds no image", api.Version)
	}
	return out.Image, nil
}

// SBOMField encodes a document for AddImageRequest.SBOM: a JSON object as
// itself, anything else (XML, tag-value) as a JSON string.
func SBOMField(doc []byte) json.RawMessage {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf")))
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		return json.RawMessage(trimmed)
	}
	b, _ := json.Marshal(strings.ToValidUTF8(string(doc), "\uFFFD")) // a string always marshals
	return b
}

// ImageQuery filters GET /v1/images. Zero fields select everything.
type ImageQuery struct {
	Repository string // exact, or a prefix ending in "*"
	Severity   string // images with a finding at or above it
	Fixable    bool
	KEV        bool
	Base       string
	// AssessedBefore and AssessedAge select images last assessed before a
	// time, or longer ago than an age (or never).
	AssessedBefore time.Time
	AssessedAge    time.Duration
	Limit          int
	After          string // the Next cursor of the previous page
}

func (q ImageQuery) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("repository", q.Repository)
	set("severity", q.Severity)
	if q.Fixable {
		v.Set("fixable", "true")
	}
	if q.KEV {
		v.Set("kev", "true")
	}
	set("base", q.Base)
	if !q.AssessedBefore.IsZero() {
		v.Set("assessed_before", q.AssessedBefore.UTC().Format(time.RFC3339))
	}
	if q.AssessedAge > 0 {
		v.Set("assessed_age", q.AssessedAge.String())
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	set("after", q.After)
	return v
}

// Images returns one page of stored images.
func (c *Client) Images(ctx context.Context, q ImageQuery) (*api.ImageList, error) {
	var out api.ImageList
	if _, err := c.do(ctx, http.MethodGet, "/"+api.Version+"/images", q.values(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Image returns a stored image; include names the parts to add:
// "inventory", "findings".
func (c *Client) Image(ctx context.Context, digest string, include ...string) (*api.ImageDetail, error) {
	var q url.Values
	if len(include) > 0 {
		q = url.Values{"include": {strings.Join(include, ",")}}
	}
	var out api.ImageDetail
	if _, err := c.do(ctx, http.MethodGet, "/"+api.Version+"/images/"+seg(digest), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteImage removes a stored image.
func (c *Client) DeleteImage(ctx context.Context, digest string) error {
	_, err := c.do(ctx, http.MethodDelete, "/"+api.Version+"/images/"+seg(digest), nil, nil, nil)
	return err
}

// Job returns a background job.
func (c *Client) Job(ctx context.Context, id int64) (*api.Job, error) {
	var out api.Job
	if _, err := c.do(ctx, http.MethodGet, "/"+api.Version+"/jobs/"+strconv.FormatInt(id, 10), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Wait polls a job, backing off from 100 ms to 5 s between polls, until it
// is done or failed or ctx is done. A failed job is returned with an error
// wrapping ErrJobFailed. A transient error of the server (5xx) is retried;
// any other error ends the wait.
func (c *Client) Wait(ctx context.Context, id int64) (*api.Job, error) {
	delay := 100 * time.Millisecond
	for {
		j, err := c.Job(ctx, id)
		var e *Error
		switch {
		case err == nil:
			switch j.State {
			case JobDone:
				return j, nil
			case JobFailed:
				return j, fmt.Errorf("job %d: %w: %s", id, ErrJobFailed, j.Error)
			}
		case errors.As(err, &e) && e.Status >= 500:
		default:
			return nil, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return j, fmt.Errorf("waiting for job %d: %w", id, ctx.Err())
		case <-t.C:
		}
		delay = min(delay*2, 5*time.Second)
	}
}

// Impact returns the stored images a vulnerability (any id or alias)
// hits.
func (c *Client) Impact(ctx context.Context, id string) (*api.Impact, error) {
	var out api.Impact
	if _, err := c.do(ctx, http.MethodGet, "/"+api.Version+"/vulnerabilities/"+seg(id)+"/impact", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Packages returns the images holding a package: purl with a version
// matches that version, without one every version, narrowed by the
// optional version range in the ecosystem's syntax.
func (c *Client) Packages(ctx context.Context, purl, versionRange string) (*api.PackageList, error) {
	q := url.Values{"purl": {purl}}
	if versionRange != "" {
		q.Set("range", versionRange)
	}
	var out api.PackageList
	if _, err := c.do(ctx, http.MethodGet, "/"+api.Version+"/packages", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateToken creates an API token; the answer holds its secret, shown
// only this once.
func (c *Client) CreateToken(ctx context.Context, req api.CreateTokenRequest) (*api.Token, error) {
	var out api.Token
	if _, err := c.do(ctx, http.MethodPost, "/"+api.Version+"/tokens", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Tokens lists the tokens, revoked ones included.
func (c *Client) Tokens(ctx context.Context) (*api.TokenList, error) {
	var out api.TokenList
	if _, err := c.do(ctx, http.MethodGet, "/"+api.Version+"/tokens", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeToken revokes a token by id.
func (c *Client) RevokeToken(ctx context.Context, id int64) error {
	_, err := c.do(ctx, http.MethodDelete, "/"+api.Version+"/tokens/"+strconv.FormatInt(id, 10), nil, nil, nil)
	return err
}

// UpdateDB asks the server for a feed update of its vulnerability
// database and the re-assessment after it, and waits for both. An
// update already running is an *Error with Status 409.
func (c *Client) UpdateDB(ctx context.Context) (*api.UpdateResponse, error) {
	var out api.UpdateResponse
	if _, err := c.do(ctx, http.MethodPost, "/v1/db/update", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Events reads the server's event stream from the event after seq
// after, calling fn for each in order, until the stream ends (follow
// false: after the backlog), ctx is done or fn returns an error. The
// http.Client given to New must have no Timeout for a followed stream.
func (c *Client) Events(ctx context.Context, after int64, follow bool, fn func(api.Event) error) error {
	q := url.Values{"after": {strconv.FormatInt(after, 10)}, "follow": {strconv.FormatBool(follow)}}
	path := "/v1/events?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return readError(resp, http.MethodGet, path)
	}
	limit := c.MaxResponse
	if limit <= 0 {
		limit = DefaultMaxResponse
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, int(min(limit, 1<<30)))
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			if data == nil {
				continue // after a comment
			}
			var e api.Event
			if err := json.Unmarshal(data, &e); err != nil {
				return fmt.Errorf("GET %s: event after %d: %w", path, after, err)
			}
			data = nil
			if err := fn(e); err != nil {
				return err
			}
			after = e.Seq
		case bytes.HasPrefix(line, []byte("data: ")):
			data = append(data, line[len("data: "):]...)
		}
		// Comments, ids and event names: the data holds them all.
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("GET %s: reading the stream after event %d: %w", path, after, err)
	}
	return ctx.Err()
}

// CreateSubscription subscribes a webhook to the server's events. The
// answer never holds the secret.
func (c *Client) CreateSubscription(ctx context.Context, req api.CreateSubscriptionRequest) (*api.Subscription, error) {
	var out api.Subscription
	if _, err := c.do(ctx, http.MethodPost, "/"+api.Version+"/subscriptions", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Subscriptions lists the webhook subscriptions.
func (c *Client) Subscriptions(ctx context.Context) (*api.SubscriptionList, error) {
	var out api.SubscriptionList
	if _, err := c.do(ctx, http.MethodGet, "/"+api.Version+"/subscriptions", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Subscription describes one subscription.
func (c *Client) Subscription(ctx context.Context, id int64) (*api.Subscription, error) {
	var out api.Subscription
	if _, err := c.do(ctx, http.MethodGet, "/"+api.Version+"/subscriptions/"+strconv.FormatInt(id, 10), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteSubscription deletes a subscription and its deliveries.
func (c *Client) DeleteSubscription(ctx context.Context, id int64) error {
	_, err := c.do(ctx, http.MethodDelete, "/"+api.Version+"/subscriptions/"+strconv.FormatInt(id, 10), nil, nil, nil)
	return err
}

// SetSubscriptionDisabled disables or enables a subscription.
func (c *Client) SetSubscriptionDisabled(ctx context.Context, id int64, disabled bool) (*api.Subscription, error) {
	verb := "enable"
	if disabled {
		verb = "disable"
	}
	var out api.Subscription
	if _, err := c.do(ctx, http.MethodPost, "/"+api.Version+"/subscriptions/"+strconv.FormatInt(id, 10)+"/"+verb, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeliveryQuery selects deliveries; zero fields select everything.
type DeliveryQuery struct {
	State        string // pending, delivered or dead
	Subscription int64
	Limit        int   // default 100 (the server's), at most 1000
	Before       int64 // deliveries with smaller ids: the next page
}

// Deliveries lists webhook deliveries, newest first.
func (c *Client) Deliveries(ctx context.Context, q DeliveryQuery) (*api.DeliveryList, error) {
	v := url.Values{}
	if q.State != "" {
		v.Set("state", q.State)
	}
	if q.Subscription != 0 {
		v.Set("subscription", strconv.FormatInt(q.Subscription, 10))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Before != 0 {
		v.Set("before", strconv.FormatInt(q.Before, 10))
	}
	var out api.DeliveryList
	if _, err := c.do(ctx, http.MethodGet, "/"+api.Version+"/deliveries", v, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Redrive makes dead deliveries pending again: every one of a
// subscription, or the listed ones.
func (c *Client) Redrive(ctx context.Context, req api.RedriveRequest) (*api.RedriveResponse, error) {
	var out api.RedriveResponse
	if _, err := c.do(ctx, http.MethodPost, "/"+api.Version+"/deliveries/redrive", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Reassess asks the server to re-assess its images (all: every stored
// package, else from the change log) and waits for it. One already
// running is an *Error with Status 409.
func (c *Client) Reassess(ctx context.Context, all bool) (*api.ReassessResponse, error) {
	var out api.ReassessResponse
	q := url.Values{"all": {strconv.FormatBool(all)}}
	if _, err := c.do(ctx, http.MethodPost, "/"+api.Version+"/reassess", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
