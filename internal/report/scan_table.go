package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/vigilproject/vigil/internal/advisory"
)

// Severity colours. Every sequence has the same length (7 bytes) so that
// tabwriter, which counts escape bytes as width, keeps the columns after
// the severity aligned; the header's bold is padded to match.
var severityColor = map[advisory.Severity]string{
	advisory.SeverityCritical:   "\x1b[1;31m",
	advisory.SeverityHigh:       "\x1b[0;31m",
	advisory.SeverityMedium:     "\x1b[0;33m",
	advisory.SeverityLow:        "\x1b[0;34m",
	advisory.SeverityNegligible: "\x1b[0;37m",
	advisory.SeverityUnknown:    "\x1b[0;37m",
}

const ansiHeaderCell = "\x1b[1;39m"

func writeScanTable(w io.Writer, res *ScanResult, opts Options) error {
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}
	inv := res.Inventory
	src := inv.Source
	header := [][2]string{{"Image", orUnknown(src.Reference)}}
	if src.ManifestDigest != "" {
		header = append(header, [2]string{"Digest", string(src.ManifestDigest)})
	}
	header = append(header, [2]string{"Distro", distroLine(inv.Distro)})
	header = append(header, [2]string{"Base image", baseLine(inv.BaseImage)})
	header = append(header, [2]string{"Database", dbLine(res)})
	for _, h := range header {
		fmt.Fprintf(bw, "%s %s\n", paint(ansiBold, fmt.Sprintf("%-11s", h[0]+":")), cell(h[1], 200))
	}
	bw.WriteString("\n")

	active := activeFindings(res)
	sum := summarize(res.Findings)
	switch {
	case len(active) == 0:
		bw.WriteString("No vulnerabilities found.\n")
	case inv.BaseImage.Known():
		var baseF, appF []*advisory.Finding
		for _, f := range active {
			if inBase(f) {
				baseF = append(baseF, f)
			} else {
				appF = append(appF, f)
			}
		}
		sections := []struct {
			title string
			fs    []*advisory.Finding
		}{
			{"Base image " + cell(baseName(inv.BaseImage), 120) + " (fix by updating the base image)", baseF},
			{"Image layers (fix in this image's build)", appF},
		}
		first := true
		for _, s := range sections {
			if len(s.fs) == 0 {
				continue
			}
			if !first {
				bw.WriteString("\n")
			}
			first = false
			fmt.Fprintf(bw, "%s\n", paint(ansiBold, fmt.Sprintf("%s: %d %s", s.title, len(s.fs), plural(len(s.fs), "vulnerability", "vulnerabilities"))))
			if err := writeFindingTable(bw, s.fs, opts); err != nil {
				return err
			}
		}
	default:
		if err := writeFindingTable(bw, active, opts); err != nil {
			return err
		}
	}
	bw.WriteString("\n")
	bw.WriteString(summaryText(sum))
	bw.WriteString("\n")
	warnings := len(res.Warnings) + len(inv.Warnings)
	if warnings > 0 {
		bw.WriteString(paint(ansiYellow, fmt.Sprintf("%d %s (see --format json)", warnings, plural(warnings, "warning", "warnings"))))
		bw.WriteString("\n")
	}
	return bw.Flush()
}

// writeFindingTable writes findings grouped by package: the package's name
// and version on the first row of its group only.
func writeFindingTable(w io.Writer, findings []*advisory.Finding, opts Options) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 8, 2, ' ', 0)
	sev := func(s advisory.Severity, text string) string {
		if !opts.Color {
			return text
		}
		return severityColor[s] + text + ansiReset
	}
	head := "SEVERITY"
	if opts.Color {
		head = ansiHeaderCell + head + ansiReset
	}
	fmt.Fprintf(tw, "PACKAGE\tINSTALLED\tVULNERABILITY\t%s\tSTATUS\tFIXED IN\tNOTES\n", head)
	for _, g := range groupByPackage(findings) {
		for i, f := range g.Findings {
			name, version := "", ""
			if i == 0 {
				name, version = cell(g.Name, maxCell), cell(g.Version, maxCell)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				name, version,
				cell(f.ID, maxCell),
				sev(f.Severity, f.Severity.String()),
				cell(string(f.Status), maxCell),
				cell(fixedIn(f), maxCell),
				cell(strings.Join(exploitNotes(f), ", "), maxCell),
			)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(trimLines(buf.Bytes()))
	return err
}
