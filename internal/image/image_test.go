package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// testImage builds a small two-layer image whose files say which
// architecture it is for.
func testImage(t *testing.T, arch string) v1.Image {
	t.Helper()
	img := empty.Image
	for i, body := range []string{"ID=test\n", "arch=" + arch + "\n"} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		name := []string{"etc/os-release", "etc/arch"}[i]
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
		tw.Close()
		data := buf.Bytes()
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		if err != nil {
			t.Fatal(err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "step " + name}})
		if err != nil {
			t.Fatal(err)
		}
	}
	cfg, _ := img.ConfigFile()
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	cfg.Config.Labels = map[string]string{"title": "test-" + arch}
	img, err := mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// basicAuth wraps a registry handler with one user.
func basicAuth(h http.Handler, user, pass string) http.Handler {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != want {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func TestRegistry(t *testing.T) {
	srv := httptest.NewServer(basicAuth(registry.New(registry.Logger(log.New(io.Discard, "", 0))), "alice", "s3cret"))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	auth := authn.FromConfig(authn.AuthConfig{Username: "alice", Password: "s3cret"})

	amd, arm := testImage(t, "amd64"), testImage(t, "arm64")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	ref, err := name.ParseReference(host + "/multi:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx, remote.WithAuth(auth)); err != nil {
		t.Fatal(err)
	}
	kc := staticKeychain{auth}

	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			im, err := Open(context.Background(), "registry:"+host+"/multi:1", Options{Keychain: kc, Platform: "linux/" + arch})
			if err != nil {
				t.Fatal(err)
			}
			if im.Source.Architecture != arch || len(im.Layers) != 2 {
				t.Fatalf("got %s with %d layers", im.Source.Architecture, len(im.Layers))
			}
			if im.Layers[1].CreatedBy != "step etc/arch" {
				t.Errorf("createdBy = %q", im.Layers[1].CreatedBy)
			}
			if !strings.HasPrefix(im.Source.RepoDigests[0], host+"/multi@sha256:") {
				t.Errorf("repo digests = %v", im.Source.RepoDigests)
			}
			rc, err := im.Layers[1].Open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if b := readAll(t, rc); !bytes.Contains(b, []byte("arch="+arch)) {
				t.Errorf("layer 1 of %s does not hold its arch file", arch)
			}
		})
	}

	t.Run("bad credentials", func(t *testing.T) {
		bad := staticKeychain{authn.FromConfig(authn.AuthConfig{Username: "alice", Password: "wrong"})}
		_, err := Open(context.Background(), host+"/multi:1", Options{Keychain: bad})
		if err == nil || !strings.Contains(err.Error(), host) {
			t.Fatalf("err = %v, want an error naming %s", err, host)
		}
	})
	t.Run("missing tag", func(t *testing.T) {
		_, err := Open(context.Background(), "registry:"+host+"/multi:nope", Options{Keychain: kc})
		if err == nil || !strings.Contains(err.Error(), host) {
			t.Fatalf("err = %v", err)
		}
	})
}

