package netguard_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/vigilproject/vigil/internal/netguard"
)

func TestGuardDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	ctx := context.Background()
	for _, tc := range []struct {
		allow []string
		addr  string
		ok    bool
	}{
		{nil, addr, false},                   // loopback is never reached implicitly
		{[]string{"*.0.0.1"}, addr, false},   // nor through a wildcard
		{[]string{addr}, addr, true},         // named exactly
		{[]string{"127.0.0.1"}, addr, true},  // host named, any port
		{[]string{"localhost"}, addr, false}, // another name is not this address
		{nil, "169.254.169.254:80", false},   // cloud metadata
		{nil, "10.0.0.1:443", false},         // private
		{[]string{"registry.example"}, "[::1]:443", false},
	} {
		g := &netguard.Guard{Allow: tc.allow}
		c, err := g.Dial(ctx, "tcp", tc.addr)
		if c != nil {
			c.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("Guard{%v}.Dial(%s) = %v, want ok=%v", tc.allow, tc.addr, err, tc.ok)
		}
		if !tc.ok && err != nil && !errors.Is(err, netguard.ErrNotAllowed) {
			t.Errorf("Guard{%v}.Dial(%s) = %v, want ErrNotAllowed", tc.allow, tc.addr, err)
		}
	}
}

func TestGuardCheck(t *testing.T) {
	g := &netguard.Guard{Allow: []string{"registry.example", "*.corp.example", "127.0.0.1:5000"}}
	for host, ok := range map[string]bool{
		"registry.example": true, "registry.example:443": true, "REGISTRY.example": true,
		"eu.corp.example": true, "a.b.corp.example": true, "corp.example": false,
		"127.0.0.1:5000": true, "127.0.0.1:5001": false, "docker.io": false, "": false,
	} {
		err := g.Check(host)
		if (err == nil) != ok {
			t.Errorf("Check(%q) = %v, want ok=%v", host, err, ok)
		}
		if err != nil && !errors.Is(err, netguard.ErrNotAllowed) {
			t.Errorf("Check(%q) = %v, want ErrNotAllowed", host, err)
		}
	}
	if err := (&netguard.Guard{}).Check("anything.example"); err != nil {
		t.Errorf("an empty allow list refused a host: %v", err)
	}
}
