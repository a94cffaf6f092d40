package java

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite golden files")

// imageFiles builds the archives of a small made-up image from the real
// Debian jars in testdata/jars: a Spring Boot fat jar, a war, an ear
// holding the war, a jar with shaded dependencies, jars whose
// pom.properties were removed, a Jenkins plugin, and the Debian jars
// themselves as Debian installs them.
func imageFiles(t testing.TB) map[string][]byte {
	lang3 := jar(t, "commons-lang3.jar")
	slf4j := jar(t, "slf4j-api.jar")
	jul := jar(t, "jul-to-slf4j.jar")
	jackson := jar(t, "jackson-core.jar")
	simple := jar(t, "slf4j-simple.jar")

	fat := zipOf(t,
		entry{name: "META-INF/"},
		entry{name: "META-INF/MANIFEST.MF", data: manifestOf(
			"Main-Class", "org.springframework.boot.loader.JarLauncher",
			"Start-Class", "com.example.demo.DemoApplication",
			"Spring-Boot-Version", "3.1.0",
			"Spring-Boot-Classes", "BOOT-INF/classes/",
			"Spring-Boot-Lib", "BOOT-INF/lib/",
			"Implementation-Title", "demo",
			"Implementation-Version", "0.0.1-SNAPSHOT")},
		entry{name: "META-INF/maven/com.example/demo/pom.properties", data: pomProps("com.example", "demo", "0.0.1-SNAPSHOT")},
		entry{name: "BOOT-INF/classes/com/example/demo/DemoApplication.class", data: []byte("\xca\xfe\xba\xbe")},
		entry{name: "BOOT-INF/lib/commons-lang3-3.12.0.jar", data: lang3},
		entry{name: "BOOT-INF/lib/slf4j-api-1.7.32.jar", data: slf4j},
		entry{name: "BOOT-INF/lib/jul-to-slf4j-1.7.32.jar", data: rezip(t, jul, dropMaven)},
		// The same jar twice in one archive is one package.
		entry{name: "other/commons-lang3-3.12.0.jar", data: lang3},
	)
	war := zipOf(t,
		entry{name: "META-INF/MANIFEST.MF", data: manifestOf("Created-By", "Maven WAR Plugin 3.3.2")},
		entry{name: "META-INF/maven/com.example/webapp/pom.properties", data: pomProps("com.example", "webapp", "1.0")},
		entry{name: "WEB-INF/web.xml", data: []byte("<web-app/>")},
		entry{name: "WEB-INF/lib/jackson-core-2.14.1.jar", data: jackson},
		entry{name: "WEB-INF/lib/slf4j-simple-1.7.32.jar", data: simple},
	)
	ear := zipOf(t,
		entry{name: "META-INF/application.xml", data: []byte("<application/>")},
		entry{name: "webapp.war", data: war},
		entry{name: "lib/slf4j-api-1.7.32.jar", data: slf4j},
	)
	shaded := zipOf(t,
		entry{name: "META-INF/MANIFEST.MF", data: manifestOf(
			"Implementation-Title", "uber",
			"Implementation-Version", "2.0",
			"Bundle-License", `"Apache-2.0";link="https://www.apache.org/licenses/LICENSE-2.0.txt", https://opensource.org/licenses/MIT, https://example.com/our-licence`)},
		entry{name: "META-INF/maven/org.slf4j/slf4j-api/pom.properties", data: pomProps("org.slf4j", "slf4j-api", "1.7.32")},
		entry{name: "META-INF/maven/com.fasterxml.jackson.core/jackson-core/pom.properties", data: pomProps("com.fasterxml.jackson.core", "jackson-core", "2.14.1")},
	)
	plugin := zipOf(t,
		entry{name: "META-INF/MANIFEST.MF", data: manifestOf(
			"Short-Name", "git",
			"Long-Name", "Jenkins Git plugin",
			"Group-Id", "org.jenkins-ci.plugins",
			"Plugin-Version", "4.11.3 (private-08/28/2022 09:38-jenkins)",
			"Jenkins-Version", "2.263.1")},
		entry{name: "WEB-INF/lib/git.jar", data: zipOf(t, entry{name: "hudson/plugins/git/GitSCM.class", data: []byte("x")})},
		entry{name: "WEB-INF/lib/jul-to-slf4j.jar", data: jul},
	)
	return map[string][]byte{
		"usr/share/java/commons-lang3.jar":      lang3,
		"usr/share/java/slf4j-api.jar":          slf4j,
		"app/app.jar":                           fat,
		"srv/webapp.war":                        war,
		"opt/ear/app.ear":                       ear,
		"opt/shaded/uber-2.0.jar":               shaded,
		"opt/lib/logging.jar":                   rezip(t, slf4j, dropMaven),
		"opt/lib/commons-lang3-3.12.0.jar":      rezip(t, lang3, dropMaven),
		"var/jenkins_home/plugins/git.jpi":      plugin,
		"opt/nifi/other-1.0.nar":                zipOf(t, entry{name: "README", data: []byte("not Java")}),
		"usr/share/doc/README.md":               []byte("not wanted"),
		"opt/lib/commons-lang3-3.12.0.jar.sha1": []byte("not wanted"),
	}
}

