package feed

import "testing"

func TestMirrorURL(t *testing.T) {
	tests := []struct {
		base, upstream, want string
		err                  bool
	}{
		{"", "https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip", "https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip", false},
		{"http://127.0.0.1:8080", "https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip", "http://127.0.0.1:8080/osv-vulnerabilities.storage.googleapis.com/Go/all.zip", false},
		{"https://mirror.example/feeds/", "https://secdb.alpinelinux.org/v3.20/main.json", "https://mirror.example/feeds/secdb.alpinelinux.org/v3.20/main.json", false},
		{"https://mirror.example/feeds", "https://osv-vulnerabilities.storage.googleapis.com/Red%20Hat/all.zip", "https://mirror.example/feeds/osv-vulnerabilities.storage.googleapis.com/Red%20Hat/all.zip", false},
		{"file:///srv/feeds", "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json", "file:///srv/feeds/www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json", false},
		{"file:///srv/feeds", "https://example.org/a?b=c", "file:///srv/feeds/example.org/a?b=c", false},
		{"http://m", "http://example.org:8443/x", "http://m/example.org:8443/x", false},
		// Already local: left alone.
		{"http://m", "file:///var/lib/x.json", "file:///var/lib/x.json", false},
		{"http://m", "https://example.org/../../etc/passwd", "", true},
		{"http://m", "https://example.org/a/../../b", "", true},
		{"ftp://m", "https://example.org/x", "", true},
		{"http://", "https://example.org/x", "", true},
		{"file://host/dir", "https://example.org/x", "", true},
		{"http://m?x=1", "https://example.org/x", "", true},
		{"http://m", "https:///nohost", "", true},
		{"http://m", "https://example.org/%zz", "", true},
	}
	for _, tt := range tests {
		got, err := MirrorURL(tt.base, tt.upstream)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("MirrorURL(%q, %q) = %q, %v; want %q (error %v)", tt.base, tt.upstream, got, err, tt.want, tt.err)
		}
	}
}
