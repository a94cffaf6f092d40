package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/client"
	"github.com/vigilproject/vigil/internal/server/api"
)

// defaultServer is where the client commands look for vigil serve when
// neither --server nor VIGIL_SERVER says: serve's own default address.
const defaultServer = "http://127.0.0.1:8080"

// clientFlags reach a vigil serve.
type clientFlags struct {
	server  string
	token   string
	timeout time.Duration
}

func (f *clientFlags) register(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.server, "server", "", "URL of vigil serve (env VIGIL_SERVER; default "+defaultServer+")")
	// The default stays empty whatever the environment holds, so that help
	// and error output never show a secret.
	pf.StringVar(&f.token, "token", "", "API token (env VIGIL_TOKEN, preferred: a flag shows in the process list)")
	pf.DurationVar(&f.timeout, "timeout", 5*time.Minute, "bound on each request to the server")
}

func (f *clientFlags) client() (*client.Client, error) {
	server := cmp.Or(f.server, os.Getenv("VIGIL_SERVER"), defaultServer)
	token := cmp.Or(f.token, os.Getenv("VIGIL_TOKEN"))
	c, err := client.New(server, strings.TrimSpace(token), &http.Client{Timeout: f.timeout})
	if err != nil {
		return nil, fmt.Errorf("--server: %w", err)
	}
	c.UserAgent = "vigil/" + version
	return c, nil
}

// serverError adds what to do to the errors a person can fix.
func serverError(err error) error {
	var e *client.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Status {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w (set VIGIL_TOKEN to a token from 'vigil token create')", err)
	case http.StatusForbidden:
		return fmt.Errorf("%w (the token's scope does not allow this)", err)
	}
	return err
}

func newImagesCmd(g *globals) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "images",
		Short: "Register, list, show and remove the images a vigil serve watches",
		Long: `Work with the images stored by a 'vigil serve', through its API: --server
(VIGIL_SERVER) names the server, VIGIL_TOKEN (or --token) holds an API token.`,
	}
	f.register(cmd)
	cmd.AddCommand(newImagesAddCmd(g, &f), newImagesListCmd(g, &f), newImagesShowCmd(g, &f), newImagesRmCmd(g, &f))
	return cmd
}

func newImagesAddCmd(g *globals, f *clientFlags) *cobra.Command {
	var sbomFile, name, format string
	var wait bool
	cmd := &cobra.Command{
		Use:   "add [REF | --sbom FILE]",
		Short: "Register an image by reference, or by uploading its SBOM",
		Long: `Register an image. By reference (REF), the server's workers pull and catalogue it
and follow its tag; the command prints the job, or with --wait waits for it and
prints the image. By SBOM (--sbom FILE, '-' for stdin: CycloneDX or SPDX in JSON,
XML or tag-value, or Vigil JSON), the server stores the inventory at once; --name
says which image it describes, and --wait has it assessed before answering.`,
		Example: `  vigil images add registry.example/team/app:1.4 --wait
  vigil sbom oci-dir:./image -f cyclonedx-json | vigil images add --sbom - --name team/app:1.4`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if (len(args) == 1) == (sbomFile != "") {
				return errors.New("give either an image reference or --sbom FILE")
			}
			if name != "" && sbomFile == "" {
				return errors.New("--name goes with --sbom")
			}
			ctx := cmd.Context()
			c, err := f.client()
			if err != nil {
				return err
			}
			if sbomFile != "" {
				doc, err := readSBOM(g, sbomFile)
				if err != nil {
					return err
				}
				im, err := c.AddSBOM(ctx, name, doc, wait)
				if err != nil {
					return serverError(err)
				}
				return writeImage(g, format, im)
			}
			j, err := c.AddReference(ctx, args[0])
			if err != nil {
				return serverError(err)
			}
			if !wait {
				if format == "json" {
					return writeJSON(g.stdout, j)
				}
				_, err := fmt.Fprintf(g.stdout, "job %d (%s) %s: follow it with --wait, or 'vigil images list'\n", j.ID, j.Kind, j.State)
				return err
			}
			if !g.quiet {
				fmt.Fprintf(g.stderr, "waiting for job %d (%s)…\n", j.ID, j.Kind)
			}
			j, err = c.Wait(ctx, j.ID)
			if err != nil {
				return serverError(err)
			}
			var res struct {
				Digest string `json:"digest"`
			}
			if err := json.Unmarshal(j.Result, &res); err != nil || res.Digest == "" {
				return fmt.Errorf("job %d is done but names no image (result %.200s)", j.ID, j.Result)
			}
			d, err := c.Image(ctx, res.Digest)
			if err != nil {
				return serverError(err)
			}
			return writeImage(g, format, &d.Image)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&sbomFile, "sbom", "", "upload this SBOM file ('-': stdin) instead of naming an image")
	fl.StringVar(&name, "name", "", "the image reference the SBOM describes (repo:tag)")
	fl.BoolVar(&wait, "wait", false, "wait until the image is indexed and assessed")
	fl.StringVarP(&format, "format", "f", "table", "output format: table, json")
	return cmd
}

