// Package epss imports FIRST's daily Exploit Prediction Scoring System
// scores: one probability and percentile per CVE.
package epss

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
)

// Updater imports the daily CSV as one Full batch of EPSS entries.
type Updater struct {
	client *feed.Client
	url    string
}

// New returns the EPSS updater; url "" is the production URL.
func New(client *feed.Client, url string) *Updater {
	if url == "" {
		url = feed.DefaultEPSSURL
	}
	return &Updater{client: client, url: url}
}

// Name is "epss".
func (u *Updater) Name() string { return "epss" }

// URLs returns the CSV's URL.
func (u *Updater) URLs() []string { return []string{u.url} }

// Fetch downloads the gzipped CSV, conditionally on prev.
func (u *Updater) Fetch(ctx context.Context, prev feed.Fingerprint, dst io.Writer) (feed.Fingerprint, error) {
	return feed.FetchSingle(ctx, u.client, u.url, prev, dst)
}

// ErrLine is wrapped by the error for a CSV line that is skipped.
var ErrLine = errors.New("bad EPSS line")

// Parse reads the CSV, gzipped or not: an optional
// "#model_version:…,score_date:…" comment (the score date becomes each
// entry's Date, at midnight UTC), the "cve,epss,percentile" header, then one
// line per CVE. A malformed line, such as a last line cut short, is yielded
// as an error and skipped; a broken gzip stream ends the batch with an
// error wrapping feed.ErrBroken.
func (u *Updater) Parse(ctx context.Context, src io.Reader) (feed.Batch, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return feed.Batch{}, fmt.Errorf("epss: %w", err)
		}
		r = zr
	}
	lines := bufio.NewReaderSize(r, 64<<10)
	var date time.Time
	lineNo := 0
	// The comment and the column header come first.
	for {
		line, err := readLine(lines)
		lineNo++
		if err != nil {
			return feed.Batch{}, fmt.Errorf("epss: line %d: no header: %w", lineNo, err)
		}
		line = strings.TrimPrefix(line, "\ufeff")
		if strings.HasPrefix(line, "#") {
			date = scoreDate(line)
			continue
		}
		if cols := strings.Split(line, ","); len(cols) < 3 || cols[0] != "cve" || cols[1] != "epss" || cols[2] != "percentile" {
			return feed.Batch{}, fmt.Errorf("epss: line %d: want the header cve,epss,percentile, got %.80q", lineNo, line)
		}
		break
	}
	return feed.Batch{Source: u.Name(), Full: true, EPSS: func(yield func(advisory.EPSS, error) bool) {
		for n := lineNo + 1; ; n++ {
			if n%4096 == 0 && ctx.Err() != nil {
				yield(advisory.EPSS{}, fmt.Errorf("epss: %w: %w", feed.ErrBroken, ctx.Err()))
				return
			}
			line, err := readLine(lines)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(advisory.EPSS{}, fmt.Errorf("epss: line %d: %w: %w", n, feed.ErrBroken, err))
				return
			}
			if line == "" {
				continue
			}
			e, err := ParseLine(line)
			if err != nil {
				err = fmt.Errorf("epss: line %d: %w", n, err)
			}
			e.Date = date
			if !yield(e, err) {
				return
			}
		}
	}}, nil
}

// ParseLine reads one "CVE-2024-1234,0.00043,0.09123" line.
func ParseLine(line string) (advisory.EPSS, error) {
	cols := strings.Split(line, ",")
	if len(cols) != 3 {
		return advisory.EPSS{}, fmt.Errorf("%.80q: want 3 columns: %w", line, ErrLine)
	}
	cve := cols[0]
	if !strings.HasPrefix(cve, "CVE-") || len(cve) < len("CVE-1999-0001") {
		return advisory.EPSS{}, fmt.Errorf("%.80q: bad CVE id: %w", line, ErrLine)
	}
	score, err1 := strconv.ParseFloat(cols[1], 64)
	pct, err2 := strconv.ParseFloat(cols[2], 64)
	if err1 != nil || err2 != nil || !(score >= 0 && score <= 1) || !(pct >= 0 && pct <= 1) {
		return advisory.EPSS{}, fmt.Errorf("%.80q: score and percentile must be numbers in [0, 1]: %w", line, ErrLine)
	}
	return advisory.EPSS{CVE: cve, Score: score, Percentile: pct}, nil
}

// scoreDate reads score_date from the comment line; zero when absent.
func scoreDate(comment string) time.Time {
	for part := range strings.SplitSeq(strings.TrimPrefix(comment, "#"), ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "score_date:"); ok {
			for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
				if t, err := time.Parse(layout, v); err == nil {
					y, m, d := t.UTC().Date()
					return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
				}
			}
		}
	}
	return time.Time{}
}

// readLine returns the next line without its line ending; lines longer
// than 64 KiB are errors (no EPSS line comes close).
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errors.New("line longer than 64 KiB")
	}
	if err == io.EOF && len(line) > 0 {
		err = nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}
