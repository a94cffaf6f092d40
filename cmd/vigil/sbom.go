package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/all"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/layerfs"
	"github.com/vigilproject/vigil/internal/report"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/sbomfile"
)

// imageFlags select and open a target.
type imageFlags struct {
	platform  string
	insecure  bool
	baseImage string
	timeout   time.Duration
	maxBytes  int64
	maxFiles  int64
}

func (f *imageFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.platform, "platform", "", "platform of a multi-arch image, os/arch[/variant] (default linux/<host arch>)")
	fl.BoolVar(&f.insecure, "insecure", false, "allow plain-HTTP and self-signed registries")
	fl.StringVar(&f.baseImage, "base-image", "", "base image (any target) whose layers mark the base-image boundary")
	fl.DurationVar(&f.timeout, "timeout", image.DefaultTimeout, "registry connect and response timeout")
	fl.Int64Var(&f.maxBytes, "max-uncompressed-bytes", layerfs.DefaultMaxBytes, "refuse images whose layers decompress to more bytes")
	fl.Int64Var(&f.maxFiles, "max-entries", layerfs.DefaultMaxEntries, "refuse images whose layers hold more entries")
}

func (f *imageFlags) options() image.Options {
	return image.Options{Platform: f.platform, Insecure: f.insecure, Timeout: f.timeout}
}

// inventory opens target and inventories it.
func inventory(ctx context.Context, g *globals, f *imageFlags, target string) (*sbom.Inventory, error) {
	if file, ok := strings.CutPrefix(target, "sbom:"); ok {
		// A stored or third-party SBOM stands in for the image.
		in, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("sbom %s: %w", file, err)
		}
		defer in.Close()
		return sbomfile.Read(ctx, file, in)
	}
	log := g.logger()
	iopt := f.options()
	im, err := image.Open(ctx, target, iopt)
	if err != nil {
		return nil, err
	}
	defer im.Close()
	opt := catalog.Options{
		Catalogers: all.Catalogers(),
		Limits:     layerfs.Limits{MaxBytes: f.maxBytes, MaxEntries: f.maxFiles},
		Logger:     log,
	}
	if !g.noCache {
		c, err := catalog.OpenCache(g.cacheDir)
		if err != nil {
			log.Warn("cache unavailable", "err", err)
		} else {
			opt.Cache = c
		}
	}
	if f.baseImage != "" {
		base, err := image.Open(ctx, f.baseImage, iopt)
		if err != nil {
			return nil, fmt.Errorf("--base-image: %w", err)
		}
		ub := &catalog.UserBase{Name: f.baseImage}
		for _, l := range base.Layers {
			ub.DiffIDs = append(ub.DiffIDs, l.DiffID)
		}
		base.Close()
		opt.Base = ub
	}
	if im.Source.Kind == image.KindRegistry {
		opt.ResolveBase = func(ctx context.Context, name string, d sbom.Digest) ([]sbom.Digest, error) {
			return image.ResolveBase(ctx, name, d, iopt)
		}
	}
	if !g.quiet && g.stderrIsTerminal() {
		p := &progress{w: g.stderr, start: time.Now()}
		opt.Progress = p.layer
		defer p.finish()
	}
	return catalog.Inventory(ctx, im, opt)
}

// progress draws one status line on a terminal.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	done  int
	drawn bool
}

func (p *progress) layer(ev catalog.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.Done {
		p.done++
	}
	state := "reading"
	if ev.Cached {
		state = "cached"
	}
	id := ev.DiffID.Hex()
	if len(id) > 12 {
		id = id[:12]
	}
	fmt.Fprintf(p.w, "\r\033[Klayers %d/%d  %s %s", p.done, ev.Layers, state, id)
	p.drawn = true
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintf(p.w, "\r\033[Kdone in %s\n", time.Since(p.start).Round(time.Millisecond))
	}
}

func newSBOMCmd(g *globals) *cobra.Command {
	var f imageFlags
	var format, output string
	cmd := &cobra.Command{
		Use:   "sbom TARGET",
		Short: "List every component of an image",
		Long: `List every component of an image with its origin.

TARGET is one of:
  registry:REF           an image in a registry (credentials from ~/.docker/config.json)
  oci-dir:PATH[:TAG|@DIGEST]        an OCI image layout directory
  oci-archive:PATH[:TAG|@DIGEST]    a tar of an OCI image layout
  docker-archive:PATH[:TAG]         a 'docker save' tarball (Docker 25+ OCI form too)
  dir:PATH               an unpacked root filesystem
  sbom:FILE              an SBOM instead of the image: CycloneDX JSON/XML, SPDX JSON/tag-value, Vigil JSON
A bare TARGET that names an existing path is opened by what it holds;
anything else is taken as a registry reference.

Formats: ` + strings.Join(report.InventoryFormats(), ", ") + `.`,
		Example: `  vigil sbom alpine:3.20
  vigil sbom oci-dir:./image --format cyclonedx-json --output sbom.cdx.json
  vigil sbom docker-archive:app.tar --base-image registry:debian:12`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if !validFormat(format, report.InventoryFormats()) {
				return fmt.Errorf("--format %q: want one of %s", format, strings.Join(report.InventoryFormats(), ", "))
			}
			inv, err := inventory(ctx, g, &f, args[0])
			if err != nil {
				return err
			}
			return writeOutput(g, output, func(w io.Writer, color bool) error {
				return report.WriteInventory(w, inv, format, report.Options{Color: color, ToolVersion: version})
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: "+strings.Join(report.InventoryFormats(), ", "))
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

func validFormat(f string, valid []string) bool {
	for _, v := range valid {
		if f == v {
			return true
		}
	}
	return false
}

// writeOutput writes to stdout or, atomically, to a file.
func writeOutput(g *globals, output string, write func(w io.Writer, color bool) error) error {
	if output == "" || output == "-" {
		color := false
		if f, ok := g.stdout.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("NO_COLOR") == "" {
				color = true
			}
		}
		return write(g.stdout, color)
	}
	tmp, err := os.CreateTemp(filepath.Dir(output), ".vigil-*")
	if err != nil {
		return fmt.Errorf("--output %s: %w", output, err)
	}
	if err := write(tmp, false); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--output %s: %w", output, err)
	}
	if err := os.Rename(tmp.Name(), output); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--output %s: %w", output, err)
	}
	return nil
}
