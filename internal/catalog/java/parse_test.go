package java

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/sbom"
)

func TestParseFilename(t *testing.T) {
	tests := []struct {
		base, name, version string
	}{
		{"commons-lang3-3.12.0.jar", "commons-lang3", "3.12.0"},
		{"jackson-core-2.13.4.2.jar", "jackson-core", "2.13.4.2"},
		{"guava-31.1-jre.jar", "guava", "31.1-jre"},
		{"guava-31.1-android.jar", "guava", "31.1-android"},
		{"spring-boot-3.1.0-SNAPSHOT.jar", "spring-boot", "3.1.0-SNAPSHOT"},
		{"log4j-1.2-api-2.17.1.jar", "log4j-1.2-api", "2.17.1"},
		{"log4j-1.2.17.jar", "log4j", "1.2.17"},
		{"bcprov-jdk15on-1.70.jar", "bcprov-jdk15on", "1.70"},
		{"kotlin-stdlib-jdk8-1.8.0.jar", "kotlin-stdlib-jdk8", "1.8.0"},
		{"akka-actor_2.13-2.6.20.jar", "akka-actor_2.13", "2.6.20"},
		{"jetty-util-9.4.51.v20230217.jar", "jetty-util", "9.4.51.v20230217"},
		{"netty-transport-native-epoll-4.1.94.Final-linux-x86_64.jar", "netty-transport-native-epoll", "4.1.94.Final"},
		{"netty-tcnative-boringssl-static-2.0.61.Final-osx-aarch_64.jar", "netty-tcnative-boringssl-static", "2.0.61.Final"},
		{"foo-1.0-beta-2.jar", "foo", "1.0-beta-2"},
		{"foo-1.0-rc1.jar", "foo", "1.0-rc1"},
		{"foo-1.0-20230101.123456-1.jar", "foo", "1.0-20230101.123456-1"},
		{"foo-1.0-sources.jar", "foo", "1.0"},
		{"app-1.0-jar-with-dependencies.jar", "app", "1.0"},
		{"app-0.0.1-SNAPSHOT-plain.jar", "app", "0.0.1-SNAPSHOT"},
		{"javax.servlet-api-4.0.1.jar", "javax.servlet-api", "4.0.1"},
		{"commons-lang3.jar", "commons-lang3", ""},
		{"app.jar", "app", ""},
		{"APP-2.0.JAR", "APP", "2.0"},
		{"git.jpi", "git", ""},
		{"1.0.jar", "1.0", ""},
		{"-1.0.jar", "-1.0", ""},
		{"foo--1.0.jar", "foo--1.0", ""},
		{"foo", "foo", ""},
	}
	for _, tt := range tests {
		name, version := parseFilename(tt.base)
		if name != tt.name || version != tt.version {
			t.Errorf("parseFilename(%q) = %q, %q; want %q, %q", tt.base, name, version, tt.name, tt.version)
		}
	}
}

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		main     map[string]string
		sections int
		err      string
	}{
		{
			name: "continuations keep what sits at the break",
			in: "Manifest-Version: 1.0\r\n" +
				"Bundle-Description: Apache Commons Lang, a package of Java utility class\r\n" +
				" es for the  classes\r\n" +
				"Export-Package: org.slf4j;version=1.7.32, org.slf4j.spi;version=1.7.32, \r\n" +
				" org.slf4j.helpers\r\n\r\n",
			main: map[string]string{
				"manifest-version":   "1.0",
				"bundle-description": "Apache Commons Lang, a package of Java utility classes for the  classes",
				"export-package":     "org.slf4j;version=1.7.32, org.slf4j.spi;version=1.7.32, org.slf4j.helpers",
			},
		},
		{
			name: "LF and CR line ends, case-insensitive names, last wins",
			in:   "implementation-title: a\nIMPLEMENTATION-TITLE: b\rBundle-Version:3.0\r",
			main: map[string]string{"implementation-title": "b", "bundle-version": "3.0"},
		},
		{
			name:     "per-entry sections",
			in:       "Manifest-Version: 1.0\n\nName: javax/servlet/\nImplementation-Version: 2.5\n\n\nName: x\nA: b\n",
			main:     map[string]string{"manifest-version": "1.0"},
			sections: 2,
		},
		{
			name: "byte order mark, no final newline",
			in:   "\xef\xbb\xbfImplementation-Version: 1",
			main: map[string]string{"implementation-version": "1"},
		},
		{
			name: "garbage",
			in:   "Implementation-Version: 1\n continues\n\x00\x01\xff\nno colon\n: empty name\nbad name!: x\n",
			main: map[string]string{"implementation-version": "1continues"},
			err:  "line 3: not a manifest header (and 3 more such lines)",
		},
		{
			name: "continuation without header",
			in:   " orphan\nA: b\n",
			main: map[string]string{"a": "b"},
			err:  "line 1: not a manifest header",
		},
		{
			name: "empty",
			in:   "",
			main: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseManifest([]byte(tt.in))
			if diff := cmp.Diff(tt.main, m.main); diff != "" {
				t.Errorf("main (-want +got):\n%s", diff)
			}
			if len(m.sections) != tt.sections {
				t.Errorf("%d sections, want %d", len(m.sections), tt.sections)
			}
			var got string
			if err != nil {
				got = err.Error()
			}
			if got != tt.err {
				t.Errorf("err = %q, want %q", got, tt.err)
			}
		})
	}
	m, _ := parseManifest([]byte("Manifest-Version: 1.0\n\nName: javax/servlet/\nImplementation-Version: 2.5\n"))
	if got := m.get("implementation-version"); got != "2.5" {
		t.Errorf("section fallback = %q", got)
	}
	var many strings.Builder
	for range maxSections + 10 {
		many.WriteString("\nName: x\nA: b\n continued\n")
	}
	m, err := parseManifest([]byte(many.String()))
	if len(m.sections) != maxSections || err != nil {
		t.Errorf("%d sections, err %v; want %d, nil", len(m.sections), err, maxSections)
	}
}

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{
			name: "maven",
			in:   "#Generated by Maven\n#Tue Jun 06 10:00:00 UTC 2023\ngroupId=org.slf4j\nartifactId=slf4j-api\nversion=1.7.32\n",
			want: map[string]string{"groupId": "org.slf4j", "artifactId": "slf4j-api", "version": "1.7.32"},
		},
		{
			name: "separators, spaces, CRLF",
			in:   "  groupId : org.x\r\n! comment\r\nartifactId\tthing\r\nversion   =   1.0  \r\n",
			want: map[string]string{"groupId": "org.x", "artifactId": "thing", "version": "1.0  "},
		},
		{
			name: "continuation and escapes",
			in:   "groupId=org.\\\n    example\nartifact\\Id=\\u0061b\\tc\nversion=1\\\\\nother=x",
			want: map[string]string{"groupId": "org.example", "artifactId": "ab\tc", "version": `1\`},
		},
		{
			name: "comment does not continue, bad escape kept",
			in:   "# a \\\nversion=\\u12\ngroupId=x\\",
			want: map[string]string{"version": "u12", "groupId": "x"},
		},
		{
			name: "empty key and value",
			in:   "=\nversion\n",
			want: map[string]string{"version": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseProperties([]byte(tt.in), "groupId", "artifactId", "version")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadPom(t *testing.T) {
	tests := []struct {
		entry, data string
		want        pom
		ok          bool
	}{
		{"META-INF/maven/org.slf4j/slf4j-api/pom.properties", "groupId=org.slf4j\nartifactId=slf4j-api\nversion=1.7.32\n",
			pom{"org.slf4j", "slf4j-api", "1.7.32"}, true},
		// Coordinates missing from the file come from its directory.
		{"META-INF/maven/org.slf4j/slf4j-api/pom.properties", "version=1.7.32\n",
			pom{"org.slf4j", "slf4j-api", "1.7.32"}, true},
		{"META-INF/maven/pom.properties", "version=1\n", pom{version: "1"}, false},
		{"META-INF/maven/g/a/pom.properties", "artifactId=a\nversion=${project.version}\n", pom{"g", "a", "${project.version}"}, false},
		{"META-INF/maven/g/a/pom.properties", "groupId=bad group\nartifactId=a\nversion=1\n", pom{"", "a", "1"}, true},
	}
	for _, tt := range tests {
		got, ok := readPom(tt.entry, []byte(tt.data))
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(pom{})); diff != "" || ok != tt.ok {
			t.Errorf("readPom(%q, %q) ok=%v (-want +got):\n%s", tt.entry, tt.data, ok, diff)
		}
	}
}

// mf builds a manifest from header pairs.
func mf(headers ...string) *manifest {
	m, _ := parseManifest(manifestOf(headers...))
	return &m
}

func TestOwnPom(t *testing.T) {
	lang3 := pom{artifactID: "commons-lang3", version: "3.12.0", group: "org.apache.commons"}
	guava := pom{artifactID: "guava", version: "31.1-jre", group: "com.google.guava"}
	demo := pom{artifactID: "demo", version: "1.0", group: "com.example"}
	tests := []struct {
		name string
		poms []pom
		base string
		m    *manifest
		want int
	}{
		{"file name is the artifactId", []pom{guava, lang3}, "commons-lang3.jar", mf(), 1},
		{"file name is artifactId-version", []pom{guava, lang3}, "commons-lang3-3.12.0.jar", mf(), 1},
		{"file name with classifier", []pom{guava, lang3}, "commons-lang3-3.12.0-sources.jar", mf(), 1},
		{"file name with another version", []pom{{artifactID: "foo", version: "1.0"}, {artifactID: "bar", version: "1"}}, "foo-1.0.1.jar", mf(), -1},
		{"artifactId with a number", []pom{{artifactID: "log4j-1.2-api", version: "2.17.1"}}, "log4j-1.2-api-2.17.1.jar", mf(), 0},
		{"manifest title", []pom{guava, demo}, "app.jar", mf("Implementation-Title", "demo", "Implementation-Version", "1.0"), 1},
		{"manifest title, other version", []pom{guava, demo}, "app.jar", mf("Implementation-Title", "demo", "Implementation-Version", "2.0"), -1},
		{"lone pom, unversioned file", []pom{demo}, "app.jar", mf(), 0},
		{"lone pom, other file version", []pom{guava}, "uber-2.0.jar", mf(), -1},
		{"lone pom, manifest says other version", []pom{guava}, "app.jar", mf("Implementation-Version", "2.0"), -1},
		{"several, none matches", []pom{guava, demo}, "app.jar", mf(), -1},
		{"renamed, the only one with the manifest's version", []pom{guava, demo}, "renamed.jar", mf("Implementation-Version", "1.0"), 1},
		{"renamed, two with the manifest's version", []pom{guava, demo, {artifactID: "x", version: "1.0"}}, "renamed.jar", mf("Implementation-Version", "1.0"), -1},
		{"versioned file, the only one with its version", []pom{guava, demo}, "app-1.0.jar", mf("Implementation-Version", "1.0"), -1},
		{"jenkins short name", []pom{{artifactID: "git", version: "4.11.3"}, guava}, "git.jpi", mf("Short-Name", "git", "Plugin-Version", "4.11.3"), 0},
		{"none", nil, "app.jar", mf(), -1},
	}
	for _, tt := range tests {
		ext, _ := archiveExt(tt.base)
		if got := ownPom(tt.poms, tt.base, tt.m, isPluginExt(ext)); got != tt.want {
			t.Errorf("%s: ownPom = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestArchiveIdentity(t *testing.T) {
	type id struct{ Group, Artifact, Version, From string }
	tests := []struct {
		name string
		base string
		m    *manifest
		want *id
	}{
		{"file name", "commons-lang3-3.12.0.jar", mf(), &id{"", "commons-lang3", "3.12.0", fromFilename}},
		{"file name wins over OSGi version", "guava-31.1-jre.jar",
			mf("Bundle-SymbolicName", "com.google.guava", "Bundle-Version", "31.1.0.jre"), &id{"", "guava", "31.1-jre", fromFilename}},
		{"manifest for an unversioned name", "logging.jar",
			mf("Implementation-Title", "slf4j-api", "Implementation-Version", "1.7.32"), &id{"", "slf4j-api", "1.7.32", fromManifest}},
		{"display title is not an artifactId", "commons-lang3.jar",
			mf("Implementation-Title", "Apache Commons Lang", "Bundle-SymbolicName", "org.apache.commons.lang3", "Bundle-Version", "3.12.0"),
			&id{"org.apache.commons", "commons-lang3", "3.12.0", fromManifest}},
		{"bundle name", "x.jar", mf("Bundle-Name", "jul-to-slf4j", "Bundle-Version", "1.7.32"), &id{"", "jul-to-slf4j", "1.7.32", fromManifest}},
		{"version with a note", "x.jar", mf("Implementation-Version", "1.2.3 (build 42)"), &id{"", "x", "1.2.3", fromManifest}},
		{"placeholder version", "x.jar", mf("Implementation-Version", "${project.version}"), nil},
		{"no version", "app.jar", mf("Main-Class", "x.Main"), nil},
		{"specification version last", "x.jar", mf("Specification-Version", "2.5"), &id{"", "x", "2.5", fromManifest}},
		{"jenkins plugin", "git.hpi",
			mf("Short-Name", "git", "Plugin-Version", "4.11.3", "Group-Id", "org.jenkins-ci.plugins", "Implementation-Version", "9"),
			&id{"org.jenkins-ci.plugins", "git", "4.11.3", fromManifest}},
		{"jenkins plugin, versioned file", "git-4.11.2.jpi",
			mf("Short-Name", "git", "Plugin-Version", "4.11.3"), &id{"", "git", "4.11.3", fromManifest}},
		{"non-Java zip without manifest", "other-1.0.nar", nil, nil},
		{"non-Java zip with manifest", "other-1.0.nar", mf("Created-By", "x"), &id{"", "other", "1.0", fromFilename}},
		{"invalid name", "a+b-1.0.jar", mf(), nil},
	}
	for _, tt := range tests {
		m, has := tt.m, tt.m != nil
		if m == nil {
			m = &manifest{main: map[string]string{}}
		}
		ext, _ := archiveExt(tt.base)
		g, a, v, from, ok := archiveIdentity(tt.base, m, ext, has)
		var got *id
		if ok {
			got = &id{g, a, v, from}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestInferGroup(t *testing.T) {
	tests := []struct {
		artifact string
		m        *manifest
		want     string
	}{
		{"jackson-core", mf("Bundle-SymbolicName", "com.fasterxml.jackson.core.jackson-core"), "com.fasterxml.jackson.core"},
		{"commons-lang3", mf("Bundle-SymbolicName", "org.apache.commons.lang3"), "org.apache.commons"},
		{"maven-core", mf("Bundle-SymbolicName", "org.apache.maven.core;singleton:=true"), "org.apache.maven"},
		{"log4j-core", mf("Bundle-SymbolicName", "org.apache.logging.log4j.core"), "org.apache.logging.log4j"},
		// Not org.apache: "tomcat" is no part of it.
		{"tomcat-catalina", mf("Bundle-SymbolicName", "org.apache.tomcat-catalina"), ""},
		{"httpclient", mf("Bundle-SymbolicName", "org.apache.httpcomponents.httpclient", "Implementation-Vendor-Id", "org.apache"), ""},
		// Ambiguous: com.google:guava and com.google.guava:guava both give it.
		{"guava", mf("Bundle-SymbolicName", "com.google.guava"), ""},
		{"snakeyaml", mf("Bundle-SymbolicName", "org.yaml.snakeyaml"), ""},
		// A one-part group is not inferred.
		{"slf4j-api", mf("Bundle-SymbolicName", "slf4j.api"), ""},
		{"guava", mf("Bundle-SymbolicName", "com.google.guava", "Implementation-Vendor-Id", "com.google.guava"), "com.google.guava"},
		{"thing", mf("Implementation-Vendor-Id", "SLF4J.ORG"), ""},
		{"thing", mf("Implementation-Vendor-Id", "org.example"), "org.example"},
		{"thing", mf("Group-Id", "org.jenkins-ci.plugins"), ""}, // only for plugins
		{"thing", mf(), ""},
	}
	for _, tt := range tests {
		if got := inferGroup(tt.artifact, tt.m, false); got != tt.want {
			t.Errorf("inferGroup(%q, %v) = %q, want %q", tt.artifact, tt.m.main, got, tt.want)
		}
	}
	if got := inferGroup("git", mf("Group-Id", "org.jenkins-ci.plugins"), true); got != "org.jenkins-ci.plugins" {
		t.Errorf("plugin group = %q", got)
	}
}

func TestBundleLicenses(t *testing.T) {
	tests := []struct {
		in   string
		want []sbom.License
	}{
		{"", nil},
		{"<<EXTERNAL>>", nil},
		{"Apache-2.0", []sbom.License{{SPDX: "Apache-2.0", Value: "Apache-2.0"}}},
		{"https://www.apache.org/licenses/LICENSE-2.0.txt", []sbom.License{{SPDX: "Apache-2.0", Value: "https://www.apache.org/licenses/LICENSE-2.0.txt"}}},
		{"http://www.eclipse.org/legal/epl-v10.html, http://www.gnu.org/licenses/lgpl-2.1.html", []sbom.License{
			{SPDX: "EPL-1.0", Value: "http://www.eclipse.org/legal/epl-v10.html"},
			{Value: "http://www.gnu.org/licenses/lgpl-2.1.html"},
		}},
		{`"Apache License, Version 2.0";link="http://www.apache.org/licenses/LICENSE-2.0";description="x, y"`, []sbom.License{
			{SPDX: "Apache-2.0", Value: "Apache License, Version 2.0"},
		}},
		{`Our Licence;link="https://opensource.org/licenses/MIT"`, []sbom.License{{SPDX: "MIT", Value: "Our Licence"}}},
		{`Our Licence;link="https://example.com"`, []sbom.License{{Value: "Our Licence"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, bundleLicenses(tt.in)); diff != "" {
			t.Errorf("bundleLicenses(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	if n := len(bundleLicenses(strings.Repeat("MIT,", 100))); n != maxLicenses {
		t.Errorf("%d licences, want %d", n, maxLicenses)
	}
}

// TestRealManifests parses the manifests of the committed jars, which
// hold the 72-byte continuations of real writers.
func TestRealManifests(t *testing.T) {
	for name, want := range map[string]map[string]string{
		"commons-lang3.jar": {"implementation-version": "3.12.0", "bundle-symbolicname": "org.apache.commons.lang3",
			"require-capability": `osgi.ee;filter:="(&(osgi.ee=JavaSE)(version=1.8))"`},
		"slf4j-api.jar": {"implementation-title": "slf4j-api", "export-package": "org.slf4j;version=1.7.32, org.slf4j.spi;version=1.7.32, org.slf4j.helpers;version=1.7.32, org.slf4j.event;version=1.7.32"},
	} {
		data := jar(t, name)
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		rc, err := zr.Open("META-INF/MANIFEST.MF")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		m, err := parseManifest(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for k, v := range want {
			if m.main[k] != v {
				t.Errorf("%s: %s = %q, want %q", name, k, m.main[k], v)
			}
		}
		if !strings.Contains(m.main["export-package"], `org.apache.commons.lang3.concurrent.locks;version="3.12.0"`) && name == "commons-lang3.jar" {
			t.Errorf("%s: continuation lost: %q", name, m.main["export-package"])
		}
	}
}
