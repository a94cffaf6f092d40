package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/vigilproject/vigil/internal/sbom"
)

// ANSI sequences for the table. Every row of the package table starts with
// a sequence of the same length (bold for the header, reset for the rest)
// so that tabwriter, which counts escape bytes as width, still aligns the
// columns.
const (
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
	ansiYellow = "\x1b[33m"
)

// Longest cell shown in the table; longer text is cut with "…".
const maxCell = 60

func writeTable(w io.Writer, inv *sbom.Inventory, opts Options) error {
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}

	src := inv.Source
	header := [][2]string{{"Image", orUnknown(src.Reference)}}
	if src.ManifestDigest != "" {
		header = append(header, [2]string{"Digest", string(src.ManifestDigest)})
	}
	if p := platform(src); p != "" {
		header = append(header, [2]string{"Platform", p})
	}
	header = append(header, [2]string{"Distro", distroLine(inv.Distro)})
	header = append(header, [2]string{"Base image", baseLine(inv.BaseImage)})
	for _, h := range header {
		fmt.Fprintf(bw, "%s %s\n", paint(ansiBold, fmt.Sprintf("%-11s", h[0]+":")), cell(h[1], 200))
	}
	bw.WriteString("\n")

	if len(inv.Packages) == 0 {
		bw.WriteString("No packages found.\n")
	} else {
		if err := writePackageTable(bw, inv, opts); err != nil {
			return err
		}
		bw.WriteString("\n")
		bw.WriteString(summaryLine(inv))
		bw.WriteString("\n")
	}
	if n := len(inv.Warnings); n > 0 {
		bw.WriteString(paint(ansiYellow, fmt.Sprintf("%d %s (see --format json)", n, plural(n, "warning", "warnings"))))
		bw.WriteString("\n")
	}
	return bw.Flush()
}

func writePackageTable(w io.Writer, inv *sbom.Inventory, opts Options) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 8, 2, ' ', 0)
	rowStart := ""
	if opts.Color {
		rowStart = ansiBold
	}
	fmt.Fprintf(tw, "%sNAME\tVERSION\tTYPE\tSOURCE\tLAYER\tBASE\tLICENSE%s\n", rowStart, resetIf(opts.Color))
	if opts.Color {
		rowStart = ansiReset
	}
	for _, p := range sortedPackages(inv) {
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			rowStart,
			cell(p.Name, maxCell),
			cell(p.Version, maxCell),
			cell(string(p.Ecosystem), maxCell),
			cell(sourceCell(p), maxCell),
			p.Layer.Index,
			baseCell(inv.BaseImage, p),
			cell(licenseCell(p), maxCell),
		)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// tabwriter pads every cell but the last, so a row whose last cell is
	// empty would end in spaces.
	_, err := w.Write(trimLines(buf.Bytes()))
	return err
}

// trimLines drops spaces at the end of each line.
func trimLines(b []byte) []byte {
	lines := bytes.Split(b, []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimRight(l, " ")
	}
	return bytes.Join(lines, []byte("\n"))
}

func resetIf(color bool) string {
	if color {
		return ansiReset
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func platform(src sbom.Source) string {
	if src.OS == "" && src.Architecture == "" {
		return ""
	}
	p := src.OS + "/" + src.Architecture
	if src.Variant != "" {
		p += "/" + src.Variant
	}
	return p
}

func distroLine(d *sbom.Distro) string {
	if d == nil || (d.ID == "" && d.PrettyName == "") {
		return "unknown"
	}
	var b strings.Builder
	if d.PrettyName != "" {
		b.WriteString(d.PrettyName)
		b.WriteString(" [")
		b.WriteString(d.Release())
		b.WriteString("]")
	} else {
		b.WriteString(d.Release())
		if d.Codename != "" {
			b.WriteString(" (" + d.Codename + ")")
		}
	}
	if d.Distroless {
		b.WriteString(", distroless")
	}
	if d.Unknown {
		b.WriteString(", release unknown")
	}
	return b.String()
}

func baseLine(b sbom.BaseImage) string {
	if !b.Known() {
		return "unknown"
	}
	how := "from " + string(b.Source)
	switch b.Source {
	case sbom.BaseFromAnnotation:
		how = "from image annotations"
	case sbom.BaseFromFlag:
		how = "from --base-image"
	}
	return fmt.Sprintf("%s (%s, %d %s)", baseName(b), how, b.Layers, plural(b.Layers, "layer", "layers"))
}

// sourceCell shows the source package when it differs from the binary
// package, which is when matching by source matters to the reader.
func sourceCell(p *sbom.Package) string {
	if p.SourceName == "" && p.SourceVersion == "" {
		return ""
	}
	name := cmpOr(p.SourceName, p.Name)
	version := cmpOr(p.SourceVersion, p.Version)
	if name == p.Name && version == p.Version {
		return ""
	}
	if version == p.Version {
		return name
	}
	return name + " " + version
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func baseCell(b sbom.BaseImage, p *sbom.Package) string {
	switch {
	case !b.Known():
		return "?"
	case p.InBase:
		return "yes"
	default:
		return "no"
	}
}

func licenseCell(p *sbom.Package) string {
	var parts []string
	for _, l := range licenseTerms(p) {
		s := l.SPDX
		if s == "" || !validSPDXExpression(s) {
			s = cmpOr(l.Value, l.SPDX)
		}
		if !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

func summaryLine(inv *sbom.Inventory) string {
	counts := map[sbom.Ecosystem]int{}
	var ecos []sbom.Ecosystem
	for _, p := range inv.Packages {
		if counts[p.Ecosystem] == 0 {
			ecos = append(ecos, p.Ecosystem)
		}
		counts[p.Ecosystem]++
	}
	slices.Sort(ecos)
	n := len(inv.Packages)
	s := fmt.Sprintf("%d %s", n, plural(n, "package", "packages"))
	if len(ecos) > 0 {
		parts := make([]string, len(ecos))
		for i, e := range ecos {
			parts[i] = fmt.Sprintf("%d %s", counts[e], cell(cmpOr(string(e), "unknown"), maxCell))
		}
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cell makes s safe to print on a terminal and in a tabwriter column:
// control characters (tabs, newlines, escape sequences that could rewrite
// the screen) and invisible format characters (bidi overrides that could
// disguise text) are shown as Go escapes, invalid UTF-8 as U+FFFD, and the
// result is cut to n runes.
func cell(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, needsEscape) >= 0 {
		var b strings.Builder
		for _, r := range s {
			if needsEscape(r) {
				q := strconv.QuoteRune(r)
				b.WriteString(q[1 : len(q)-1])
				continue
			}
			b.WriteRune(r)
		}
		s = b.String()
	}
	return truncate(s, n)
}

// needsEscape reports control and format characters, except the zero-width
// joiner that emoji sequences need.
func needsEscape(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d' || r == '\u2028' || r == '\u2029'
}
