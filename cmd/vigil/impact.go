package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/server/api"
)

func newImpactCmd(g *globals) *cobra.Command {
	var f clientFlags
	var format string
	cmd := &cobra.Command{
		Use:   "impact ID",
		Short: "Show which stored images a vulnerability hits",
		Long: `Ask a 'vigil serve' which of its images a vulnerability hits: ID is any of its
ids or aliases (CVE, GHSA, DSA, GO-…). For each image, the affected packages, their
versions, the fixed versions, the layer that brought each package and whether it
came with the base image.`,
		Example: `  vigil impact CVE-2024-5535
  vigil impact GHSA-xxxx-xxxx-xxxx -f json --server https://vigil.example`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			imp, err := c.Impact(cmd.Context(), args[0])
			if err != nil {
				return serverError(err)
			}
			if format == "json" {
				return writeJSON(g.stdout, imp)
			}
			return writeOutput(g, "", func(w io.Writer, color bool) error { return writeImpact(w, imp, color) })
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json")
	return cmd
}

func writeImpact(w io.Writer, imp *api.Impact, color bool) error {
	sev, _ := advisory.ParseSeverity(imp.Severity)
	title := cleanCell(imp.ID)
	if len(imp.Aliases) > 0 {
		var as []string
		for _, a := range imp.Aliases {
			if a != imp.ID {
				as = append(as, cleanCell(a))
			}
		}
		if len(as) > 0 {
			title += " (" + strings.Join(as, ", ") + ")"
		}
	}
	fmt.Fprintf(w, "%s  %s", title, paintSeverity(sev, color))
	if imp.KEV {
		io.WriteString(w, "  known exploited")
	}
	io.WriteString(w, "\n")
	if imp.Summary != "" {
		fmt.Fprintf(w, "%s\n", cleanCell(imp.Summary))
	}
	fmt.Fprintf(w, "Database version %d\n\n", imp.DBVersion)
	if len(imp.Images) == 0 {
		_, err := io.WriteString(w, "No stored image is affected.\n")
		return err
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "IMAGE\tPACKAGE\tINSTALLED\tSTATUS\tFIXED IN\tFIX WHERE\tLAYER\tDIGEST")
	packages := 0
	for _, im := range imp.Images {
		name := cleanCell(imageName(im.Repository, im.Tag, ""))
		for i, p := range im.Packages {
			packages++
			layer := fmt.Sprint(p.Layer)
			if p.InBase {
				layer += " (base)"
			}
			img, digest := name, cleanCell(im.Digest)
			if i > 0 {
				img, digest = "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", img, cleanCell(p.Name), cleanCell(p.Version), cleanCell(p.Status),
				orDash(cleanCell(strings.Join(p.Fixed, ", ")), "-"), orDash(cleanCell(p.FixWhere), "-"), layer, digest)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d %s, %d %s affected\n", len(imp.Images), plural(len(imp.Images), "image", "images"), packages, plural(packages, "package", "packages"))
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
