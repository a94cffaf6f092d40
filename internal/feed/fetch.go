package feed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

// ErrTooLarge is wrapped by the error for a response over the size limit.
var ErrTooLarge = errors.New("response exceeds the size limit")

// Client fetches source URLs for the updaters: mirroring, conditional
// requests, timeouts, a size limit and bounded retries, and file:// URLs
// read from disk. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
	// sleep waits between retries; tests replace it to run fast.
	sleep func(ctx context.Context, d time.Duration) error
}

// NewClient returns a Client for cfg (defaults applied). cfg should have
// passed Validate; a bad mirror shows up as an error on every fetch.
func NewClient(cfg Config) *Client {
	cfg = cfg.WithDefaults()
	hc := cfg.HTTPClient
	if hc == nil {
		dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
		hc = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   cfg.ConnectTimeout,
			ResponseHeaderTimeout: cfg.HeaderTimeout,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   16,
			ForceAttemptHTTP2:     true,
		}}
	}
	return &Client{cfg: cfg, http: hc, sleep: sleepCtx}
}

// Config returns the client's configuration, with defaults applied.
func (c *Client) Config() Config { return c.cfg }

// Response is an open response body. Close it.
type Response struct {
	// URL is the URL actually read (after mirroring).
	URL string
	// ETag and LastModified are the response's validators, if any.
	ETag, LastModified string
	// Body is limited to the client's size limit and fails when the idle or
	// request timeout passes.
	Body io.ReadCloser
}

// Open GETs upstream (mirrored), conditionally on cond's ETag and
// LastModified when set; a 304 gives ErrUnchanged. 5xx, 429 and network
// errors are retried. The caller reads and closes the body.
func (c *Client) Open(ctx context.Context, upstream string, cond Fingerprint) (*Response, error) {
	target, err := MirrorURL(c.cfg.Mirror, upstream)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("feed: %s: %w", target, err)
	}
	if u.Scheme == "file" {
		return c.openFile(u, target)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("feed: %s: unsupported URL scheme", target)
	}
	backoff := c.cfg.RetryBackoff
	for attempt := 0; ; attempt++ {
		resp, err := c.openHTTP(ctx, target, cond)
		if err == nil {
			return resp, nil
		}
		var re *retryableError
		if !errors.As(err, &re) || attempt >= c.cfg.Retries || ctx.Err() != nil {
			if re != nil {
				return nil, re.err
			}
			return nil, err
		}
		wait := backoff
		if re.after > wait {
			wait = re.after
		}
		// Jitter keeps many clients behind one mirror from retrying in step.
		wait += time.Duration(rand.Int64N(int64(wait)/4 + 1))
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("feed: %s: %w (after: %w)", target, err, re.err)
		}
		backoff *= 2
	}
}

// retryableError marks a failure worth another attempt.
type retryableError struct {
	err   error
	after time.Duration // the server's Retry-After, if any
}

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

func (c *Client) openHTTP(ctx context.Context, target string, cond Fingerprint) (*Response, error) {
	// The request context carries the overall deadline; the body reader
	// cancels it when no byte arrives for IdleTimeout.
	rctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, target, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("feed: %s: %w", target, err)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if cond.ETag != "" {
		req.Header.Set("If-None-Match", cond.ETag)
	}
	if cond.LastModified != "" {
		req.Header.Set("If-Modified-Since", cond.LastModified)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		cancel()
		err = fmt.Errorf("feed: GET %s: %w", target, err)
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &retryableError{err: err}
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		drain(resp.Body)
		cancel()
		return nil, fmt.Errorf("feed: %s: %w", target, ErrUnchanged)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		drain(resp.Body)
		cancel()
		return nil, &retryableError{
			err:   fmt.Errorf("feed: GET %s: %s", target, resp.Status),
			after: retryAfter(resp.Header.Get("Retry-After")),
		}
	case resp.StatusCode != http.StatusOK:
		drain(resp.Body)
		cancel()
		return nil, &StatusError{URL: target, Code: resp.StatusCode, Status: resp.Status}
	}
	if resp.ContentLength > c.cfg.MaxResponseBytes {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("feed: %s: %d bytes announced: %w (%d bytes)", target, resp.ContentLength, ErrTooLarge, c.cfg.MaxResponseBytes)
	}
	body := &guardedBody{
		url: target, body: resp.Body, cancel: cancel, ctx: rctx,
		idle: c.cfg.IdleTimeout, left: c.cfg.MaxResponseBytes,
	}
	body.timer = time.AfterFunc(c.cfg.IdleTimeout, body.expire)
	return &Response{
		URL: target, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
		Body: body,
	}, nil
}

// StatusError is an HTTP response that is neither success nor retried.
type StatusError struct {
	URL    string
	Code   int
	Status string
}

func (e *StatusError) Error() string { return fmt.Sprintf("feed: GET %s: %s", e.URL, e.Status) }

