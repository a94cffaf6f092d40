// Package store keeps what vigil serve watches: images with their
// inventories and assessments, the reverse index from (ecosystem, package)
// to images, tracked tags, the job queue, API tokens and cross-replica
// locks, in SQLite (one process) or PostgreSQL (any number of replicas),
// with the same SQL and the same behaviour.
//
// Consumers define the small interfaces they need; *Store implements them
// all. The conformance suite in storetest runs against both databases.
package store

import (
	"errors"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
)

// Sentinel errors callers branch on.
var (
	// ErrNotFound: no image, job, token or tag by that key.
	ErrNotFound = errors.New("store: not found")
	// ErrSchemaTooNew: the database was migrated by a newer Vigil; this
	// one refuses to touch it.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this vigil knows")
	// ErrBadToken: a token that is unknown, revoked or expired.
	ErrBadToken = errors.New("store: invalid or expired token")
	// ErrLeaseLost: a job's lease passed to another worker.
	ErrLeaseLost = errors.New("store: lease lost (the job or delivery went to another worker)")
)

// Origin says how an image's inventory reached the store.
type Origin string

const (
	OriginRegistry Origin = "registry" // pulled and catalogued by a worker
	OriginSBOM     Origin = "sbom"     // uploaded as an SBOM document
)

// Image is one stored image, digest-pinned, without its inventory and
// findings (Inventory and Assessment read those).
type Image struct {
	Digest     sbom.Digest
	Repository string // "registry.example/team/app"; empty when unknown
	Tag        string // the tag it was last registered or seen under
	Reference  string // as registered: "registry.example/team/app:1.2"
	Origin     Origin
	Distro     string // "debian-12"
	Base       sbom.BaseImage
	Layers     int
	Packages   int

	Registered time.Time
	Indexed    time.Time
	// Assessed is zero until the image was first matched; DBVersion is
	// the vulnerability database version it was matched against.
	Assessed  time.Time
	DBVersion int64
	Summary   Summary
	// Size is the bytes the image takes in the store (inventory, findings
	// and its rows of the reverse index).
	Size int64
}

// Summary counts an image's findings that are not suppressed.
type Summary struct {
	Critical, High, Medium, Low, Negligible, Unknown int
	Fixable                                          int
	KEV                                              int
	// Max is the highest severity of any finding, SeverityUnknown when
	// there is none.
	Max advisory.Severity
}

// Total is the number of findings counted.
func (s Summary) Total() int {
	return s.Critical + s.High + s.Medium + s.Low + s.Negligible + s.Unknown
}

// Summarize counts findings, leaving out suppressed ones.
func Summarize(fs []advisory.Finding) Summary {
	var s Summary
	for i := range fs {
		f := &fs[i]
		if f.Suppressed != nil {
			continue
		}
		switch f.Severity {
		case advisory.SeverityCritical:
			s.Critical++
		case advisory.SeverityHigh:
			s.High++
		case advisory.SeverityMedium:
			s.Medium++
		case advisory.SeverityLow:
			s.Low++
		case advisory.SeverityNegligible:
			s.Negligible++
		default:
			s.Unknown++
		}
		if f.Fixable() {
			s.Fixable++
		}
		if f.KEV != nil {
			s.KEV++
		}
		s.Max = max(s.Max, f.Severity)
	}
	return s
}

// NewImage is what PutImage stores: an inventory and where it came from.
type NewImage struct {
	Digest     sbom.Digest
	Repository string
	Tag        string
	Reference  string
	Origin     Origin
	Inventory  *sbom.Inventory
	// Keys gives the advisory lookup keys of a package of the inventory
	// (the (ecosystem, name) pairs the matcher asks the vulnerability
	// database for); they make the reverse index. Nil indexes nothing.
	Keys func(inv *sbom.Inventory, p *sbom.Package) []Key
	// Job, when set, is queued in the transaction that stores the image
	// (its assessment): stored and queued together, or neither.
	Job *NewJob
}

// Key is one (ecosystem, package) lookup key of the vulnerability
// database: ("Debian:12", "openssl"), ("Go", "golang.org/x/net").
type Key struct{ Ecosystem, Name string }

// Assessment is the result of matching an image.
type Assessment struct {
	Findings  []advisory.Finding
	Warnings  []string
	DBVersion int64
	At        time.Time
}

