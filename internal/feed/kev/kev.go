// Package kev imports CISA's Known Exploited Vulnerabilities catalogue.
package kev

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
)

// Updater imports the catalogue as one Full batch of KEV entries.
type Updater struct {
	client *feed.Client
	url    string
}

// New returns the KEV updater; url "" is the production URL.
func New(client *feed.Client, url string) *Updater {
	if url == "" {
		url = feed.DefaultKEVURL
	}
	return &Updater{client: client, url: url}
}

// Name is "kev".
func (u *Updater) Name() string { return "kev" }

// URLs returns the catalogue URL.
func (u *Updater) URLs() []string { return []string{u.url} }

// Fetch downloads the catalogue, conditionally on prev.
func (u *Updater) Fetch(ctx context.Context, prev feed.Fingerprint, dst io.Writer) (feed.Fingerprint, error) {
	return feed.FetchSingle(ctx, u.client, u.url, prev, dst)
}

type catalog struct {
	CatalogVersion  string            `json:"catalogVersion"`
	Vulnerabilities []json.RawMessage `json:"vulnerabilities"`
}

type entry struct {
	CVE            string `json:"cveID"`
	Vendor         string `json:"vendorProject"`
	Product        string `json:"product"`
	DateAdded      string `json:"dateAdded"`
	RequiredAction string `json:"requiredAction"`
	DueDate        string `json:"dueDate"`
	Ransomware     string `json:"knownRansomwareCampaignUse"`
}

// ErrEntry is wrapped by the error for a catalogue entry that is skipped.
var ErrEntry = errors.New("bad KEV entry")

// Parse decodes the whole catalogue (about 1 MB) before yielding, so a cut
// file is an error rather than a shorter catalogue. Entries without a CVE
// id, with unreadable dates, or repeating an earlier CVE are yielded as
// errors.
func (u *Updater) Parse(ctx context.Context, src io.Reader) (feed.Batch, error) {
	entries, err := decode(src)
	if err != nil {
		return feed.Batch{}, fmt.Errorf("kev: %w", err)
	}
	return feed.Batch{Source: u.Name(), Full: true, KEV: func(yield func(advisory.KEV, error) bool) {
		seen := make(map[string]bool, len(entries))
		for i, raw := range entries {
			if i%256 == 0 && ctx.Err() != nil {
				yield(advisory.KEV{}, fmt.Errorf("kev: %w: %w", feed.ErrBroken, ctx.Err()))
				return
			}
			k, err := convert(raw)
			if err == nil && seen[k.CVE] {
				err = fmt.Errorf("%s listed twice: %w", k.CVE, ErrEntry)
			}
			if err != nil {
				if !yield(advisory.KEV{}, fmt.Errorf("kev: entry %d: %w", i+1, err)) {
					return
				}
				continue
			}
			seen[k.CVE] = true
			if !yield(k, nil) {
				return
			}
		}
	}}, nil
}

// decode reads the catalogue's entries, still raw.
func decode(src io.Reader) ([]json.RawMessage, error) {
	var c catalog
	dec := json.NewDecoder(src)
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if c.Vulnerabilities == nil {
		return nil, errors.New("no vulnerabilities array: not a KEV catalogue")
	}
	return c.Vulnerabilities, nil
}

func convert(raw json.RawMessage) (advisory.KEV, error) {
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return advisory.KEV{}, fmt.Errorf("%w: %w", ErrEntry, err)
	}
	cve := strings.TrimSpace(e.CVE)
	if !strings.HasPrefix(cve, "CVE-") {
		return advisory.KEV{}, fmt.Errorf("cveID %q: %w", e.CVE, ErrEntry)
	}
	added, err := time.Parse(time.DateOnly, strings.TrimSpace(e.DateAdded))
	if err != nil {
		return advisory.KEV{}, fmt.Errorf("%s: dateAdded %q: %w", cve, e.DateAdded, ErrEntry)
	}
	k := advisory.KEV{
		CVE: cve, DateAdded: added,
		Ransomware:     strings.EqualFold(strings.TrimSpace(e.Ransomware), "Known"),
		Vendor:         e.Vendor,
		Product:        e.Product,
		RequiredAction: e.RequiredAction,
	}
	if d := strings.TrimSpace(e.DueDate); d != "" {
		if k.DueDate, err = time.Parse(time.DateOnly, d); err != nil {
			return advisory.KEV{}, fmt.Errorf("%s: dueDate %q: %w", cve, e.DueDate, ErrEntry)
		}
	}
	return k, nil
}