type result struct {
	Packages []sbom.Package `json:"packages"`
	Warnings []string       `json:"warnings"`
}

func TestCatalogGolden(t *testing.T) {
	pkgs, warns := run(t, New(), imageFiles(t))
	got := result{pkgs, warns}
	golden := filepath.Join("testdata", "catalog.golden.json")
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	var want result
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("catalog (-want +got):\n%s", diff)
	}
}

// TestCatalogKeyFacts states the decisions the golden file records, so
// that a careless -update cannot bless a regression.
func TestCatalogKeyFacts(t *testing.T) {
	pkgs, warns := run(t, New(), imageFiles(t))
	if len(warns) > 0 {
		t.Errorf("warnings: %q", warns)
	}
	type row struct{ VirtualPath, PURL, From string }
	var got []row
	for _, p := range pkgs {
		got = append(got, row{p.Java.VirtualPath, p.PURL, p.Java.From})
		if p.Ecosystem != sbom.Maven || p.FoundBy != "java-archive" || len(p.Locations) != 1 || !strings.HasPrefix(p.Java.VirtualPath, p.Locations[0]) {
			t.Errorf("%s: bad package %+v", p.PURL, p)
		}
	}
	want := []row{
		{"/app/app.jar", "pkg:maven/com.example/demo@0.0.1-SNAPSHOT", fromPom},
		{"/app/app.jar:BOOT-INF/lib/commons-lang3-3.12.0.jar", "pkg:maven/org.apache.commons/commons-lang3@3.12.0", fromPom},
		{"/app/app.jar:BOOT-INF/lib/slf4j-api-1.7.32.jar", "pkg:maven/org.slf4j/slf4j-api@1.7.32", fromPom},
		{"/app/app.jar:BOOT-INF/lib/jul-to-slf4j-1.7.32.jar", "pkg:maven/jul-to-slf4j@1.7.32", fromFilename},
		{"/opt/ear/app.ear:webapp.war", "pkg:maven/com.example/webapp@1.0", fromPom},
		{"/opt/ear/app.ear:webapp.war:WEB-INF/lib/jackson-core-2.14.1.jar", "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.14.1", fromPom},
		{"/opt/ear/app.ear:lib/slf4j-api-1.7.32.jar", "pkg:maven/org.slf4j/slf4j-api@1.7.32", fromPom},
		{"/opt/ear/app.ear:webapp.war:WEB-INF/lib/slf4j-simple-1.7.32.jar", "pkg:maven/org.slf4j/slf4j-simple@1.7.32", fromPom},
		{"/opt/lib/commons-lang3-3.12.0.jar", "pkg:maven/org.apache.commons/commons-lang3@3.12.0", fromFilename},
		{"/opt/lib/logging.jar", "pkg:maven/slf4j-api@1.7.32", fromManifest},
		{"/opt/shaded/uber-2.0.jar", "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.14.1", fromPom},
		{"/opt/shaded/uber-2.0.jar", "pkg:maven/org.slf4j/slf4j-api@1.7.32", fromPom},
		{"/opt/shaded/uber-2.0.jar", "pkg:maven/uber@2.0", fromFilename},
		{"/srv/webapp.war", "pkg:maven/com.example/webapp@1.0", fromPom},
		{"/srv/webapp.war:WEB-INF/lib/jackson-core-2.14.1.jar", "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.14.1", fromPom},
		{"/srv/webapp.war:WEB-INF/lib/slf4j-simple-1.7.32.jar", "pkg:maven/org.slf4j/slf4j-simple@1.7.32", fromPom},
		{"/usr/share/java/commons-lang3.jar", "pkg:maven/org.apache.commons/commons-lang3@3.12.0", fromPom},
		{"/usr/share/java/slf4j-api.jar", "pkg:maven/org.slf4j/slf4j-api@1.7.32", fromPom},
		{"/var/jenkins_home/plugins/git.jpi:WEB-INF/lib/jul-to-slf4j.jar", "pkg:maven/org.slf4j/jul-to-slf4j@1.7.32", fromPom},
		{"/var/jenkins_home/plugins/git.jpi", "pkg:maven/org.jenkins-ci.plugins/git@4.11.3", fromManifest},
	}
	sortRows := func(rs []row) {
		slices.SortFunc(rs, func(a, b row) int {
			return strings.Compare(a.VirtualPath+"\x00"+a.PURL, b.VirtualPath+"\x00"+b.PURL)
		})
	}
	sortRows(got)
	sortRows(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}

	// The SHA-1 is the archive's own, top-level or nested, and only its
	// own pom.properties (or identity) carries it.
	sums := map[string]string{}
	for _, p := range pkgs {
		sums[p.Java.VirtualPath+" "+p.PURL] = p.Java.SHA1
	}
	for key, want := range map[string]string{
		"/usr/share/java/commons-lang3.jar pkg:maven/org.apache.commons/commons-lang3@3.12.0":                  "003d0394826097ee9becbd2938fa61374c78dae0",
		"/app/app.jar:BOOT-INF/lib/commons-lang3-3.12.0.jar pkg:maven/org.apache.commons/commons-lang3@3.12.0": "003d0394826097ee9becbd2938fa61374c78dae0",
		"/opt/ear/app.ear:lib/slf4j-api-1.7.32.jar pkg:maven/org.slf4j/slf4j-api@1.7.32":                       "c2da549972bd86ce3bd92029c12dfdde62fb253a",
		"/opt/shaded/uber-2.0.jar pkg:maven/org.slf4j/slf4j-api@1.7.32":                                        "",
	} {
		if got, ok := sums[key]; !ok || got != want {
			t.Errorf("sha1 of %s = %q, want %q", key, got, want)
		}
	}
	for _, p := range pkgs {
		if p.PURL == "pkg:maven/uber@2.0" {
			want := []sbom.License{
				{SPDX: "Apache-2.0", Value: "Apache-2.0"},
				{SPDX: "MIT", Value: "https://opensource.org/licenses/MIT"},
				{Value: "https://example.com/our-licence"},
			}
			if diff := cmp.Diff(want, p.Licenses); diff != "" {
				t.Errorf("uber licences (-want +got):\n%s", diff)
			}
		}
	}
}

