package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/vigilproject/vigil/internal/advisory"
)

// maxMarkdown is GitHub's limit on a comment body (65,536 characters).
// Lengths are counted in bytes, which are never fewer than characters.
const maxMarkdown = 65536

// markdownReserve is kept free for what follows the last row: closing tags
// and the truncation note.
const markdownReserve = 1024

// markdownCell bounds each table cell so that one hostile value cannot use
// the whole comment.
const markdownCell = 200

// mdBudget writes into a builder while it stays under the comment limit,
// counting what it had to leave out.
type mdBudget struct {
	b       strings.Builder
	omitted int
}

// row appends s if it fits and reports whether it did.
func (m *mdBudget) row(s string) bool {
	if m.b.Len()+len(s) > maxMarkdown-markdownReserve {
		m.omitted++
		return false
	}
	m.b.WriteString(s)
	return true
}

func writeScanMarkdown(w io.Writer, res *ScanResult, opts Options) error {
	var m mdBudget
	sum := summarize(res.Findings)
	inv := res.Inventory
	fmt.Fprintf(&m.b, "## Vigil scan of %s\n\n", markdownText(truncate(orUnknown(inv.Source.Reference), markdownCell)))
	if sum.Total == 0 {
		m.b.WriteString(":white_check_mark: No vulnerabilities found.")
	} else {
		fmt.Fprintf(&m.b, "**%s**", markdownText(summaryText(sum)))
	}
	if sum.Total == 0 && sum.Suppressed > 0 {
		fmt.Fprintf(&m.b, " %d suppressed by VEX/ignores.", sum.Suppressed)
	}
	m.b.WriteString("\n\n")

	m.b.WriteString("| Severity | Count |\n|---|---:|\n")
	for _, sev := range severities {
		fmt.Fprintf(&m.b, "| %s | %d |\n", capitalize(sev.String()), sum.BySeverity[sev.String()])
	}
	fmt.Fprintf(&m.b, "| **Total** | **%d** |\n| Fixable | %d |\n| Suppressed | %d |\n\n", sum.Total, sum.Fixable, sum.Suppressed)

	var fixable, unfixable []*advisory.Finding
	for _, f := range activeFindings(res) {
		if f.Fixable() {
			fixable = append(fixable, f)
		} else {
			unfixable = append(unfixable, f)
		}
	}
	baseKnown := inv.BaseImage.Known()
	if len(fixable) > 0 {
		fmt.Fprintf(&m.b, "### Fixable (%d)\n\n", len(fixable))
		mdFindingTable(&m, fixable, baseKnown)
	}
	if len(unfixable) > 0 {
		fmt.Fprintf(&m.b, "<details>\n<summary>%d without a fix</summary>\n\n", len(unfixable))
		mdFindingTable(&m, unfixable, baseKnown)
		m.b.WriteString("</details>\n\n")
	}
	if sup := suppressedFindings(res); len(sup) > 0 {
		fmt.Fprintf(&m.b, "<details>\n<summary>%d suppressed by VEX/ignores</summary>\n\n", len(sup))
		m.b.WriteString("| Vulnerability | Package | Suppressed by | Reason |\n|---|---|---|---|\n")
		for _, f := range sup {
			s := f.Suppressed
			by := s.Kind
			if s.Status != "" {
				by += " " + s.Status
			}
			m.row(fmt.Sprintf("| %s | %s %s | %s | %s |\n",
				mdLink(f.ID), mdCell(f.PackageName), mdCell(f.InstalledVersion), mdCell(by), mdCell(s.Justification)))
		}
		m.b.WriteString("\n</details>\n\n")
	}
	if m.omitted > 0 {
		fmt.Fprintf(&m.b, "> [!NOTE]\n> %d more %s not shown: the comment would exceed GitHub's 65,536-character limit. See the full report (`vigil scan --format json`).\n\n",
			m.omitted, plural(m.omitted, "row", "rows"))
	}
	db := "unknown"
	if res.DBVersion != 0 || !res.DBBuilt.IsZero() {
		db = dbLine(res)
	}
	fmt.Fprintf(&m.b, "<sub>vigil %s, vulnerability database %s</sub>\n", markdownText(truncate(cmpOr(opts.ToolVersion, "(dev)"), 64)), db)
	_, err := io.WriteString(w, m.b.String())
	return err
}

func mdFindingTable(m *mdBudget, fs []*advisory.Finding, baseKnown bool) {
	if baseKnown {
		m.b.WriteString("| Severity | Vulnerability | Package | Installed | Fixed in | Layer | Notes |\n|---|---|---|---|---|---|---|\n")
	} else {
		m.b.WriteString("| Severity | Vulnerability | Package | Installed | Fixed in | Notes |\n|---|---|---|---|---|---|\n")
	}
	for _, f := range fs {
		where := ""
		if baseKnown {
			where = " image |"
			if inBase(f) {
				where = " base |"
			}
		}
		notes := exploitNotes(f)
		if f.KEV != nil {
			notes[0] = "**KEV**"
		}
		m.row(fmt.Sprintf("| %s | %s | %s | %s | %s |%s %s |\n",
			capitalize(f.Severity.String()), mdLink(f.ID), mdCell(f.PackageName), mdCell(f.InstalledVersion),
			mdCell(fixedIn(f)), where, strings.Join(notes, ", ")))
	}
	m.b.WriteString("\n")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// mdLink links a vulnerability id to its advisory.
func mdLink(id string) string {
	return "[" + mdCell(id) + "](" + advisoryURL(id) + ")"
}

// mdCell makes s safe in a table cell: inert (see markdownText) and short.
func mdCell(s string) string { return markdownText(truncate(s, markdownCell)) }

// markdownText makes s render as the text it is in GitHub Markdown: no
// markup, no HTML, no mentions or issue links, no line breaks that would
// end a table row, and control characters shown as escapes.
func markdownText(s string) string {
	s = cell(s, 1<<30)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '{', '}', '[', ']', '<', '>', '#', '|', '~', '@', '$', '!', '^':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
