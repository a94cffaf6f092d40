package notify_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/notify"
)

func TestVerify(t *testing.T) {
	body := []byte(`{"specversion":"1.0","id":"3f2a"}`)
	at := time.Unix(1793607330, 0)
	good := notify.Sign("k3y", body, at)
	_, goodMAC, _ := strings.Cut(good, "v1=")
	tests := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", "k3y", good, body, at, nil},
		{"valid, within tolerance", "k3y", good, body, at.Add(4 * time.Minute), nil},
		{"valid, clock behind", "k3y", good, body, at.Add(-4 * time.Minute), nil},
		{"spaces and another scheme", "k3y", "t=1793607330, v0=abc, v1=" + goodMAC, body, at, nil},
		{"rotation: second v1 matches", "k3y", "t=1793607330,v1=" + strings.Repeat("00", 32) + ",v1=" + goodMAC, body, at, nil},
		{"body changed", "k3y", good, []byte(`{"specversion":"1.0","id":"3f2b"}`), at, notify.ErrBadSignature},
		{"body re-encoded", "k3y", good, []byte(`{"specversion": "1.0", "id": "3f2a"}`), at, notify.ErrBadSignature},
		{"wrong secret", "key", good, body, at, notify.ErrBadSignature},
		{"timestamp changed", "k3y", strings.Replace(good, "t=1793607330", "t=1793607331", 1), body, at, notify.ErrBadSignature},
		{"replayed later", "k3y", good, body, at.Add(6 * time.Minute), notify.ErrStale},
		{"from the future", "k3y", good, body, at.Add(-6 * time.Minute), notify.ErrStale},
		{"no header", "k3y", "", body, at, notify.ErrNoSignature},
		{"no v1", "k3y", "t=1793607330", body, at, notify.ErrNoSignature},
		{"no t", "k3y", "v1=" + goodMAC, body, at, notify.ErrNoSignature},
		{"bad t", "k3y", "t=soon,v1=" + goodMAC, body, at, notify.ErrNoSignature},
		{"two t", "k3y", "t=1,t=1793607330,v1=" + goodMAC, body, at, notify.ErrNoSignature},
		{"v1 not hex", "k3y", "t=1793607330,v1=zz", body, at, notify.ErrNoSignature},
		{"v1 truncated", "k3y", "t=1793607330,v1=" + goodMAC[:32], body, at, notify.ErrNoSignature},
		{"not key=value", "k3y", "t=1793607330;v1=" + goodMAC, body, at, notify.ErrNoSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := notify.Verify(tc.secret, tc.header, tc.body, 5*time.Minute, tc.now)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
	if err := notify.Verify("", good, body, 0, at); err == nil {
		t.Error("Verify with an empty secret succeeded")
	}
	// A zero tolerance checks the MAC only.
	if err := notify.Verify("k3y", good, body, 0, at.Add(1000*time.Hour)); err != nil {
		t.Errorf("Verify without tolerance = %v", err)
	}
}

// FuzzVerify: Verify never panics, and accepts exactly what Sign made.
func FuzzVerify(f *testing.F) {
	f.Add("k3y", "t=1793607330,v1="+strings.Repeat("ab", 32), []byte(`{}`))
	f.Add("k", "t=,v1=,=,,", []byte(nil))
	f.Add("k", "t=-1,v1=00", []byte("x"))
	f.Add("secret", "v1=1,t=99999999999999999999", []byte("body"))
	f.Fuzz(func(t *testing.T, secret, header string, body []byte) {
		now := time.Unix(1793607330, 0)
		if err := notify.Verify(secret, header, body, time.Minute, now); err == nil && secret == "" {
			t.Fatal("verified with an empty secret")
		}
		if secret == "" {
			return
		}
		if err := notify.Verify(secret, notify.Sign(secret, body, now), body, time.Minute, now); err != nil {
			t.Fatalf("Verify(Sign) = %v", err)
		}
	})
}