// TestSpoolToDisk reads the same archives through temporary files, top
// level and nested, and checks the result is the same and nothing is left
// behind.
func TestSpoolToDisk(t *testing.T) {
	files := imageFiles(t)
	want, wantWarns := run(t, New(), files)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	c := New()
	c.lim.memSpool = 1024
	got, gotWarns := run(t, c, files)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages through temporary files (-memory +disk):\n%s", diff)
	}
	if diff := cmp.Diff(wantWarns, gotWarns); diff != "" {
		t.Errorf("warnings (-memory +disk):\n%s", diff)
	}
	// Nested archives also go to disk once the memory budget is spent.
	c = New()
	c.lim.memNested = 0
	got, _ = run(t, c, files)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages with no nested memory (-memory +disk):\n%s", diff)
	}
	noTempFiles(t, tmp)
}

func TestBadInput(t *testing.T) {
	lang3 := jar(t, "commons-lang3.jar")
	slf4j := jar(t, "slf4j-api.jar")
	// deflate compresses zeros about 1000:1.
	zeros := make([]byte, 8<<20)

	deep := slf4j
	for i := range 6 {
		deep = zipOf(t, entry{name: "lib/level" + string(rune('1'+i)) + ".jar", data: deep})
	}
	small := func(f func(*limits)) *Cataloger {
		c := New()
		f(&c.lim)
		return c
	}
	tests := []struct {
		name      string
		c         *Cataloger
		data      []byte
		wantPURLs []string
		wantWarns []string // substrings, in order
	}{
		{
			name:      "truncated",
			data:      lang3[:len(lang3)/2],
			wantWarns: []string{"not a readable zip archive"},
		},
		{
			name:      "central directory cut",
			data:      lang3[:len(lang3)-30],
			wantWarns: []string{"not a readable zip archive"},
		},
		{
			name:      "not a zip",
			data:      bytes.Repeat([]byte("garbage "), 100),
			wantWarns: []string{"not a readable zip archive"},
		},
		{
			name: "nested corrupt archive",
			data: zipOf(t,
				entry{name: "WEB-INF/lib/broken-1.0.jar", data: lang3[:1000]},
				entry{name: "WEB-INF/lib/slf4j-api-1.7.32.jar", data: slf4j}),
			wantPURLs: []string{"pkg:maven/org.slf4j/slf4j-api@1.7.32"},
			wantWarns: []string{"WEB-INF/lib/broken-1.0.jar: not a readable zip archive"},
		},
		{
			name: "deflated nested jar",
			data: zipOf(t,
				entry{name: "META-INF/MANIFEST.MF", data: manifestOf("Implementation-Title", "x"), deflate: true},
				entry{name: "WEB-INF/lib/jackson-core-2.14.1.jar", data: jar(t, "jackson-core.jar"), deflate: true}),
			wantPURLs: []string{"pkg:maven/com.fasterxml.jackson.core/jackson-core@2.14.1"},
		},
		{
			name: "zip bomb by ratio",
			data: zipOf(t,
				entry{name: "BOOT-INF/lib/bomb-1.0.jar", data: zeros, deflate: true},
				entry{name: "BOOT-INF/lib/slf4j-api-1.7.32.jar", data: slf4j}),
			wantPURLs: []string{"pkg:maven/org.slf4j/slf4j-api@1.7.32"},
			wantWarns: []string{"BOOT-INF/lib/bomb-1.0.jar: compression ratio over 200:1 (zip bomb?)"},
		},
		{
			name: "decompression budget",
			c:    small(func(l *limits) { l.maxBytes = 100_000 }),
			data: zipOf(t,
				entry{name: "lib/commons-lang3-3.12.0.jar", data: lang3},
				entry{name: "lib/slf4j-api-1.7.32.jar", data: slf4j}),
			wantPURLs: []string{"pkg:maven/org.slf4j/slf4j-api@1.7.32"},
			wantWarns: []string{"lib/commons-lang3-3.12.0.jar: 595165 bytes would exceed the 100000-byte decompression budget"},
		},
		{
			name:      "nested too deep",
			data:      deep,
			wantWarns: []string{"lib/level6.jar:lib/level5.jar:lib/level4.jar:lib/level3.jar:lib/level2.jar: nested more than 4 archives deep"},
		},
		{
			name: "nested deep enough",
			c:    small(func(l *limits) { l.maxDepth = 6 }),
			data: deep,
			// The jar is named level1.jar: the pom.properties is its own
			// (a lone one and no version in the name).
			wantPURLs: []string{"pkg:maven/org.slf4j/slf4j-api@1.7.32"},
		},
		{
			name: "garbage manifest",
			data: rezip(t, slf4j, func(n string) bool { return n == "META-INF/MANIFEST.MF" },
				entry{name: "META-INF/MANIFEST.MF", data: []byte("Manifest-Version: 1.0\n\x00\x01\x02garbage\n continued\nImplementation-Vendor: x\n???\n")}),
			wantPURLs: []string{"pkg:maven/org.slf4j/slf4j-api@1.7.32"},
			wantWarns: []string{"META-INF/MANIFEST.MF: line 2: not a manifest header (and 2 more such lines)"},
		},
		{
			name: "manifest too large",
			c:    small(func(l *limits) { l.maxMeta = 100 }),
			data: rezip(t, slf4j, dropMaven),
			wantWarns: []string{
				"META-INF/MANIFEST.MF: 586 bytes, over the 100-byte limit: not read",
			},
		},
		{
			name: "pom.properties without version",
			data: zipOf(t,
				entry{name: "META-INF/maven/org.example/thing/pom.properties", data: []byte("groupId=org.example\nartifactId=thing\nversion=${project.version}\n")}),
			wantWarns: []string{"META-INF/maven/org.example/thing/pom.properties: no usable artifactId and version"},
		},
		{
			name:      "too many entries",
			c:         small(func(l *limits) { l.maxEntries = 10 }),
			data:      lang3,
			wantWarns: []string{"more than 10 archive entries in all"},
		},
		{
			name: "entries in all, said once",
			c:    small(func(l *limits) { l.maxEntries = 6 }),
			data: zipOf(t,
				entry{name: "a.jar", data: zipOf(t, entry{name: "META-INF/maven/g/a/pom.properties", data: pomProps("org.a", "a", "1")}, entry{name: "x"})},
				entry{name: "b.jar", data: zipOf(t, entry{name: "META-INF/maven/g/b/pom.properties", data: pomProps("org.b", "b", "1")}, entry{name: "x"})},
				entry{name: "c.jar", data: zipOf(t, entry{name: "META-INF/maven/g/c/pom.properties", data: pomProps("org.c", "c", "1")}, entry{name: "x"})}),
			wantPURLs: []string{"pkg:maven/org.a/a@1"},
			wantWarns: []string{"b.jar: more than 6 archive entries in all: the rest not read"},
		},
		{
			name:      "central directory too large",
			c:         small(func(l *limits) { l.maxDir = 100_000 }),
			data:      manyEntries(t, 2000),
			wantWarns: []string{"central directory larger than 100000 bytes: not read"},
		},
		{
			name: "too many warnings",
			c:    small(func(l *limits) { l.maxWarnings = 2 }),
			data: zipOf(t,
				entry{name: "a.jar", data: []byte("x")},
				entry{name: "b.jar", data: []byte("x")},
				entry{name: "c.jar", data: []byte("x")},
				entry{name: "d.jar", data: []byte("x")}),
			wantWarns: []string{"a.jar: not a readable", "b.jar: not a readable", "2 more warnings not shown"},
		},
		{
			name: "too many artifacts",
			c:    small(func(l *limits) { l.maxArtifacts = 1 }),
			data: zipOf(t,
				entry{name: "META-INF/maven/a/a/pom.properties", data: pomProps("org.a", "a", "1")},
				entry{name: "META-INF/maven/b/b/pom.properties", data: pomProps("org.b", "b", "1")},
				entry{name: "META-INF/maven/c/c/pom.properties", data: pomProps("org.c", "c", "1")}),
			wantPURLs: []string{"pkg:maven/org.a/a@1"},
			wantWarns: []string{"more than 1 artifacts: the rest not reported"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			if c == nil {
				c = New()
			}
			const p = "app/x.jar"
			pkgs, warns := run(t, c, map[string][]byte{p: tt.data})
			var purls []string
			for _, pk := range pkgs {
				purls = append(purls, pk.PURL)
			}
			if diff := cmp.Diff(tt.wantPURLs, purls); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if len(warns) != len(tt.wantWarns) {
				t.Fatalf("warnings = %q, want %d", warns, len(tt.wantWarns))
			}
			for i, w := range tt.wantWarns {
				if !strings.HasPrefix(warns[i], "java-archive: /app/x.jar: ") || !strings.Contains(warns[i], w) {
					t.Errorf("warning %d = %q, want it to name the file and contain %q", i, warns[i], w)
				}
			}
		})
	}
}

