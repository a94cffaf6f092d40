// Package notify delivers recorded events to webhook subscriptions, as
// signed CloudEvents or as Slack messages, from the store's durable
// outbox: retried with backoff, dead-lettered after a number of attempts,
// and only to the hosts the server's guard allows.
package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/vigilproject/vigil/internal/netguard"
	"github.com/vigilproject/vigil/internal/store"
)

// Headers of every delivery besides the signature.
const (
	// IdempotencyKeyHeader carries the event's stable ID: the same on every
	// attempt and every replica. Receivers deduplicate on it.
	IdempotencyKeyHeader = "Idempotency-Key"
	// DeliveryHeader and AttemptHeader say which delivery row and which
	// attempt of it a request is, for the receiver's logs.
	DeliveryHeader = "Vigil-Delivery"
	AttemptHeader  = "Vigil-Attempt"
	userAgent      = "Vigil-Webhook/1"
)

// Sender turns deliveries into signed HTTP requests and classifies the
// answers.
type Sender struct {
	// Client sends the requests; build it with NewClient so that every
	// connection passes the guard.
	Client *http.Client
	// Guard, when set, is asked about each URL's host before sending.
	Guard *netguard.Guard
	// Source is the CloudEvents source, "urn:vigil:<server name>".
	Source string
	// Now stamps signatures; nil means time.Now.
	Now func() time.Time
}

// NewClient returns an HTTP client whose every connection is dialled
// through the guard, which does not follow redirects (a webhook that
// moved must be updated, not chased), ignores proxy settings (a proxy
// would hide the address actually reached from the guard) and gives up on
// a request after timeout.
func NewClient(g *netguard.Guard, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           g.Dial,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          64,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
		},
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Result is the outcome of one attempt.
type Result struct {
	// Status is the receiver's HTTP status; 0 when no answer came.
	Status int
	// Err is nil when the receiver accepted the delivery (2xx).
	Err error
	// Permanent: sending the same request again cannot succeed (a 4xx
	// answer other than 408, 425 and 429, a redirect, a host the guard
	// refuses); the delivery is dead at once.
	Permanent bool
	// Gone: the receiver answered 410 Gone; the subscription is disabled.
	Gone bool
	// RetryAfter is the receiver's Retry-After, when it gave one.
	RetryAfter time.Duration
}

// Body returns a delivery's request body and content type.
func (s *Sender) Body(o *store.Outgoing) (body []byte, contentType string, err error) {
	switch o.Subscription.Kind {
	case store.KindSlack:
		body, err = slackBody(&o.Event)
		return body, "application/json", err
	case store.KindCloudEvents, "":
		body, err = cloudEventBody(&o.Event, s.Source)
		return body, ContentTypeCloudEvents, err
	}
	return nil, "", fmt.Errorf("notify: subscription %d: unknown kind %q", o.Subscription.ID, o.Subscription.Kind)
}

// Request builds a delivery's signed request.
func (s *Sender) Request(ctx context.Context, o *store.Outgoing) (*http.Request, error) {
	body, ctype, err := s.Body(o)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.Subscription.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("notify: subscription %d: %w", o.Subscription.ID, err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(IdempotencyKeyHeader, o.Event.ID)
	req.Header.Set(DeliveryHeader, strconv.FormatInt(o.ID, 10))
	req.Header.Set(AttemptHeader, strconv.Itoa(o.Attempts))
	if o.Secret != "" {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		req.Header.Set(SignatureHeader, Sign(o.Secret, body, now()))
	}
	return req, nil
}

// Send makes one attempt at a delivery. Errors name the receiver's host,
// never its full URL: a Slack webhook's path is its credential, and errors
// are shown by the API.
func (s *Sender) Send(ctx context.Context, o *store.Outgoing) Result {
	u, err := url.Parse(o.Subscription.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return Result{Err: fmt.Errorf("subscription %d: bad URL", o.Subscription.ID), Permanent: true}
	}
	if s.Guard != nil {
		if err := s.Guard.Check(u.Host); err != nil {
			return Result{Err: fmt.Errorf("webhook host %s: %w", u.Host, err), Permanent: true}
		}
	}
	req, err := s.Request(ctx, o)
	if err != nil {
		return Result{Err: err, Permanent: true}
	}
	if s.Client == nil {
		return Result{Err: errors.New("notify: Sender without a Client")}
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Result{Err: fmt.Errorf("POST to %s: %w", u.Host, err), Permanent: errors.Is(err, netguard.ErrNotAllowed)}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return classify(resp, u.Host, snippet)
}

// classify decides what an answer means for the delivery.
func classify(resp *http.Response, host string, snippet []byte) Result {
	r := Result{Status: resp.StatusCode}
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return r
	}
	msg := fmt.Sprintf("POST to %s: %s", host, resp.Status)
	if t := printable(snippet, 200); t != "" {
		msg += ": " + t
	}
	r.Err = errors.New(msg)
	switch {
	case code == http.StatusGone:
		r.Gone = true
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code == http.StatusTooManyRequests, code >= 500:
		r.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	case code >= 300 && code < 400:
		r.Err = fmt.Errorf("%s: redirect to %q not followed; update the subscription's URL", msg, resp.Header.Get("Location"))
		r.Permanent = true
	default:
		r.Permanent = true
	}
	return r
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// printable keeps the start of a receiver's answer fit for a log line.
func printable(b []byte, n int) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, string(b))
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, n)
}
