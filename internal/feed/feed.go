// Package feed is the contract between vulnerability data sources and the
// advisory store: an Updater fetches and parses one source (feed/osv,
// feed/debian, feed/alpine, feed/kev, feed/epss; the list is feed/all), and
// Run drives updaters into a Sink. It also holds what the updaters share:
// the HTTP client with mirroring, conditional requests and limits.
package feed

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
)

// Fingerprint is what a source remembers between updates to avoid refetching.
type Fingerprint struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	// Cursor is source-specific: for OSV the newest `modified` time already imported (RFC 3339).
	Cursor string `json:"cursor,omitempty"`
	// Digest of the fetched bytes (sha256:…), to skip re-importing identical content.
	Digest string `json:"digest,omitempty"`
}

// ErrUnchanged is returned by Fetch when upstream has nothing new.
var ErrUnchanged = errors.New("feed: unchanged")

// Batch is what one update of one source produces.
type Batch struct {
	Source string // the updater's Name()
	// Full is true when the batch is a complete snapshot of the source: stored
	// advisories of this source that it does not contain have been withdrawn
	// upstream (recorded as withdrawn in the change log). False for deltas
	// (OSV modified_id.csv), where absent records are unchanged.
	Full bool
	// Exactly one of these is non-nil. Iterators yield an error for a bad
	// record (it is counted and skipped, the import goes on); they stop early
	// if the consumer stops.
	Advisories iter.Seq2[advisory.Advisory, error]
	KEV        iter.Seq2[advisory.KEV, error]
	EPSS       iter.Seq2[advisory.EPSS, error]
}

// Updater fetches and parses one source. Fetch is separate from Parse so that
// recorded upstream data can be replayed offline.
type Updater interface {
	Name() string
	// URLs returns the upstream URL(s) the updater reads (before mirroring), for status output.
	URLs() []string
	Fetch(ctx context.Context, prev Fingerprint, dst io.Writer) (Fingerprint, error)
	Parse(ctx context.Context, src io.Reader) (Batch, error)
}

// SourceState is what the store keeps per source.
type SourceState struct {
	Source      string
	URL         string
	Fingerprint Fingerprint
	LastAttempt time.Time
	LastSuccess time.Time
	Records     int    // advisories (or KEV/EPSS entries) currently stored for the source
	LastError   string // empty after a success
}

// ApplyStats reports what an Apply did.
type ApplyStats struct {
	Added, Modified, Withdrawn, Unchanged, Skipped int
	SkippedErrors                                  []string // first few skip reasons, "source id: reason"
}

// Sink stores batches; *vulndb.DB implements it.
type Sink interface {
	// Apply stores a batch atomically: readers see the previous state until it
	// commits; on error nothing of the batch is visible. It records every
	// added/modified/withdrawn advisory in the change log, and state (with
	// fingerprint) in the same transaction.
	Apply(ctx context.Context, b Batch, state SourceState) (ApplyStats, error)
	// State returns the stored state of a source (zero value when never updated).
	State(ctx context.Context, source string) (SourceState, error)
	// RecordFailure stores LastAttempt and LastError for a source, leaving its data in place.
	RecordFailure(ctx context.Context, source string, attempt time.Time, err error) error
	// RecordUnchanged stores LastAttempt for a source whose upstream had
	// nothing new, clearing LastError; its data and LastSuccess stay.
	RecordUnchanged(ctx context.Context, source string, attempt time.Time) error
}