// maxSBOMFile bounds the SBOM read for an upload; the server has its own,
// usually lower, limit.
const maxSBOMFile = 1 << 30

func readSBOM(g *globals, file string) ([]byte, error) {
	var r io.Reader
	if file == "-" {
		if g.stdin == nil {
			return nil, errors.New("--sbom -: no standard input")
		}
		r = g.stdin
	} else {
		in, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--sbom: %w", err)
		}
		defer in.Close()
		r = in
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSBOMFile+1))
	if err != nil {
		return nil, fmt.Errorf("--sbom %s: %w", file, err)
	}
	if len(b) > maxSBOMFile {
		return nil, fmt.Errorf("--sbom %s: larger than %d bytes", file, maxSBOMFile)
	}
	return b, nil
}

func newImagesListCmd(g *globals, f *clientFlags) *cobra.Command {
	var q client.ImageQuery
	var assessedBefore, format string
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List stored images, newest first",
		Long: `List stored images, newest registration first, one page at a time: when more
remain, the cursor of the next page is printed on stderr (pass it to --after), or
--all follows every page.`,
		Example: `  vigil images list --severity high --fixable
  vigil images list --repository 'registry.example/team/*' --assessed-age 24h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if q.Severity != "" {
				if _, ok := advisory.ParseSeverity(q.Severity); !ok {
					return fmt.Errorf("--severity %q: want negligible, low, medium, high or critical", q.Severity)
				}
			}
			if assessedBefore != "" {
				t, err := time.Parse(time.RFC3339, assessedBefore)
				if err != nil {
					return fmt.Errorf("--assessed-before: want an RFC 3339 time (2026-03-01T12:00:00Z): %w", err)
				}
				q.AssessedBefore = t
			}
			ctx := cmd.Context()
			c, err := f.client()
			if err != nil {
				return err
			}
			out := api.ImageList{Images: []api.Image{}}
			for {
				page, err := c.Images(ctx, q)
				if err != nil {
					return serverError(err)
				}
				out.Images = append(out.Images, page.Images...)
				out.Next = page.Next
				if !all || page.Next == "" {
					break
				}
				if page.Next == q.After {
					return fmt.Errorf("the server handed out the same page cursor twice (%s)", page.Next)
				}
				q.After = page.Next
			}
			if format == "json" {
				return writeJSON(g.stdout, out)
			}
			if err := writeImageTable(g.stdout, out.Images); err != nil {
				return err
			}
			if out.Next != "" && !g.quiet {
				fmt.Fprintf(g.stderr, "more images: --after %s (or --all)\n", out.Next)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&q.Repository, "repository", "", "only this repository, or a prefix ending in *")
	fl.StringVar(&q.Severity, "severity", "", "only images with a finding at or above this severity")
	fl.BoolVar(&q.Fixable, "fixable", false, "only images with a fixable finding")
	fl.BoolVar(&q.KEV, "kev", false, "only images with a finding in CISA's KEV catalogue")
	fl.StringVar(&q.Base, "base", "", "only images on this base image")
	fl.StringVar(&assessedBefore, "assessed-before", "", "only images last assessed before this RFC 3339 time (or never)")
	fl.DurationVar(&q.AssessedAge, "assessed-age", 0, "only images last assessed longer ago than this (or never)")
	fl.IntVar(&q.Limit, "limit", 0, "images per page (server default 50, at most 1000)")
	fl.StringVar(&q.After, "after", "", "cursor of the page to show, printed with the previous one")
	fl.BoolVar(&all, "all", false, "follow every page")
	fl.StringVarP(&format, "format", "f", "table", "output format: table, json")
	return cmd
}

func newImagesShowCmd(g *globals, f *clientFlags) *cobra.Command {
	var format string
	var all bool
	cmd := &cobra.Command{
		Use:   "show DIGEST",
		Short: "Show a stored image and its findings",
		Long: `Show a stored image: where it came from, its base image, its last assessment and
its findings. With -f json, the whole record: the inventory (as 'vigil sbom -f
json') and the findings (as in 'vigil scan -f json').`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			ctx := cmd.Context()
			c, err := f.client()
			if err != nil {
				return err
			}
			include := []string{"findings"}
			if format == "json" {
				include = append(include, "inventory")
			}
			d, err := c.Image(ctx, args[0], include...)
			if err != nil {
				return serverError(err)
			}
			if format == "json" {
				return writeJSON(g.stdout, d)
			}
			return writeOutput(g, "", func(w io.Writer, color bool) error {
				return writeImageDetail(w, d, all, color)
			})
		},
	}
	cmd.Flags().BoolVar(&all, "suppressed", false, "list suppressed findings too")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json")
	return cmd
}

