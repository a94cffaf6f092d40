package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/match"
	"github.com/vigilproject/vigil/internal/match/suppress"
	"github.com/vigilproject/vigil/internal/report"
	"github.com/vigilproject/vigil/internal/vulndb"
)

func newScanCmd(g *globals) *cobra.Command {
	var f imageFlags
	var db dbFlags
	var format, output, template, severity, failOn string
	var ignoreUnfixed, kevOnly, failOnKEV, offline, skipUpdate bool
	var epssMin float64
	var ignoreFile string
	var vexFiles []string
	var maxAge time.Duration
	cmd := &cobra.Command{
		Use:   "scan TARGET",
		Short: "Find the known vulnerabilities of an image",
		Long: `Inventory an image (any target 'vigil sbom' takes) and match every component
against the vulnerability database: distribution packages against their own
distribution's data for that release, by source package; application packages
against OSV's ranges for their ecosystem.

When no database exists yet, it is created first with 'vigil db update' (unless
--offline). A database older than --max-age is used with a warning.

Exit codes: 0 when no finding at or above --fail-on remains (or --fail-on is not
given), 1 when one does (or, with --fail-on-kev, when a finding is in CISA's KEV
catalogue), 2 on errors.

Formats: ` + strings.Join(report.ScanFormats(), ", ") + `.`,
		Example: `  vigil scan alpine:3.20
  vigil scan oci-dir:./image --fail-on high --ignore-unfixed
  vigil scan ./app.tar -f sarif -o results.sarif`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if !validFormat(format, report.ScanFormats()) {
				return fmt.Errorf("--format %q: want one of %s", format, strings.Join(report.ScanFormats(), ", "))
			}
			opts := match.Options{IgnoreUnfixed: ignoreUnfixed, KEVOnly: kevOnly, EPSSMin: epssMin}
			if severity != "" {
				s, ok := advisory.ParseSeverity(severity)
				if !ok {
					return fmt.Errorf("--severity %q: want low, medium, high or critical", severity)
				}
				opts.MinSeverity = s
			}
			var threshold advisory.Severity
			if failOn != "" {
				s, ok := advisory.ParseSeverity(failOn)
				if !ok {
					return fmt.Errorf("--fail-on %q: want low, medium, high or critical", failOn)
				}
				threshold = s
			}
			vdb, err := openScanDB(ctx, g, &db, offline || skipUpdate, maxAge)
			if err != nil {
				return err
			}
			defer vdb.Close()
			inv, err := inventory(ctx, g, &f, args[0])
			if err != nil {
				return err
			}
			ign, vex, err := loadSuppressions(ignoreFile, cmd.Flags().Changed("ignore-file"), vexFiles)
			if err != nil {
				return err
			}
			res, err := match.Match(ctx, inv, vdb, opts)
			if err != nil {
				return err
			}
			res.Warnings = append(res.Warnings, suppress.Apply(res.Findings, time.Now(), ign, vex)...)
			sr := &report.ScanResult{Inventory: inv, Findings: res.Findings, Warnings: res.Warnings}
			sr.DBVersion, _ = vdb.Version(ctx)
			sr.DBBuilt, _ = vdb.Built(ctx)
			err = writeOutput(g, output, func(w io.Writer, color bool) error {
				return report.WriteScan(w, sr, format, report.Options{Color: color, ToolVersion: version, Template: template})
			})
			switch {
			case errors.Is(err, report.ErrNoStatements):
				// Nothing to state is not a failure: a clean image must
				// not break a pipeline. No document is written.
				fmt.Fprintln(g.stderr, "note: no findings, so no OpenVEX document was written (it needs one statement or more)")
			case err != nil:
				return err
			}
			return failure(res.Findings, threshold, failOn != "", failOnKEV)
		},
	}
	f.register(cmd)
	db.register(cmd, g)
	fl := cmd.Flags()
	fl.StringVarP(&format, "format", "f", "table", "output format: "+strings.Join(report.ScanFormats(), ", "))
	fl.StringVarP(&output, "output", "o", "", "write to this file instead of stdout")
	fl.StringVar(&template, "template", "", "Go text/template for --format template")
	fl.StringVar(&severity, "severity", "", "report only findings at or above this severity")
	fl.BoolVar(&ignoreUnfixed, "ignore-unfixed", false, "report only findings with a released fix")
	fl.BoolVar(&ignoreUnfixed, "only-fixed", false, "same as --ignore-unfixed")
	fl.BoolVar(&kevOnly, "kev", false, "report only findings in CISA's Known Exploited Vulnerabilities catalogue")
	fl.Float64Var(&epssMin, "epss-min", 0, "report only findings whose EPSS score is at least this (0..1)")
	fl.StringVar(&failOn, "fail-on", "", "exit 1 when a finding at or above this severity remains")
	fl.BoolVar(&failOnKEV, "fail-on-kev", false, "exit 1 when a finding is in the KEV catalogue")
	fl.BoolVar(&offline, "offline", false, "never fetch: use the database as it is")
	fl.BoolVar(&skipUpdate, "skip-db-update", false, "do not create a missing database")
	fl.DurationVar(&maxAge, "max-age", DefaultMaxAge, "warn when the database is older than this")
	fl.StringVar(&ignoreFile, "ignore-file", ".vigilignore.yaml", "ignore rules (id or alias, optional package/PURL, reason, expiry); read when present")
	fl.StringArrayVar(&vexFiles, "vex", nil, "OpenVEX or CycloneDX VEX document whose not_affected/fixed statements suppress findings (repeatable)")
	return cmd
}