func (c *Client) openFile(u *url.URL, target string) (*Response, error) {
	f, err := os.Open(u.Path)
	if errors.Is(err, fs.ErrNotExist) {
		// A mirror is a plain copy of upstream files: a file it lacks is
		// what a 404 is upstream (OSV's modified_id.csv, for one).
		return nil, &StatusError{URL: target, Code: http.StatusNotFound, Status: "404 Not Found (no such file)"}
	}
	if err != nil {
		return nil, fmt.Errorf("feed: %s: %w", target, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("feed: %s: %w", target, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("feed: %s: not a regular file", target)
	}
	if st.Size() > c.cfg.MaxResponseBytes {
		f.Close()
		return nil, fmt.Errorf("feed: %s: %d bytes: %w (%d bytes)", target, st.Size(), ErrTooLarge, c.cfg.MaxResponseBytes)
	}
	return &Response{
		URL:          target,
		LastModified: st.ModTime().UTC().Format(http.TimeFormat),
		Body:         &limitedFile{url: target, f: f, left: c.cfg.MaxResponseBytes},
	}, nil
}

// Fetch copies upstream's body into dst. It returns the response's
// validators and the sha256 digest of the bytes written; a 304 gives
// ErrUnchanged (see FetchSingle for the digest comparison). When dst can be
// rewound (an *os.File), a body that fails half-way is retried too.
func (c *Client) Fetch(ctx context.Context, upstream string, prev Fingerprint, dst io.Writer) (Fingerprint, error) {
	rw, canRewind := dst.(rewinder)
	var start int64
	if canRewind {
		var err error
		if start, err = rw.Seek(0, io.SeekCurrent); err != nil {
			canRewind = false
		}
	}
	backoff := c.cfg.RetryBackoff
	for attempt := 0; ; attempt++ {
		fp, err := c.fetchOnce(ctx, upstream, prev, dst)
		if err == nil || !canRewind || attempt >= c.cfg.Retries || ctx.Err() != nil || !isBodyFailure(err) {
			return fp, err
		}
		if _, serr := rw.Seek(start, io.SeekStart); serr != nil {
			return fp, err
		}
		if terr := rw.Truncate(start); terr != nil {
			return fp, err
		}
		if serr := c.sleep(ctx, backoff); serr != nil {
			return fp, err
		}
		backoff *= 2
	}
}

type rewinder interface {
	io.Seeker
	Truncate(size int64) error
}

// bodyError marks a failure while reading a body that had started.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

func isBodyFailure(err error) bool {
	var be *bodyError
	return errors.As(err, &be) && !errors.Is(err, ErrTooLarge)
}

func (c *Client) fetchOnce(ctx context.Context, upstream string, prev Fingerprint, dst io.Writer) (Fingerprint, error) {
	resp, err := c.Open(ctx, upstream, prev)
	if err != nil {
		return Fingerprint{}, err
	}
	defer resp.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(dst, h), resp.Body); err != nil {
		var be *bodyError
		if errors.As(err, &be) {
			return Fingerprint{}, err
		}
		return Fingerprint{}, fmt.Errorf("feed: %s: writing: %w", resp.URL, err)
	}
	return Fingerprint{ETag: resp.ETag, LastModified: resp.LastModified, Digest: DigestOf(h)}, nil
}

// FetchSingle is Fetch for a source made of one URL: it also returns
// ErrUnchanged when the body is byte-identical to the previous one (same
// Digest), which catches servers and mirrors without validators.
func FetchSingle(ctx context.Context, c *Client, upstream string, prev Fingerprint, dst io.Writer) (Fingerprint, error) {
	fp, err := c.Fetch(ctx, upstream, prev, dst)
	if err != nil {
		return fp, err
	}
	if prev.Digest != "" && fp.Digest == prev.Digest {
		return fp, ErrUnchanged
	}
	return fp, nil
}

// DigestOf formats a sha256 hash as a Fingerprint digest ("sha256:…").
func DigestOf(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

// guardedBody enforces the size limit, the idle timeout and (through its
// request context) the overall deadline, and names the URL in its errors.
type guardedBody struct {
	url    string
	body   io.ReadCloser
	ctx    context.Context
	cancel context.CancelFunc
	idle   time.Duration
	left   int64
	timer  *time.Timer

	mu      sync.Mutex
	expired bool
}

func (b *guardedBody) expire() {
	b.mu.Lock()
	b.expired = true
	b.mu.Unlock()
	b.cancel()
}

func (b *guardedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.body.Read(one[:])
		if n > 0 {
			return 0, &bodyError{fmt.Errorf("feed: %s: %w", b.url, ErrTooLarge)}
		}
		return 0, b.wrap(err)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	return n, b.wrap(err)
}

func (b *guardedBody) wrap(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	b.mu.Lock()
	expired := b.expired
	b.mu.Unlock()
	switch {
	case expired:
		return &bodyError{fmt.Errorf("feed: %s: no data for %v: %w", b.url, b.idle, context.DeadlineExceeded)}
	case errors.Is(b.ctx.Err(), context.DeadlineExceeded):
		return &bodyError{fmt.Errorf("feed: %s: request deadline passed while reading: %w", b.url, context.DeadlineExceeded)}
	}
	return &bodyError{fmt.Errorf("feed: %s: reading: %w", b.url, err)}
}

func (b *guardedBody) Close() error {
	b.timer.Stop()
	err := b.body.Close()
	b.cancel()
	return err
}

type limitedFile struct {
	url  string
	f    *os.File
	left int64
}

func (l *limitedFile) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		if n, _ := l.f.Read(one[:]); n > 0 {
			return 0, &bodyError{fmt.Errorf("feed: %s: %w", l.url, ErrTooLarge)}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.f.Read(p)
	l.left -= int64(n)
	if err != nil && err != io.EOF {
		err = &bodyError{fmt.Errorf("feed: %s: %w", l.url, err)}
	}
	return n, err
}

func (l *limitedFile) Close() error { return l.f.Close() }

func drain(body io.ReadCloser) {
	// A little draining lets the connection be reused; more is not worth it.
	io.CopyN(io.Discard, body, 4<<10)
	body.Close()
}

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, 5*time.Minute)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), 5*time.Minute)
	}
	return 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
