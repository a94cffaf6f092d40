package python

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// maxFiles bounds the files listed for one distribution.
const maxFiles = 1 << 18

// resolve turns a path recorded relative to dir (both relative to the image
// root, dir without a leading slash) into an absolute path inside the
// image: path.Join cleans ".." against the root, so "../../../bin/x" can
// climb to "/" but never above it. Absolute recorded paths are kept.
func resolve(dir, rel string) string {
	if strings.HasPrefix(rel, "/") {
		return path.Clean(rel)
	}
	return path.Join("/"+dir, rel)
}

// parseRecord reads a dist-info RECORD file: CSV rows of path, hash and
// size, with paths relative to the directory holding the dist-info
// (site-packages). It returns the absolute paths, sorted.
func parseRecord(data []byte, siteDir string) ([]string, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	var out []string
	for len(out) < maxFiles {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return sortFiles(out), err
		}
		if p := strings.TrimSpace(rec[0]); p != "" {
			out = append(out, resolve(siteDir, p))
		}
	}
	return sortFiles(out), nil
}

// parseInstalledFiles reads an egg-info installed-files.txt, written by pip
// for legacy installs: one path per line, relative to the egg-info
// directory itself.
func parseInstalledFiles(data []byte, eggInfoDir string) []string {
	var out []string
	for line := range bytes.Lines(data) {
		if len(out) >= maxFiles {
			break
		}
		if p := strings.TrimSpace(string(line)); p != "" {
			out = append(out, resolve(eggInfoDir, p))
		}
	}
	return sortFiles(out)
}

// parseSources reads an egg-info SOURCES.txt. It lists the files of the
// source tree, not of the installation, so only the entries under one of
// the top-level modules named in top_level.txt are kept: those are
// installed at the same place relative to site-packages ("src/" layouts
// included). Setup scripts, tests and documentation drop out.
func parseSources(data, topLevel []byte, siteDir string) []string {
	tops := map[string]bool{}
	for line := range bytes.Lines(topLevel) {
		if t := strings.TrimSpace(string(line)); t != "" && !strings.ContainsAny(t, "/\\") && t != "." && t != ".." {
			tops[t] = true
		}
	}
	if len(tops) == 0 {
		return nil
	}
	var out []string
	for line := range bytes.Lines(data) {
		if len(out) >= maxFiles {
			break
		}
		p := strings.TrimSpace(string(line))
		if rest, ok := strings.CutPrefix(p, "src/"); ok && !tops["src"] {
			p = rest
		}
		first, _, inDir := strings.Cut(p, "/")
		module, isModule := strings.CutSuffix(p, ".py")
		if inDir && tops[first] || !inDir && isModule && tops[module] {
			out = append(out, resolve(siteDir, p))
		}
	}
	return sortFiles(out)
}

func sortFiles(files []string) []string {
	slices.Sort(files)
	return slices.Compact(files)
}

// eggMetadataPath is where a zipped egg keeps its core metadata.
const eggMetadataPath = "EGG-INFO/PKG-INFO"

// readEgg returns the EGG-INFO/PKG-INFO of a zipped egg, refusing a
// metadata file larger than maxMetadataSize whatever its header claims.
func readEgg(data []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("not a zip archive: %w", err)
	}
	for _, f := range zr.File {
		if f.Name != eggMetadataPath {
			continue
		}
		if f.UncompressedSize64 > maxMetadataSize {
			return nil, fmt.Errorf("%s: %d bytes is too large", eggMetadataPath, f.UncompressedSize64)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", eggMetadataPath, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, maxMetadataSize+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", eggMetadataPath, err)
		}
		if len(b) > maxMetadataSize {
			return nil, fmt.Errorf("%s: too large", eggMetadataPath)
		}
		return b, nil
	}
	return nil, fmt.Errorf("no %s", eggMetadataPath)
}