func newImagesRmCmd(g *globals, f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "rm DIGEST...",
		Short: "Remove stored images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			var errs []error
			for _, d := range args {
				if err := c.DeleteImage(cmd.Context(), d); err != nil {
					errs = append(errs, serverError(err))
					continue
				}
				if !g.quiet {
					fmt.Fprintf(g.stderr, "removed %s\n", d)
				}
			}
			return errors.Join(errs...)
		},
	}
}

// imageName is "repository:tag", the reference, or "-".
func imageName(repo, tag, ref string) string {
	switch {
	case repo != "" && tag != "":
		return repo + ":" + tag
	case repo != "":
		return repo
	case ref != "":
		return ref
	}
	return "-"
}

func writeImage(g *globals, format string, im *api.Image) error {
	if format == "json" {
		return writeJSON(g.stdout, im)
	}
	return writeImageTable(g.stdout, []api.Image{*im})
}

func writeImageTable(w io.Writer, ims []api.Image) error {
	if len(ims) == 0 {
		_, err := io.WriteString(w, "No images.\n")
		return err
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "IMAGE\tDISTRO\tPACKAGES\tCRITICAL\tHIGH\tMEDIUM\tLOW\tFIXABLE\tKEV\tASSESSED\tDIGEST")
	for _, im := range ims {
		s := im.Findings
		assessed := "never"
		if im.Assessed != nil {
			assessed = stamp(im.Assessed)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n",
			cleanCell(imageName(im.Repository, im.Tag, im.Reference)), orDash(cleanCell(im.Distro), "-"), im.Packages,
			s.Critical, s.High, s.Medium, s.Low, s.Fixable, s.KEV, assessed, cleanCell(im.Digest))
	}
	return tw.Flush()
}

// finding is the part of a stored finding the table shows. Severity is
// read as a name or as advisory.Severity's number.
type finding struct {
	ID               string          `json:"id"`
	PackageName      string          `json:"packageName"`
	InstalledVersion string          `json:"installedVersion"`
	Status           string          `json:"status"`
	Fix              advisory.Fix    `json:"fix"`
	Severity         json.RawMessage `json:"severity"`
	KEV              json.RawMessage `json:"kev"`
	InBase           bool            `json:"inBase"`
	Suppressed       json.RawMessage `json:"suppressed"`
}

func (f *finding) severity() advisory.Severity {
	var name string
	if json.Unmarshal(f.Severity, &name) == nil {
		s, _ := advisory.ParseSeverity(name)
		return s
	}
	n, err := strconv.Atoi(string(f.Severity))
	if err != nil {
		return advisory.SeverityUnknown
	}
	return advisory.Severity(n)
}

func (f *finding) suppressed() bool {
	return len(f.Suppressed) > 0 && string(f.Suppressed) != "null"
}

