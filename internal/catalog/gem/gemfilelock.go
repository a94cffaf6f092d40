package gem

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// lockedGem is one gem a Gemfile.lock pins.
type lockedGem struct {
	name, version, platform string
}

// parseGemfileLock reads the gems a Gemfile.lock pins: the "specs:" entries
// of its GEM, GIT and PLUGIN SOURCE sections, written by Bundler as
//
//	GEM
//	  remote: https://rubygems.org/
//	  specs:
//	    nokogiri (1.16.0-x86_64-linux)
//	      racc (~> 1.4)
//
// with four spaces before a gem and six before each of its dependencies.
// "VERSION-PLATFORM" is split at the first "-" as Bundler does. A gem
// locked for several platforms (one entry each) is reported once, with its
// platform only when all entries agree. PATH sections (local directories,
// the project itself among them) are left out. The error, when not nil,
// says what was skipped; the gems read are returned with it.
func parseGemfileLock(data []byte) ([]lockedGem, error) {
	var (
		out      []lockedGem
		index    = map[string]int{} // name@version → out index
		section  string
		inSpecs  bool
		sections int
		skipped  int
		firstBad string
	)
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			continue
		}
		if line[0] != ' ' {
			section = string(bytes.TrimSpace(line))
			inSpecs = false
			switch section {
			case "GEM", "GIT", "PATH", "PLUGIN SOURCE":
				sections++
			}
			continue
		}
		switch section {
		case "GEM", "GIT", "PLUGIN SOURCE":
		default:
			continue
		}
		indent := len(line) - len(bytes.TrimLeft(line, " "))
		switch indent {
		case 2:
			inSpecs = string(bytes.TrimSpace(line)) == "specs:"
			continue
		case 4:
		default:
			continue // a dependency of the gem above, or something new
		}
		if !inSpecs {
			continue
		}
		g, ok := parseSpecLine(string(line[4:]))
		if !ok {
			skipped++
			if firstBad == "" {
				firstBad = clip(string(line[4:]), 64)
			}
			continue
		}
		key := g.name + "@" + g.version
		if i, seen := index[key]; seen {
			if out[i].platform != g.platform {
				out[i].platform = ""
			}
			continue
		}
		index[key] = len(out)
		out = append(out, g)
	}
	if sections == 0 {
		return nil, errors.New("not a Gemfile.lock: no GEM, GIT or PATH section")
	}
	if skipped > 0 {
		return out, fmt.Errorf("%d gem entries skipped, the first %q", skipped, firstBad)
	}
	return out, nil
}

// parseSpecLine reads "name (version)" or "name (version-platform)".
func parseSpecLine(s string) (lockedGem, bool) {
	name, rest, ok := strings.Cut(s, " (")
	if !ok || !strings.HasSuffix(rest, ")") {
		return lockedGem{}, false
	}
	version, platform, _ := strings.Cut(rest[:len(rest)-1], "-")
	if platform == "ruby" {
		platform = ""
	}
	if !validName(name) || !validVersion(version) || platform != "" && !validPlatform(platform) {
		return lockedGem{}, false
	}
	return lockedGem{name: name, version: version, platform: platform}, true
}
