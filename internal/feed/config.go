package feed

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/version"
)

// Production locations of the sources, used when Config leaves them empty.
const (
	DefaultOSVBaseURL       = "https://osv-vulnerabilities.storage.googleapis.com"
	DefaultDebianTrackerURL = "https://security-tracker.debian.org/tracker/data/json"
	DefaultAlpineBaseURL    = "https://secdb.alpinelinux.org"
	DefaultKEVURL           = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	DefaultEPSSURL          = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
)

// DefaultOSVEcosystems are the OSV ecosystems imported unless configured
// otherwise: the distributions and language ecosystems Vigil catalogs.
var DefaultOSVEcosystems = []string{
	"Debian", "Alpine", "Ubuntu", "Red Hat", "Rocky Linux", "AlmaLinux", "SUSE", "openSUSE",
	"Azure Linux", "Wolfi", "Chainguard", "Go", "npm", "PyPI", "Maven", "RubyGems",
	"crates.io", "NuGet", "Packagist", "Hex", "Pub", "Bitnami",
}

// DefaultAlpineBranches are the Alpine secdb branches imported unless
// configured otherwise.
var DefaultAlpineBranches = []string{"v3.17", "v3.18", "v3.19", "v3.20", "v3.21", "v3.22", "edge"}

// Defaults of the HTTP limits.
const (
	DefaultConnectTimeout   = 30 * time.Second
	DefaultHeaderTimeout    = 60 * time.Second
	DefaultIdleTimeout      = 60 * time.Second
	DefaultRequestTimeout   = 30 * time.Minute
	DefaultMaxResponseBytes = 2 << 30
	DefaultRetries          = 3
	DefaultRetryBackoff     = 2 * time.Second
	DefaultUserAgent        = "vigil-feed/1"
)

// Config says where the sources are and how to fetch them. The zero value
// means production URLs and the default limits; fill it from flags, VIGIL_*
// environment variables and the config file, then call Validate.
type Config struct {
	// Mirror, when set, redirects every http(s) source URL to a mirror: see
	// MirrorURL. It is http(s)://host/prefix or file:///dir
	// (VIGIL_FEEDS_MIRROR, --mirror).
	Mirror string

	// ConnectTimeout bounds dialling and the TLS handshake.
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the wait for response headers after the request
	// is sent.
	HeaderTimeout time.Duration
	// IdleTimeout aborts a response body that delivers no byte for this long.
	IdleTimeout time.Duration
	// RequestTimeout bounds one whole request including its body, so a
	// server trickling bytes cannot hold an update forever.
	RequestTimeout time.Duration
	// MaxResponseBytes refuses bodies (and file:// files) larger than this.
	MaxResponseBytes int64
	// Retries is how many times a request is retried after a 5xx, 429 or
	// network error; negative means no retry.
	Retries int
	// RetryBackoff is the wait before the first retry; it doubles each time.
	RetryBackoff time.Duration
	// UserAgent is sent with every request.
	UserAgent string
	// HTTPClient, when set, is used instead of a client built from the
	// timeouts above (its Transport still gets the idle and request limits).
	HTTPClient *http.Client

	// OSVBaseURL is the OSV bucket: <base>/<Ecosystem>/all.zip.
	OSVBaseURL string
	// OSVEcosystems lists the OSV ecosystems to import, one updater each.
	// Nil means DefaultOSVEcosystems; an empty non-nil slice means none.
	OSVEcosystems []string
	// OSVDeltaThreshold: when more records changed since the last update,
	// the whole all.zip is fetched instead of single records.
	OSVDeltaThreshold int
	// OSVConcurrency bounds parallel single-record fetches of one ecosystem.
	OSVConcurrency int

	// DebianTrackerURL is the security tracker's JSON dump; "-" disables it.
	DebianTrackerURL string
	// AlpineBaseURL is the secdb host: <base>/<branch>/{main,community}.json.
	AlpineBaseURL string
	// AlpineBranches lists the Alpine branches; nil means
	// DefaultAlpineBranches, empty non-nil means none.
	AlpineBranches []string
	// KEVURL is CISA's KEV catalogue; "-" disables it.
	KEVURL string
	// EPSSURL is FIRST's daily EPSS CSV (gzip); "-" disables it.
	EPSSURL string
}

