// Package osv imports one OSV ecosystem from the OSV.dev bucket: the whole
// all.zip the first time, then only the records modified_id.csv lists as
// changed since the last update.
package osv

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vigilproject/vigil/internal/feed"
)

// Options tune an Updater; zero fields take the defaults.
type Options struct {
	// BaseURL is the bucket (default feed.DefaultOSVBaseURL).
	BaseURL string
	// DeltaThreshold: with more changed records than this, all.zip is
	// fetched instead of single records (default 5000).
	DeltaThreshold int
	// Concurrency bounds parallel single-record fetches (default 8).
	Concurrency int
	// MaxRecordBytes caps one record, decompressed (default 16 MiB).
	MaxRecordBytes int64
	// MaxArchiveBytes caps the whole all.zip once decompressed, and an
	// archive read from a stream (default 16 GiB).
	MaxArchiveBytes int64
}

func (o Options) withDefaults() Options {
	if o.BaseURL == "" {
		o.BaseURL = feed.DefaultOSVBaseURL
	}
	if o.DeltaThreshold <= 0 {
		o.DeltaThreshold = 5000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = 16 << 20
	}
	if o.MaxArchiveBytes <= 0 {
		o.MaxArchiveBytes = 16 << 30
	}
	return o
}

// Updater imports one OSV ecosystem. Its Fingerprint.Cursor is the newest
// modified time (RFC 3339) of modified_id.csv already imported; while the
// cursor is set, ETag and LastModified are modified_id.csv's validators,
// otherwise all.zip's.
type Updater struct {
	client    *feed.Client
	ecosystem string
	opts      Options
}

// New returns the updater of one ecosystem ("Go", "Debian", "Red Hat" …).
// The ecosystem must be one Vigil orders versions for.
func New(client *feed.Client, ecosystem string, opts Options) (*Updater, error) {
	if err := feed.CheckOSVEcosystem(ecosystem); err != nil {
		return nil, fmt.Errorf("osv: %w", err)
	}
	return &Updater{client: client, ecosystem: ecosystem, opts: opts.withDefaults()}, nil
}

// Name is "osv/<Ecosystem>".
func (u *Updater) Name() string { return "osv/" + u.ecosystem }

// URLs returns the ecosystem's all.zip and modified_id.csv.
func (u *Updater) URLs() []string { return []string{u.url("all.zip"), u.url("modified_id.csv")} }

func (u *Updater) url(file string) string {
	return strings.TrimSuffix(u.opts.BaseURL, "/") + "/" + url.PathEscape(u.ecosystem) + "/" + file
}

// Fetch writes all.zip (first update, or when more than DeltaThreshold
// records changed) or a delta of the changed records into dst. Nothing
// newer than the cursor gives feed.ErrUnchanged.
func (u *Updater) Fetch(ctx context.Context, prev feed.Fingerprint, dst io.Writer) (feed.Fingerprint, error) {
	if prev.Cursor == "" {
		return u.fetchAll(ctx, prev, dst)
	}
	cursor, err := time.Parse(time.RFC3339Nano, prev.Cursor)
	if err != nil {
		return u.fetchAll(ctx, feed.Fingerprint{}, dst)
	}
	resp, err := u.client.Open(ctx, u.url("modified_id.csv"), feed.Fingerprint{ETag: prev.ETag, LastModified: prev.LastModified})
	if errors.Is(err, feed.ErrUnchanged) {
		return prev, feed.ErrUnchanged
	}
	var se *feed.StatusError
	if errors.As(err, &se) && se.Code == 404 {
		// A mirror without the index: fall back to whole archives.
		return u.fetchAll(ctx, feed.Fingerprint{}, dst)
	}
	if err != nil {
		return prev, err
	}
	changed, newest, err := readChanges(resp.Body, resp.URL, cursor, u.opts.DeltaThreshold+1)
	resp.Body.Close()
	if err != nil {
		return prev, err
	}
	next := feed.Fingerprint{ETag: resp.ETag, LastModified: resp.LastModified, Cursor: prev.Cursor}
	if len(changed) == 0 {
		return next, feed.ErrUnchanged
	}
	if len(changed) > u.opts.DeltaThreshold {
		return u.fetchAll(ctx, feed.Fingerprint{}, dst)
	}
	next.Cursor = newest.UTC().Format(time.RFC3339Nano)
	digest, err := u.writeDelta(ctx, changed, dst)
	if err != nil {
		return prev, err
	}
	next.Digest = digest
	return next, nil
}

