package composer

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vigilproject/vigil/internal/catalog"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"

	"github.com/google/go-cmp/cmp"
)

func depStrings(deps []dep) []string {
	var out []string
	for _, d := range deps {
		s := d.name + "@" + d.version
		if len(d.licenses) > 0 {
			s += " " + strings.Join(d.licenses, "|")
		}
		if d.dev {
			s += " dev"
		}
		out = append(out, s)
	}
	return out
}

func TestParseInstalled(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{
			name: "Composer 2 with development packages",
			in: `{"packages": [
				{"name": "symfony/console", "version": "v6.4.1", "license": ["MIT"]},
				{"name": "Monolog/Monolog", "version": "3.5.0", "license": "MIT"},
				{"name": "phpunit/phpunit", "version": "10.5.3", "license": ["BSD-3-Clause"]},
				{"name": "drupal/core", "version": "10.1.6", "license": ["GPL-2.0-or-later"]},
				{"name": "acme/dual", "version": "dev-main", "license": ["MIT", "GPL-3.0-only"]},
				{"name": "acme/odd", "version": "1.0", "license": {"not": "a list"}}
			], "dev": true, "dev-package-names": ["phpunit/phpunit"]}`,
			want: []string{
				"symfony/console@v6.4.1 MIT", "monolog/monolog@3.5.0 MIT", "phpunit/phpunit@10.5.3 BSD-3-Clause dev",
				"drupal/core@10.1.6 GPL-2.0-or-later", "acme/dual@dev-main MIT|GPL-3.0-only", "acme/odd@1.0",
			},
		},
		{
			name: "Composer 1 array, byte-order mark",
			in:   "\ufeff[{\"name\": \"psr/log\", \"version\": \"1.1.4\"}]",
			want: []string{"psr/log@1.1.4"},
		},
		{
			name:    "bad entries skipped",
			in:      `{"packages": [{"name": "nopackage", "version": "1"}, {"name": "a/b", "version": ""}, {"name": "a/b c", "version": "1"}, {"name": "ok/ok", "version": "1"}]}`,
			want:    []string{"ok/ok@1"},
			wantErr: "3 packages without a valid name and version skipped",
		},
		{name: "invalid JSON", in: `{"packages": [`, wantErr: "invalid JSON: unexpected end of JSON input"},
		{name: "object without packages", in: `{"name": "x"}`, wantErr: errNotInstalled.Error()},
		{name: "packages of the wrong type", in: `{"packages": {"a/b": "1"}}`, wantErr: "invalid JSON: json: cannot unmarshal object into Go struct field installed2.packages of type []composer.entry"},
		{name: "a string", in: `"installed"`, wantErr: errNotInstalled.Error()},
		{name: "garbage", in: "\x00\x01PK", wantErr: "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps, err := parseInstalled([]byte(tt.in))
			if got := catalogtest.ErrString(err); got != tt.wantErr {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, depStrings(deps)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLock(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{
			name: "packages and packages-dev",
			in:   `{"packages": [{"name": "psr/log", "version": "1.1.4", "license": ["MIT"]}], "packages-dev": [{"name": "phpunit/phpunit", "version": "9.6.0"}, {"name": "psr/log", "version": "1.1.4"}]}`,
			want: []string{"psr/log@1.1.4 MIT", "phpunit/phpunit@9.6.0 dev", "psr/log@1.1.4 dev"},
		},
		{name: "empty project", in: `{"packages": [], "packages-dev": []}`},
		{name: "no packages", in: `{"content-hash": "x"}`, wantErr: `not a composer.lock: no "packages"`},
		{name: "an array", in: `[]`, wantErr: "not a composer.lock: not an object"},
		{name: "invalid JSON", in: `{"packages": [}`, wantErr: "invalid JSON: invalid character '}' looking for beginning of value"},
		{name: "garbage", in: `<?php`, wantErr: "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps, err := parseLock([]byte(tt.in))
			if got := catalogtest.ErrString(err); got != tt.wantErr {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, depStrings(deps)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestInstalledWins checks that a lockfile is read only when its project
// has no usable installed.json, and that bad files become warnings.
func TestInstalledWins(t *testing.T) {
	lock := []byte(`{"packages": [{"name": "a/locked", "version": "1.0"}], "packages-dev": [{"name": "a/dev", "version": "2.0"}]}`)
	fsys := fstest.MapFS{
		"app/composer.lock":                          {Data: lock},
		"app/vendor/composer/installed.json":         {Data: []byte(`{"packages": [{"name": "a/locked", "version": "1.0"}], "dev": false, "dev-package-names": []}`)},
		"broken/composer.lock":                       {Data: lock},
		"broken/vendor/composer/installed.json":      {Data: []byte(`{"packages": [`)},
		"lockonly/composer.lock":                     {Data: lock},
		"bad/composer.lock":                          {Data: []byte(`["not", "a", "lock"]`)},
		"app/vendor/acme/lib/composer.lock":          {Data: lock},
		"usr/share/doc/php-x/examples/composer.lock": {Data: lock},
	}
	pkgs, warns := catalogtest.Run(t, NewLock(), fsys)
	var got []string
	for _, p := range pkgs {
		s := p.PURL + " " + p.Locations[0]
		if p.Dev {
			s += " dev"
		}
		got = append(got, s)
	}
	want := []string{
		"pkg:composer/a/dev@2.0 /broken/composer.lock dev",
		"pkg:composer/a/dev@2.0 /lockonly/composer.lock dev",
		"pkg:composer/a/locked@1.0 /broken/composer.lock",
		"pkg:composer/a/locked@1.0 /lockonly/composer.lock",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lock packages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"composer-lock: /bad/composer.lock: not a composer.lock: not an object"}, warns); diff != "" {
		t.Errorf("lock warnings (-want +got):\n%s", diff)
	}

	_, warns = catalogtest.Run(t, NewInstalled(), fsys)
	if diff := cmp.Diff([]string{"composer-installed: /broken/vendor/composer/installed.json: invalid JSON: unexpected end of JSON input"}, warns); diff != "" {
		t.Errorf("installed warnings (-want +got):\n%s", diff)
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path      string
		size      int64
		installed bool
		lock      bool
	}{
		{"var/www/html/vendor/composer/installed.json", 1000, true, true},
		{"app/lib/composer/installed.json", 1000, true, true},
		{"composer/installed.json", 1000, true, true},
		{"app/vendor/composer/installed.json", maxFileSize + 1, false, false},
		{"app/vendor/mycomposer/installed.json", 1000, false, false},
		{"app/vendor/composer/installed.php", 1000, false, false},
		{"app/composer.lock", 1000, false, true},
		{"composer.lock", 1000, false, true},
		{"app/composer.lock", maxFileSize + 1, false, false},
		{"app/composer.json", 1000, false, false},
		{"app/vendor/acme/lib/composer.lock", 1000, false, false},
		{"vendor/acme/lib/composer.lock", 1000, false, false},
		{"usr/share/doc/php-x/composer.lock", 1000, false, false},
	}
	in, lock := NewInstalled(), NewLock()
	for _, tt := range tests {
		if got := in.Wants(tt.path, 0o644, tt.size); got != tt.installed {
			t.Errorf("installed Wants(%q, %d) = %v", tt.path, tt.size, got)
		}
		if got := lock.Wants(tt.path, 0o644, tt.size); got != tt.lock {
			t.Errorf("lock Wants(%q, %d) = %v", tt.path, tt.size, got)
		}
	}
}

// TestWantsAllocs keeps Wants, called for every file of every layer, free
// of allocations.
func TestWantsAllocs(t *testing.T) {
	paths := []string{
		"var/www/html/vendor/composer/installed.json",
		"var/www/html/composer.lock",
		"var/www/html/vendor/symfony/console/Application.php",
		"usr/share/zoneinfo/Europe/Paris",
	}
	for _, c := range []catalog.Cataloger{NewInstalled(), NewLock()} {
		catalogtest.WantsAllocs(t, c, paths...)
	}
}