// Disabled is the URL value that turns a single-URL source off.
const Disabled = "-"

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	setDur(&c.ConnectTimeout, DefaultConnectTimeout)
	setDur(&c.HeaderTimeout, DefaultHeaderTimeout)
	setDur(&c.IdleTimeout, DefaultIdleTimeout)
	setDur(&c.RequestTimeout, DefaultRequestTimeout)
	setDur(&c.RetryBackoff, DefaultRetryBackoff)
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.Retries == 0 {
		c.Retries = DefaultRetries
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.OSVBaseURL == "" {
		c.OSVBaseURL = DefaultOSVBaseURL
	}
	if c.OSVEcosystems == nil {
		c.OSVEcosystems = DefaultOSVEcosystems
	}
	if c.OSVDeltaThreshold == 0 {
		c.OSVDeltaThreshold = 5000
	}
	if c.OSVConcurrency == 0 {
		c.OSVConcurrency = 8
	}
	if c.DebianTrackerURL == "" {
		c.DebianTrackerURL = DefaultDebianTrackerURL
	}
	if c.AlpineBaseURL == "" {
		c.AlpineBaseURL = DefaultAlpineBaseURL
	}
	if c.AlpineBranches == nil {
		c.AlpineBranches = DefaultAlpineBranches
	}
	if c.KEVURL == "" {
		c.KEVURL = DefaultKEVURL
	}
	if c.EPSSURL == "" {
		c.EPSSURL = DefaultEPSSURL
	}
	return c
}

// Validate reports every problem of c (after defaults) in one error.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	if c.Mirror != "" {
		if _, err := MirrorURL(c.Mirror, "https://example.org/x"); err != nil {
			errs = append(errs, err)
		}
	}
	for name, d := range map[string]time.Duration{
		"connect timeout": c.ConnectTimeout, "header timeout": c.HeaderTimeout,
		"idle timeout": c.IdleTimeout, "request timeout": c.RequestTimeout,
		"retry backoff": c.RetryBackoff,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("feed config: %s %v is negative", name, d))
		}
	}
	if c.MaxResponseBytes < 0 {
		errs = append(errs, fmt.Errorf("feed config: max response size %d is negative", c.MaxResponseBytes))
	}
	if c.OSVDeltaThreshold < 0 || c.OSVConcurrency < 0 {
		errs = append(errs, errors.New("feed config: OSV delta threshold and concurrency must not be negative"))
	}
	for _, u := range []struct{ name, url string }{
		{"OSV base URL", c.OSVBaseURL}, {"Debian tracker URL", c.DebianTrackerURL},
		{"Alpine base URL", c.AlpineBaseURL}, {"KEV URL", c.KEVURL}, {"EPSS URL", c.EPSSURL},
	} {
		if u.url == Disabled {
			continue
		}
		if err := checkSourceURL(u.url); err != nil {
			errs = append(errs, fmt.Errorf("feed config: %s: %w", u.name, err))
		}
	}
	seen := map[string]bool{}
	for _, eco := range c.OSVEcosystems {
		if err := CheckOSVEcosystem(eco); err != nil {
			errs = append(errs, fmt.Errorf("feed config: %w", err))
		}
		if seen[eco] {
			errs = append(errs, fmt.Errorf("feed config: OSV ecosystem %q listed twice", eco))
		}
		seen[eco] = true
	}
	for _, b := range c.AlpineBranches {
		if b != "edge" && !validAlpineBranch(b) {
			errs = append(errs, fmt.Errorf("feed config: Alpine branch %q: want v3.N or edge", b))
		}
	}
	return errors.Join(errs...)
}

// CheckOSVEcosystem rejects an ecosystem name that Vigil cannot order
// versions for, such as a typo ("Debain"); the error names it.
func CheckOSVEcosystem(eco string) error {
	if eco == "" || strings.ContainsAny(eco, "/\\") || strings.Contains(eco, "..") {
		return fmt.Errorf("OSV ecosystem %q: not an ecosystem name", eco)
	}
	if _, err := version.For(eco); err != nil {
		return fmt.Errorf("OSV ecosystem %q: %w", eco, err)
	}
	return nil
}

func validAlpineBranch(b string) bool {
	rest, ok := strings.CutPrefix(b, "v")
	if !ok {
		return false
	}
	major, minor, ok := strings.Cut(rest, ".")
	return ok && isDigits(major) && isDigits(minor)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func checkSourceURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return fmt.Errorf("%q has no host", raw)
		}
	case "file":
		if u.Path == "" {
			return fmt.Errorf("%q has no path", raw)
		}
	default:
		return fmt.Errorf("%q: scheme must be http, https or file", raw)
	}
	return nil
}
