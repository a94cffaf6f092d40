// Package netguard keeps a server's outgoing connections (registry pulls,
// webhook deliveries) away from internal addresses: the SSRF guard.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path"
	"strings"
	"time"
)

// ErrNotAllowed: a host not on the allow list, or an internal address
// that no explicit entry allows.
var ErrNotAllowed = errors.New("not allowed")

// Guard limits the hosts a server connects to.
//
// With an empty Allow list any host is allowed; with one, only hosts
// matching an entry ("registry.example.com", "*.example.com",
// "127.0.0.1:5000"). Whatever the list, connections to loopback, private,
// link-local and other non-public addresses are refused unless the host
// was allowed by an explicit entry (not a wildcard), and the check is made
// on the address actually dialled, so a redirect or a DNS answer cannot
// lead the server to an internal service.
type Guard struct {
	Allow []string
	// Timeout bounds each connection attempt (default 30 s).
	Timeout time.Duration
}

// Check says whether a host (with optional port) may be connected to.
func (g *Guard) Check(host string) error {
	if host == "" {
		return fmt.Errorf("%w: no host", ErrNotAllowed)
	}
	if len(g.Allow) == 0 {
		return nil
	}
	for _, a := range g.Allow {
		if g.matches(a, host) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is not on the allow list", ErrNotAllowed, host)
}

func (g *Guard) matches(pattern, host string) bool {
	pattern, host = strings.ToLower(pattern), strings.ToLower(host)
	if pattern == host {
		return true
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil && !strings.Contains(pattern, ":") {
		h = hh
	}
	if pattern == h {
		return true
	}
	if strings.HasPrefix(pattern, "*.") {
		ok, _ := path.Match(pattern, h)
		return ok && strings.Count(h, ".") >= strings.Count(pattern, ".")
	}
	return false
}

// explicit reports whether host (or host:port) is named by an entry
// without wildcards: the only way to reach a non-public address.
func (g *Guard) explicit(hostport string) bool {
	host, _, _ := net.SplitHostPort(hostport)
	for _, a := range g.Allow {
		a = strings.ToLower(a)
		if strings.Contains(a, "*") {
			continue
		}
		if a == strings.ToLower(hostport) || a == strings.ToLower(host) {
			return true
		}
	}
	return false
}

// public reports whether an address is on the public internet.
func public(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !(ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip) || netip.MustParsePrefix("fc00::/7").Contains(ip))
}

// Dial opens a connection after resolving the host and checking every
// address it resolves to; it connects to the checked address itself.
func (g *Guard) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	d := &net.Dialer{Timeout: timeout, KeepAlive: timeout}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	explicit := g.explicit(addr)
	var last error
	for _, ip := range ips {
		if !public(ip) && !explicit {
			last = fmt.Errorf("%w: %s resolves to the non-public address %s", ErrNotAllowed, host, ip)
			continue
		}
		c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	if last == nil {
		last = fmt.Errorf("%s: no address", host)
	}
	return nil, last
}