func TestExtractStreamErrors(t *testing.T) {
	c := New()
	data := jar(t, "slf4j-api.jar")
	// A stream shorter than announced is the stream's failure.
	if _, err := c.Extract(context.Background(), "a.jar", bytes.NewReader(data[:100]), int64(len(data))); err == nil {
		t.Error("short stream: no error")
	}
	c.lim.memSpool = 10
	t.Setenv("TMPDIR", t.TempDir())
	if _, err := c.Extract(context.Background(), "a.jar", bytes.NewReader(data[:100]), int64(len(data))); err == nil {
		t.Error("short stream to disk: no error")
	}
	// Unknown size is read to the end.
	out, err := c.Extract(context.Background(), "a.jar", bytes.NewReader(data), -1)
	if err != nil || !bytes.Contains(out, []byte("slf4j-api")) {
		t.Errorf("unknown size: %s, %v", out, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New().Extract(ctx, "a.jar", bytes.NewReader(data), int64(len(data))); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	if _, err := New().Extract(context.Background(), "a.jar", bytes.NewReader(nil), 3<<30); err == nil {
		t.Error("3 GiB: no error")
	}
	noTempFiles(t, os.Getenv("TMPDIR"))
}

func TestWants(t *testing.T) {
	c := New()
	tests := []struct {
		path string
		mode fs.FileMode
		size int64
		want bool
	}{
		{"app/app.jar", 0o644, 1000, true},
		{"app/APP.JAR", 0o644, 1000, true},
		{"srv/x.War", 0o644, 1000, true},
		{"a.ear", 0o644, 1000, true},
		{"plugins/git.jpi", 0o644, 1000, true},
		{"plugins/git.hpi", 0o644, 1000, true},
		{"x.par", 0o644, 1000, true},
		{"x.sar", 0o644, 1000, true},
		{"x.nar", 0o644, 1000, true},
		{"x.kar", 0o644, 1000, true},
		{"app/app.jar", 0o644, 2 << 30, true},
		{"app/app.jar", 0o644, 2<<30 + 1, false},
		{"app/app.jar", 0o644, 21, false},
		{"app/app.jar", fs.ModeSymlink | 0o777, 0, false},
		{"app/.jar", 0o644, 1000, false},
		{"jar", 0o644, 1000, false},
		{"app/app.jar.sha1", 0o644, 1000, false},
		{"app/app.zip", 0o644, 1000, false},
		{"app/appjar", 0o644, 1000, false},
		{"app/app.tar", 0o644, 1000, false},
	}
	for _, tt := range tests {
		if got := c.Wants(tt.path, tt.mode, tt.size); got != tt.want {
			t.Errorf("Wants(%q, %v, %d) = %v, want %v", tt.path, tt.mode, tt.size, got, tt.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { c.Wants("usr/share/java/commons-lang3.JAR", 0o644, 1000) }); n != 0 {
		t.Errorf("Wants allocates %v times", n)
	}
}

// TestInventory runs the cataloger through the whole pipeline on a
// directory, with a Debian-style versioned symlink beside the jar.
func TestInventory(t *testing.T) {
	root := t.TempDir()
	files := imageFiles(t)
	for p, data := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("commons-lang3.jar", filepath.Join(root, "usr/share/java/commons-lang3-3.12.0.jar")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	im, err := image.Open(ctx, "dir:"+root, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := catalog.Inventory(ctx, im, catalog.Options{Catalogers: []catalog.Cataloger{New()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Warnings) > 0 {
		t.Errorf("warnings: %q", inv.Warnings)
	}
	want, _ := run(t, New(), files)
	// The core merges the same package found in several archives into one
	// with all their locations; compare by key and locations.
	type row struct {
		PURL      string
		Locations []string
	}
	merge := func(pkgs []sbom.Package) []row {
		var out []row
		idx := map[string]int{}
		for _, p := range pkgs {
			if i, ok := idx[p.PURL]; ok {
				for _, l := range p.Locations {
					if !slices.Contains(out[i].Locations, l) {
						out[i].Locations = append(out[i].Locations, l)
					}
				}
				continue
			}
			idx[p.PURL] = len(out)
			out = append(out, row{p.PURL, append([]string(nil), p.Locations...)})
		}
		for i := range out {
			slices.Sort(out[i].Locations)
		}
		slices.SortFunc(out, func(a, b row) int { return strings.Compare(a.PURL, b.PURL) })
		return out
	}
	if diff := cmp.Diff(merge(want), merge(inv.Packages)); diff != "" {
		t.Errorf("inventory (-catalog +inventory):\n%s", diff)
	}
}

// manyEntries builds a jar of n small classes with long names: a central
// directory of about 150 bytes per entry.
func manyEntries(t testing.TB, n int) []byte {
	var es []entry
	for i := range n {
		es = append(es, entry{name: fmt.Sprintf("org/example/some/rather/deep/package/name/for/the/test/Class%05d.class", i), data: []byte("x")})
	}
	return zipOf(t, es...)
}

// TestLaunchScript reads a Spring Boot "fully executable" jar, which has a
// shell script before the zip data.
func TestLaunchScript(t *testing.T) {
	fat := zipOf(t,
		entry{name: "META-INF/maven/com.example/demo/pom.properties", data: pomProps("com.example", "demo", "1.0")},
		entry{name: "BOOT-INF/lib/slf4j-api-1.7.32.jar", data: jar(t, "slf4j-api.jar")},
	)
	script := []byte("#!/bin/bash\n# launch script\nexec java -jar \"$0\" \"$@\"\nexit 0\n")
	pkgs, warns := run(t, New(), map[string][]byte{"app/app.jar": append(script, fat...)})
	if len(warns) > 0 {
		t.Errorf("warnings: %q", warns)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Java.VirtualPath+" "+p.PURL)
	}
	want := []string{
		"/app/app.jar pkg:maven/com.example/demo@1.0",
		"/app/app.jar:BOOT-INF/lib/slf4j-api-1.7.32.jar pkg:maven/org.slf4j/slf4j-api@1.7.32",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func BenchmarkExtract(b *testing.B) {
	files := imageFiles(b)
	data := files["app/app.jar"]
	c := New()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := c.Extract(context.Background(), "app/app.jar", bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExtractToDisk(b *testing.B) {
	files := imageFiles(b)
	data := files["app/app.jar"]
	c := New()
	c.lim.memSpool = 0
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := c.Extract(context.Background(), "app/app.jar", bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}