// loadSuppressions reads the ignore file (an error when it was named
// explicitly and is missing) and the VEX documents.
func loadSuppressions(ignoreFile string, explicit bool, vexFiles []string) ([]*suppress.Ignore, []*suppress.VEX, error) {
	var ign []*suppress.Ignore
	if ignoreFile != "" {
		_, err := os.Stat(ignoreFile)
		switch {
		case err == nil:
			i, err := suppress.LoadIgnore(ignoreFile)
			if err != nil {
				return nil, nil, err
			}
			ign = append(ign, i)
		case explicit:
			return nil, nil, fmt.Errorf("--ignore-file: %w", err)
		}
	}
	var vex []*suppress.VEX
	for _, f := range vexFiles {
		v, err := suppress.LoadVEX(f)
		if err != nil {
			return nil, nil, fmt.Errorf("--vex: %w", err)
		}
		vex = append(vex, v)
	}
	return ign, vex, nil
}

// openScanDB opens the vulnerability database for reading, creating it on
// first use unless told not to, and warns when it is stale.
func openScanDB(ctx context.Context, g *globals, f *dbFlags, noUpdate bool, maxAge time.Duration) (*vulndb.DB, error) {
	path := f.resolve(g)
	if _, err := os.Stat(path); err != nil {
		if noUpdate {
			return nil, fmt.Errorf("no vulnerability database at %s: run 'vigil db update' (or 'vigil db import')", path)
		}
		if !g.quiet {
			fmt.Fprintf(g.stderr, "no vulnerability database at %s: creating it (vigil db update)\n", path)
		}
		if err := runDBUpdate(ctx, g, f, feed.Config{}); err != nil {
			return nil, fmt.Errorf("creating the vulnerability database: %w", err)
		}
	}
	db, err := vulndb.Open(ctx, path, vulndb.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	if built, err := db.Built(ctx); err == nil && !g.quiet {
		if built.IsZero() || time.Since(built) > maxAge {
			fmt.Fprintf(g.stderr, "warning: the vulnerability database was last updated %s: run 'vigil db update'\n", ageOf(built))
		}
	}
	return db, nil
}

func ageOf(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return time.Since(t).Round(time.Hour).String() + " ago"
}

// failure turns the findings that count into the policy error.
func failure(findings []advisory.Finding, threshold advisory.Severity, haveThreshold, kev bool) error {
	for i := range findings {
		f := &findings[i]
		if f.Suppressed != nil {
			continue
		}
		if haveThreshold && f.Severity >= threshold {
			return fmt.Errorf("%w: %s in %s is %s (--fail-on %s)", errPolicy, f.ID, f.PackageName, f.Severity, threshold)
		}
		if kev && f.KEV != nil {
			return fmt.Errorf("%w: %s in %s is known exploited (--fail-on-kev)", errPolicy, f.ID, f.PackageName)
		}
	}
	return nil
}
