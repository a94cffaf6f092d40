package catalog

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/sbom"
)

func TestDetectDistro(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  *sbom.Distro
	}{
		{
			name:  "debian os-release",
			files: map[string]string{"etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"},
			want:  &sbom.Distro{ID: "debian", VersionID: "12", Codename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)", Source: "/etc/os-release"},
		},
		{
			name:  "debian testing takes the codename from debian_version",
			files: map[string]string{"usr/lib/os-release": "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n", "etc/debian_version": "trixie/sid\n"},
			want:  &sbom.Distro{ID: "debian", Codename: "trixie", PrettyName: "Debian GNU/Linux trixie/sid", Source: "/usr/lib/os-release"},
		},
		{
			name:  "ubuntu with ID_LIKE",
			files: map[string]string{"etc/os-release": "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\n"},
			want:  &sbom.Distro{ID: "ubuntu", VersionID: "22.04", Codename: "jammy", IDLike: []string{"debian"}, Source: "/etc/os-release"},
		},
		{
			name:  "alpine-release only",
			files: map[string]string{"etc/alpine-release": "3.20.3\n"},
			want:  &sbom.Distro{ID: "alpine", VersionID: "3.20.3", PrettyName: "Alpine Linux v3.20.3", Source: "/etc/alpine-release"},
		},
		{
			name:  "debian_version only",
			files: map[string]string{"etc/debian_version": "11.9\n"},
			want:  &sbom.Distro{ID: "debian", VersionID: "11", Codename: "bullseye", Source: "/etc/debian_version"},
		},
		{
			name:  "redhat-release only",
			files: map[string]string{"etc/redhat-release": "Red Hat Enterprise Linux release 8.9 (Ootpa)\n"},
			want:  &sbom.Distro{ID: "rhel", VersionID: "8.9", PrettyName: "Red Hat Enterprise Linux release 8.9 (Ootpa)", Source: "/etc/redhat-release"},
		},
		{
			name:  "a rolling distribution needs no version",
			files: map[string]string{"etc/os-release": "ID=chainguard\nNAME=\"Chainguard\"\nPRETTY_NAME=\"Chainguard\"\n"},
			want:  &sbom.Distro{ID: "chainguard", PrettyName: "Chainguard", Source: "/etc/os-release"},
		},
		{
			name:  "Wolfi",
			files: map[string]string{"etc/os-release": "ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\nHOME_URL=\"https://wolfi.dev\"\n"},
			want:  &sbom.Distro{ID: "wolfi", VersionID: "20230201", PrettyName: "Wolfi", Source: "/etc/os-release"},
		},
		{
			name:  "os-release without a version",
			files: map[string]string{"etc/os-release": "ID='mystery'\n"},
			want:  &sbom.Distro{ID: "mystery", Source: "/etc/os-release", Unknown: true},
		},
		{
			name:  "garbage os-release falls through",
			files: map[string]string{"etc/os-release": "\x00\x01garbage\n=\n", "etc/alpine-release": "3.19.1"},
			want:  &sbom.Distro{ID: "alpine", VersionID: "3.19.1", PrettyName: "Alpine Linux v3.19.1", Source: "/etc/alpine-release"},
		},
		{name: "nothing", files: map[string]string{"bin/sh": "x"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for k, v := range tt.files {
				fsys[k] = &fstest.MapFile{Data: []byte(v)}
			}
			if diff := cmp.Diff(tt.want, DetectDistro(fsys)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseOSRelease(f *testing.F) {
	f.Add([]byte("ID=debian\nVERSION_ID=\"12\"\n"))
	f.Add([]byte("ID='a\\'b'\nPRETTY_NAME=\"x\\\"y\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseOSRelease(b)
		parseRedHatRelease(string(b))
	})
}
