package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vigilproject/vigil/internal/store"
)

// slackMessage is what a Slack incoming webhook takes: text for
// notifications and clients without blocks, blocks for the message.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackBody(e *store.Event) ([]byte, error) {
	d := &e.Data
	image := d.Image.Repository
	if image == "" {
		image = shortDigest(d.Image.Digest)
	} else if d.Image.Tag != "" {
		image += ":" + d.Image.Tag
	}
	image = slackEscape.Replace(image)
	vuln, sev, pkg, pkgName, fixed := "", "", "", "", ""
	if v := d.Vulnerability; v != nil {
		vuln, sev = slackEscape.Replace(v.ID), v.Severity
		if len(v.FixedVersions) > 0 {
			fixed = slackEscape.Replace(strings.Join(v.FixedVersions, ", "))
		}
	}
	if p := d.Package; p != nil {
		pkg, pkgName = slackEscape.Replace(p.Name+" "+p.Version), slackEscape.Replace(p.Name)
	}
	var text, line string
	switch e.Type {
	case store.EventFindingNew:
		text = fmt.Sprintf("New %s vulnerability %s in %s (%s)", sev, vuln, image, pkg)
		line = fmt.Sprintf(":rotating_light: New *%s* vulnerability %s in *%s*\nPackage `%s`", sev, linked(vuln), image, pkg)
		if fixed != "" {
			line += fmt.Sprintf(", fixed in `%s`", fixed)
		}
	case store.EventFindingResolved:
		text = fmt.Sprintf("%s no longer affects %s (%s)", vuln, image, pkg)
		line = fmt.Sprintf(":white_check_mark: %s no longer affects *%s*\nPackage `%s`", linked(vuln), image, pkg)
	case store.EventSeverityChanged:
		was := "unknown"
		if d.Previous != nil {
			was = d.Previous.Severity
		}
		text = fmt.Sprintf("%s in %s is now %s (was %s)", vuln, image, sev, was)
		line = fmt.Sprintf(":arrows_counterclockwise: %s in *%s* is now *%s* (was %s)\nPackage `%s`", linked(vuln), image, sev, was, pkg)
	case store.EventFixAvailable:
		text = fmt.Sprintf("A fix for %s in %s is available: %s %s", vuln, image, pkgName, fixed)
		line = fmt.Sprintf(":wrench: A fix for %s (%s) in *%s* is available\nPackage `%s`, fixed in `%s`", linked(vuln), sev, image, pkg, fixed)
	case store.EventKEVAdded:
		text = fmt.Sprintf("%s in %s is now known to be exploited (CISA KEV)", vuln, image)
		line = fmt.Sprintf(":warning: %s (%s) in *%s* is now known to be exploited (CISA KEV)\nPackage `%s`", linked(vuln), sev, image, pkg)
	case store.EventImageWentBad, store.EventImageRecovered:
		verb, icon := "went bad", ":red_circle:"
		if e.Type == store.EventImageRecovered {
			verb, icon = "recovered", ":large_green_circle:"
		}
		text = fmt.Sprintf("%s %s", image, verb)
		line = fmt.Sprintf("%s *%s* %s", icon, image, verb)
		if s := d.Summary; s != nil {
			counts := fmt.Sprintf("%d critical, %d high, %d fixable, %d KEV", s.Critical, s.High, s.Fixable, s.KEV)
			text += ": " + counts
			line += "\n" + counts
		}
	default:
		text = fmt.Sprintf("%s: %s", e.Type, image)
		line = text
	}
	if v := d.Vulnerability; v != nil && v.Summary != "" && e.Type == store.EventFindingNew {
		line += "\n>" + slackEscape.Replace(truncate(v.Summary, 300))
	}
	context := fmt.Sprintf("`%s` · %s · vulnerability database %d", shortDigest(d.Image.Digest), e.Type, d.DBVersion)
	return marshal(slackMessage{Text: text, Blocks: []slackBlock{
		{Type: "section", Text: &slackText{Type: "mrkdwn", Text: line}},
		{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: context}}},
	}})
}

// linked links a vulnerability id to its public page, when it has a
// well-known one.
func linked(id string) string {
	var u string
	switch {
	case strings.HasPrefix(id, "CVE-"):
		u = "https://nvd.nist.gov/vuln/detail/" + id
	case strings.HasPrefix(id, "GHSA-"):
		u = "https://github.com/advisories/" + id
	case strings.HasPrefix(id, "GO-"):
		u = "https://pkg.go.dev/vuln/" + id
	default:
		return "*" + id + "*"
	}
	return "<" + u + "|*" + id + "*>"
}

func shortDigest(d string) string {
	if _, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		return d[:len(d)-len(hex)] + hex[:12]
	}
	return d
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