// ImageFilter selects images for ListImages. Zero fields select everything.
type ImageFilter struct {
	Repository string // exact repository, or a prefix ending in "/*" or "*"
	// MinSeverity keeps images with an unsuppressed finding at or above it.
	MinSeverity advisory.Severity
	Fixable     bool // only images with a fixable finding
	KEV         bool // only images with a finding in the KEV catalogue
	Base        string
	// AssessedBefore keeps images last assessed before it (or never).
	AssessedBefore time.Time
	// Limit bounds the page (default 50, at most 1000); After is the
	// cursor returned with the previous page.
	Limit int
	After string
}

// ImagePage is one page of ListImages; Next is empty on the last page.
type ImagePage struct {
	Images []Image
	Next   string
}

// IndexedPackage is a distinct package of the reverse index: every image
// holding this exact package (same distro release, name, version, source)
// shares one.
type IndexedPackage struct {
	ID int64
	// Distro is the DistroKey of the images holding it.
	Distro        string
	Ecosystem     sbom.Ecosystem
	Name          string
	Version       string
	SourceName    string
	SourceVersion string
	PURL          string
	Arch          string
	// Evaluated is the database version its findings were evaluated
	// against; 0 when never.
	Evaluated int64
}

// PackageUse is one image holding an indexed package.
type PackageUse struct {
	PackageID  int64
	Digest     sbom.Digest
	Repository string
	Tag        string
	Base       sbom.BaseImage
	LayerIndex int
	InBase     bool
}

// Job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Job is one unit of background work, claimed by exactly one worker at a
// time under a lease.
type Job struct {
	ID       int64
	Kind     string
	Payload  []byte // JSON, the kind's own
	State    string
	Attempts int
	// MaxAttempts: after that many failed attempts the job is failed for
	// good.
	MaxAttempts int
	RunAt       time.Time
	Worker      string
	LeaseUntil  time.Time
	Created     time.Time
	Updated     time.Time
	Error       string
	Result      []byte
}

// NewJob describes a job to enqueue.
type NewJob struct {
	Kind    string
	Payload []byte
	// Dedupe, when set, makes Enqueue return the queued or running job of
	// the same kind and key instead of adding another.
	Dedupe      string
	MaxAttempts int // default 5
	RunAt       time.Time
}

// Token scopes, each including the ones before it.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
	ScopeAdmin = "admin"
)

// ScopeAllows reports whether a token of scope have may do what needs want.
func ScopeAllows(have, want string) bool {
	rank := map[string]int{ScopeRead: 1, ScopeWrite: 2, ScopeAdmin: 3}
	return rank[have] > 0 && rank[have] >= rank[want]
}

// Token is an API token as stored: its secret is never kept, only a hash.
type Token struct {
	ID       int64
	Name     string
	Scope    string
	Prefix   string // the first characters of the secret, to recognise it
	Created  time.Time
	Expires  time.Time // zero: never
	LastUsed time.Time
	Revoked  bool
}

// TagMove records a tag that pointed at a new digest.
type TagMove struct {
	Repository string
	Tag        string
	From, To   sbom.Digest
	At         time.Time
}

// TrackedTag is a (repository, tag) the server follows.
type TrackedTag struct {
	Repository string
	Tag        string
	Reference  string
	Digest     sbom.Digest
	Checked    time.Time
}

// Stats are the store's gauges for metrics.
type Stats struct {
	Images     int
	BySeverity map[advisory.Severity]int // images by their highest severity
	Jobs       map[string]int            // by state
	Packages   int                       // distinct indexed packages
}

// DistroKey identifies a distribution release in the reverse index:
// "debian;12;bookworm". Packages of different releases are different rows.
func DistroKey(d *sbom.Distro) string {
	if d == nil {
		return ""
	}
	return d.ID + ";" + d.VersionID + ";" + d.Codename
}

// DistroInfo returns the release of the images holding the package, as
// much of it as the matcher needs; nil for none.
func (p IndexedPackage) DistroInfo() *sbom.Distro {
	if p.Distro == "" {
		return nil
	}
	id, rest, _ := strings.Cut(p.Distro, ";")
	ver, code, _ := strings.Cut(rest, ";")
	return &sbom.Distro{ID: id, VersionID: ver, Codename: code}
}
