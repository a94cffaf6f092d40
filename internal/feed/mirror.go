package feed

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// MirrorURL maps an upstream source URL onto a mirror: https://HOST/PATH is
// fetched from BASE/HOST/PATH, where BASE is http(s)://… or file:///dir, so
// one mirror serves every source laid out by host. An empty base returns
// upstream unchanged, as does an upstream that is not http(s) (a file://
// source is already local). Paths that would climb out of BASE ("..") are
// refused.
func MirrorURL(base, upstream string) (string, error) {
	if base == "" {
		return upstream, nil
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("feed: mirror %q: %w", base, err)
	}
	switch b.Scheme {
	case "http", "https":
		if b.Host == "" {
			return "", fmt.Errorf("feed: mirror %q has no host", base)
		}
	case "file":
		if b.Host != "" && b.Host != "localhost" {
			return "", fmt.Errorf("feed: mirror %q: file URLs must be file:///dir", base)
		}
		if b.Path == "" {
			return "", fmt.Errorf("feed: mirror %q has no directory", base)
		}
	default:
		return "", fmt.Errorf("feed: mirror %q: scheme must be http, https or file", base)
	}
	if b.RawQuery != "" || b.Fragment != "" {
		return "", fmt.Errorf("feed: mirror %q must not have a query or fragment", base)
	}
	u, err := url.Parse(upstream)
	if err != nil {
		return "", fmt.Errorf("feed: source URL %q: %w", upstream, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return upstream, nil
	}
	if u.Host == "" {
		return "", fmt.Errorf("feed: source URL %q has no host", upstream)
	}
	if strings.ContainsAny(u.Host, "/\\") || u.Host == "." || u.Host == ".." {
		return "", fmt.Errorf("feed: source URL %q: bad host", upstream)
	}
	rel := path.Clean("/" + u.Host + "/" + u.Path)
	if !strings.HasPrefix(rel, "/"+u.Host+"/") || strings.Contains(u.Path, "/../") || strings.HasSuffix(u.Path, "/..") {
		return "", fmt.Errorf("feed: source URL %q climbs out of the mirror", upstream)
	}
	m := *b
	m.Path = strings.TrimSuffix(b.Path, "/") + rel
	m.RawPath = ""
	m.RawQuery = u.RawQuery
	return m.String(), nil
}
