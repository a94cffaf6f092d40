package rpm

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
)

// manifestPath is where Azure Linux (CBL-Mariner) distroless images list
// their packages instead of keeping an rpm database: one line a package,
// the output of
//
//	rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{INSTALLTIME}\t%{BUILDTIME}\t%{VENDOR}\t%{EPOCH}\t%{SIZE}\t%{ARCH}\t%{EPOCHNUM}\t%{SOURCERPM}\n'
//
// (container-manifest-1 beside it lists only names and versions).
const manifestPath = "var/lib/rpmmanifest/container-manifest-2"

// maxManifestSize bounds the file kept in memory: a line is about 100
// bytes, and a full distribution has a few thousand packages.
const maxManifestSize = 16 << 20

// manifestFields is the number of fields of a manifest line.
const manifestFields = 10

// parseManifest reads a container-manifest-2 file into headers without
// file lists. A line that is not a package is skipped and counted in the
// returned error, which names the first.
func parseManifest(data []byte) ([]*header, error) {
	var (
		out  []*header
		skip catalog.Skips
	)
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		h, err := parseManifestLine(string(line))
		if err != nil {
			skip.Add(fmt.Sprintf("line %d", n+1), err)
			continue
		}
		out = append(out, h)
	}
	return out, skip.Err("line", "lines")
}

func parseManifestLine(line string) (*header, error) {
	f := strings.Split(line, "\t")
	if len(f) != manifestFields {
		return nil, fmt.Errorf("%d tab-separated fields, want %d", len(f), manifestFields)
	}
	name, vr := f[0], f[1]
	i := strings.LastIndexByte(vr, '-')
	if name == "" || strings.ContainsAny(name, " /") || i <= 0 || i == len(vr)-1 {
		return nil, fmt.Errorf("%q %q is not NAME VERSION-RELEASE", catalog.Clip(name, 64), catalog.Clip(vr, 64))
	}
	h := &header{name: name, version: vr[:i], release: vr[i+1:], vendor: f[4], arch: f[7], sourceRPM: f[9]}
	if e, err := strconv.Atoi(f[5]); err == nil && e >= 0 {
		h.epoch = &e
	} else if f[5] != "(none)" && f[5] != "" {
		return nil, fmt.Errorf("epoch %q is not a number", catalog.Clip(f[5], 64))
	}
	if size, err := strconv.ParseInt(f[6], 10, 64); err == nil && size >= 0 {
		h.size = size
	}
	if h.sourceRPM == "(none)" {
		h.sourceRPM = ""
	}
	return h, nil
}