// Severity colours, as in vigil scan's table: every sequence is 7 bytes so
// that tabwriter keeps the columns after it aligned.
var severityColor = map[advisory.Severity]string{
	advisory.SeverityCritical: "\x1b[1;31m",
	advisory.SeverityHigh:     "\x1b[0;31m",
	advisory.SeverityMedium:   "\x1b[0;33m",
	advisory.SeverityLow:      "\x1b[0;34m",
}

func paintSeverity(s advisory.Severity, color bool) string {
	c, ok := severityColor[s]
	if !color || !ok {
		if color {
			return "\x1b[0;37m" + s.String() + "\x1b[0m"
		}
		return s.String()
	}
	return c + s.String() + "\x1b[0m"
}

func writeImageDetail(w io.Writer, d *api.ImageDetail, withSuppressed, color bool) error {
	im := d.Image
	base := "unknown"
	if b := im.Base; b != nil && b.Source != "unknown" && (b.Name != "" || b.Digest != "") {
		base = fmt.Sprintf("%s (%d layers, from %s)", cleanCell(cmp.Or(b.Name, b.Digest)), b.Layers, b.Source)
	}
	assessed := "never"
	if im.Assessed != nil {
		assessed = fmt.Sprintf("%s, database version %d", stamp(im.Assessed), im.DBVersion)
	}
	s := im.Findings
	rows := [][2]string{
		{"Image", cleanCell(imageName(im.Repository, im.Tag, im.Reference))},
		{"Digest", cleanCell(im.Digest)},
		{"Origin", cleanCell(im.Origin)},
		{"Distro", orDash(cleanCell(im.Distro), "unknown")},
		{"Base image", base},
		{"Contents", fmt.Sprintf("%d packages in %d layers", im.Packages, im.Layers)},
		{"Registered", stamp(&im.Registered)},
		{"Assessed", assessed},
		{"Findings", fmt.Sprintf("%d critical, %d high, %d medium, %d low, %d negligible, %d unknown; %d fixable, %d known exploited",
			s.Critical, s.High, s.Medium, s.Low, s.Negligible, s.Unknown, s.Fixable, s.KEV)},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%-11s %s\n", r[0]+":", orDash(r[1], "-"))
	}
	if d.Assessment == nil {
		_, err := io.WriteString(w, "\nNot assessed yet.\n")
		return err
	}
	var fs []finding
	if len(d.Assessment.Findings) > 0 && string(d.Assessment.Findings) != "null" {
		if err := json.Unmarshal(d.Assessment.Findings, &fs); err != nil {
			return fmt.Errorf("the server's findings: %w", err)
		}
	}
	if !withSuppressed {
		fs = slices.DeleteFunc(fs, func(f finding) bool { return f.suppressed() })
	}
	io.WriteString(w, "\n")
	if len(fs) == 0 {
		_, err := io.WriteString(w, "No vulnerabilities found.\n")
		return err
	}
	slices.SortStableFunc(fs, func(a, b finding) int {
		return cmp.Or(cmp.Compare(b.severity(), a.severity()), cmp.Compare(a.PackageName, b.PackageName), cmp.Compare(a.ID, b.ID))
	})
	tw := newTable(w)
	head := "SEVERITY"
	if color {
		head = "\x1b[1;39m" + head + "\x1b[0m"
	}
	fmt.Fprintf(tw, "%s\tVULNERABILITY\tPACKAGE\tINSTALLED\tSTATUS\tFIXED IN\tNOTES\n", head)
	for _, f := range fs {
		var notes []string
		if len(f.KEV) > 0 && string(f.KEV) != "null" {
			notes = append(notes, "known exploited")
		}
		if f.InBase {
			notes = append(notes, "base image")
		}
		if f.suppressed() {
			notes = append(notes, "suppressed")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", paintSeverity(f.severity(), color), cleanCell(f.ID), cleanCell(f.PackageName),
			cleanCell(f.InstalledVersion), cleanCell(f.Status), orDash(cleanCell(strings.Join(f.Fix.Versions, ", ")), "-"), strings.Join(notes, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n := len(d.Assessment.Warnings); n > 0 {
		fmt.Fprintf(w, "\n%d warning(s) (see -f json)\n", n)
	}
	return nil
}