type staticKeychain struct{ a authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	zr, err := decompressForTest(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUnreachableRegistry(t *testing.T) {
	// A listener that accepts and never answers: the timeout must fire and
	// the error must say which host.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(3 * time.Second)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	start := time.Now()
	_, err := Open(context.Background(), "registry:"+u.Host+"/slow:1", Options{Timeout: 300 * time.Millisecond, Keychain: authn.NewMultiKeychain()})
	if err == nil || !strings.Contains(err.Error(), u.Host) {
		t.Fatalf("err = %v, want one naming %s", err, u.Host)
	}
	if time.Since(start) > 2500*time.Millisecond {
		t.Errorf("the timeout did not bound the wait")
	}
}

func TestLayoutAndArchives(t *testing.T) {
	dir := t.TempDir()
	amd := testImage(t, "amd64")
	arm := testImage(t, "arm64")
	lp, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	ann := map[string]string{annotationRefName: "example.com/app:amd", AnnotationBaseName: "example.com/base:1", AnnotationBaseDigest: "sha256:" + strings.Repeat("a", 64)}
	if err := lp.AppendImage(amd, layout.WithAnnotations(ann)); err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(arm, layout.WithAnnotations(map[string]string{annotationRefName: "example.com/app:arm"})); err != nil {
		t.Fatal(err)
	}
	armDigest, _ := arm.Digest()

	// docker-archive (legacy docker save form).
	tarPath := filepath.Join(dir, "docker.tar")
	tag, _ := name.NewTag("example.com/app:amd")
	if err := tarball.WriteToFile(tarPath, tag, amd); err != nil {
		t.Fatal(err)
	}
	// oci-archive: a tar of the layout.
	ociTar := filepath.Join(dir, "oci.tar")
	tarDir(t, filepath.Join(dir, "layout"), ociTar)

	tests := []struct {
		target   string
		arch     string
		kind     string
		base     bool
		wantErr  string
		digested bool
	}{
		{target: "oci-dir:" + dir + "/layout:amd", arch: "amd64", kind: KindOCIDir, base: true, digested: true},
		{target: "oci-dir:" + dir + "/layout:example.com/app:arm", arch: "arm64", kind: KindOCIDir, digested: true},
		{target: "oci-dir:" + dir + "/layout@" + armDigest.String(), arch: "arm64", kind: KindOCIDir, digested: true},
		{target: dir + "/layout", wantErr: "holds 2 images"},
		{target: "oci-dir:" + dir + "/layout:nope", wantErr: "no image"},
		{target: "docker-archive:" + tarPath, arch: "amd64", kind: KindDockerArchive},
		{target: tarPath, arch: "amd64", kind: KindDockerArchive},
		{target: "oci-archive:" + ociTar + ":amd", arch: "amd64", kind: KindOCIArchive, base: true, digested: true},
		{target: ociTar + "@" + armDigest.String(), arch: "arm64", kind: KindOCIArchive, digested: true},
		{target: "./does-not-exist.tar", wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			im, err := Open(context.Background(), tt.target, Options{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			if im.Source.Architecture != tt.arch || im.Source.Kind != tt.kind {
				t.Errorf("got %s/%s, want %s/%s", im.Source.Kind, im.Source.Architecture, tt.kind, tt.arch)
			}
			if (im.BaseName != "") != tt.base {
				t.Errorf("base name = %q", im.BaseName)
			}
			if tt.digested && im.Layers[0].Digest == "" {
				t.Error("layer digest missing")
			}
			if im.Layers[0].DiffID == "" || im.Source.Labels["title"] != "test-"+tt.arch {
				t.Errorf("metadata missing: %+v", im.Source)
			}
			rc, err := im.Layers[1].Open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if b := readAll(t, rc); !bytes.Contains(b, []byte("arch="+tt.arch)) {
				t.Error("layer content does not match")
			}
		})
	}
}

func TestHostileLayouts(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	write("nolayout/oci-layout", `{"imageLayoutVersion":"1.0.0"}`)
	write("badjson/oci-layout", `{}`)
	write("badjson/index.json", `{"manifests": [`)
	write("missingblob/oci-layout", `{}`)
	write("missingblob/index.json", `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:`+strings.Repeat("0", 64)+`","size":10}]}`)
	write("garbage.tar", "this is not a tar file at all, not even close.......")
	tests := []struct{ target, want string }{
		{"oci-dir:" + dir + "/nolayout", "not an OCI layout"},
		{"oci-dir:" + dir + "/badjson", "index.json"},
		{"oci-dir:" + dir + "/missingblob", "blob sha256:0000"},
		{dir + "/garbage.tar", "garbage.tar"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Open(context.Background(), tt.target, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// tarDir writes the files under dir into a tar at dst.
func tarDir(t *testing.T, dir, dst string) {
	t.Helper()
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
}

func decompressForTest(r io.Reader) (io.Reader, error) {
	br := bufioReader(r)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return gzip.NewReader(br)
	}
	return br, nil
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

// TestDocker25Archive reads the save format of Docker 25 and later: an OCI
// layout plus the legacy manifest.json, layers named by digest.
func TestDocker25Archive(t *testing.T) {
	dir := t.TempDir()
	img := testImage(t, "amd64")
	lp, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img, layout.WithAnnotations(map[string]string{annotationRefName: "docker.io/library/app:1", AnnotationBaseName: "docker.io/library/debian:12"})); err != nil {
		t.Fatal(err)
	}
	m, _ := img.Manifest()
	legacy := []map[string]any{{"Config": "blobs/sha256/" + m.Config.Digest.Hex, "RepoTags": []string{"app:1"}}}
	var layers []string
	for _, l := range m.Layers {
		layers = append(layers, "blobs/sha256/"+l.Digest.Hex)
	}
	legacy[0]["Layers"] = layers
	b, _ := json.Marshal(legacy)
	os.WriteFile(filepath.Join(dir, "layout", "manifest.json"), b, 0o644)
	tarPath := filepath.Join(dir, "docker25.tar")
	tarDir(t, filepath.Join(dir, "layout"), tarPath)

	for _, target := range []string{tarPath, "docker-archive:" + tarPath} {
		im, err := Open(context.Background(), target, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if im.Source.Kind != KindDockerArchive || im.BaseName != "docker.io/library/debian:12" || im.Layers[0].Digest == "" {
			t.Errorf("%s: kind %s, base %q, layer digest %q", target, im.Source.Kind, im.BaseName, im.Layers[0].Digest)
		}
		im.Close()
	}
}

func TestMissingLayerBlob(t *testing.T) {
	dir := t.TempDir()
	img := testImage(t, "amd64")
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	m, _ := img.Manifest()
	os.Remove(filepath.Join(dir, "blobs", "sha256", m.Layers[1].Digest.Hex))
	im, err := Open(context.Background(), "oci-dir:"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = im.Layers[1].Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), m.Layers[1].Digest.String()) {
		t.Fatalf("err = %v, want one naming the missing blob", err)
	}
}