// fetchAll reads the newest time of modified_id.csv first, so the cursor
// never runs ahead of the archive that follows, then copies all.zip.
func (u *Updater) fetchAll(ctx context.Context, prev feed.Fingerprint, dst io.Writer) (feed.Fingerprint, error) {
	var next feed.Fingerprint
	resp, err := u.client.Open(ctx, u.url("modified_id.csv"), feed.Fingerprint{})
	var se *feed.StatusError
	switch {
	case errors.As(err, &se) && se.Code == 404:
		// No index: the archive's own validators will do.
	case err != nil:
		return prev, err
	default:
		_, newest, rerr := readChanges(resp.Body, resp.URL, time.Time{}, 1)
		resp.Body.Close()
		if rerr != nil {
			return prev, rerr
		}
		if !newest.IsZero() {
			next = feed.Fingerprint{ETag: resp.ETag, LastModified: resp.LastModified, Cursor: newest.UTC().Format(time.RFC3339Nano)}
		}
	}
	cond := feed.Fingerprint{}
	if prev.Cursor == "" && next.Cursor == "" {
		cond = prev
	}
	fp, err := u.client.Fetch(ctx, u.url("all.zip"), cond, dst)
	if err != nil {
		return prev, err
	}
	if next.Cursor == "" {
		next.ETag, next.LastModified = fp.ETag, fp.LastModified
	}
	next.Digest = fp.Digest
	if prev.Digest != "" && prev.Digest == fp.Digest {
		return next, feed.ErrUnchanged
	}
	return next, nil
}

// readChanges reads modified_id.csv ("<RFC 3339 time>,<id>" lines, newest
// first) up to the first line not newer than since, or until max ids. It
// returns the ids and the newest time.
func readChanges(r io.Reader, src string, since time.Time, max int) ([]string, time.Time, error) {
	var ids []string
	var newest time.Time
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		ts, id, ok := strings.Cut(line, ",")
		t, err := time.Parse(time.RFC3339Nano, ts)
		if !ok || err != nil {
			return nil, time.Time{}, fmt.Errorf("osv: %s line %d: want \"<RFC 3339 time>,<id>\", got %q", src, n, line)
		}
		// The bucket-wide index prefixes ids with their ecosystem.
		if i := strings.LastIndexByte(id, '/'); i >= 0 {
			id = id[i+1:]
		}
		if !validID(id) {
			return nil, time.Time{}, fmt.Errorf("osv: %s line %d: bad id %q", src, n, id)
		}
		if !t.After(since) {
			break
		}
		if t.After(newest) {
			newest = t
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
		if len(ids) >= max {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, time.Time{}, fmt.Errorf("osv: %s: %w", src, err)
	}
	return ids, newest, nil
}

func validID(id string) bool {
	if id == "" || id == "." || id == ".." || len(id) > 200 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:+", r)) {
			return false
		}
	}
	return true
}

// writeDelta fetches the changed records (Concurrency at a time) and writes
// the delta: a header line, then one compact record per line, in the order
// modified_id.csv listed them. A record that is gone (404) or not JSON is
// listed in the header's skipped entries instead.
func (u *Updater) writeDelta(ctx context.Context, ids []string, dst io.Writer) (string, error) {
	records := make([][]byte, len(ids))
	skipped := make([]*skippedItem, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(u.opts.Concurrency)
	var mu sync.Mutex
	for i, id := range ids {
		g.Go(func() error {
			rec, skip, err := u.fetchRecord(gctx, id)
			if err != nil {
				return err
			}
			mu.Lock()
			records[i], skipped[i] = rec, skip
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	h := deltaHeader{Format: deltaFormat, Ecosystem: u.ecosystem}
	for i := range ids {
		if skipped[i] != nil {
			h.Skipped = append(h.Skipped, *skipped[i])
		} else {
			h.Records++
		}
	}
	hs := sha256.New()
	w := bufio.NewWriter(io.MultiWriter(dst, hs))
	head, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	w.Write(head)
	w.WriteByte('\n')
	for _, rec := range records {
		if rec != nil {
			w.Write(rec)
			w.WriteByte('\n')
		}
	}
	if err := w.Flush(); err != nil {
		return "", fmt.Errorf("%s: writing the delta: %w", u.Name(), err)
	}
	return feed.DigestOf(hs), nil
}

func (u *Updater) fetchRecord(ctx context.Context, id string) ([]byte, *skippedItem, error) {
	resp, err := u.client.Open(ctx, u.url(url.PathEscape(id)+".json"), feed.Fingerprint{})
	var se *feed.StatusError
	if errors.As(err, &se) && se.Code == 404 {
		return nil, &skippedItem{ID: id, Reason: "listed in modified_id.csv but not found (404)"}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, u.opts.MaxRecordBytes+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(body)) > u.opts.MaxRecordBytes {
		return nil, &skippedItem{ID: id, Reason: fmt.Sprintf("over the %d-byte record limit", u.opts.MaxRecordBytes)}, nil
	}
	var line bytes.Buffer
	if err := json.Compact(&line, body); err != nil {
		return nil, &skippedItem{ID: id, Reason: "invalid JSON: " + err.Error()}, nil
	}
	return line.Bytes(), nil, nil
}
