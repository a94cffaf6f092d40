package server

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/vigilproject/vigil/internal/report"
	"github.com/vigilproject/vigil/internal/store/storetest"
)

const docURL = "https://vigil.dev/api/openapi.json"

// apiDoc is the embedded OpenAPI document, its schemas compiled on demand.
type apiDoc struct {
	doc map[string]any
	c   *jsonschema.Compiler

	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema
}

type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s is not embedded (tests never use the network)", url)
}

var loadDoc = sync.OnceValues(func() (*apiDoc, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(openapiDoc))
	if err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(offline{})
	c.AssertFormat()
	for _, raw := range [][]byte{report.InventoryJSONSchema(), report.ScanJSONSchema()} {
		s, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		if err := c.AddResource(s.(map[string]any)["$id"].(string), s); err != nil {
			return nil, err
		}
	}
	if err := c.AddResource(docURL, doc); err != nil {
		return nil, err
	}
	return &apiDoc{doc: doc.(map[string]any), c: c, schemas: map[string]*jsonschema.Schema{}}, nil
})

func mustDoc(t testing.TB) *apiDoc {
	t.Helper()
	d, err := loadDoc()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// schema compiles the schema at a JSON pointer of the document.
func (d *apiDoc) schema(t testing.TB, pointer string) *jsonschema.Schema {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.schemas[pointer]; ok {
		return s
	}
	s, err := d.c.Compile(docURL + "#" + pointer)
	if err != nil {
		t.Errorf("openapi.json: compiling %s: %v", pointer, err)
		return nil
	}
	d.schemas[pointer] = s
	return s
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// operation returns the document's operation of a route pattern
// ("GET /v1/images/{digest}") and its JSON pointer.
func (d *apiDoc) operation(pattern string) (map[string]any, string) {
	method, path, _ := strings.Cut(pattern, " ")
	paths, _ := d.doc["paths"].(map[string]any)
	item, _ := paths[path].(map[string]any)
	op, _ := item[strings.ToLower(method)].(map[string]any)
	return op, "/paths/" + escapePointer(path) + "/" + strings.ToLower(method)
}

// checkAgainstDocument holds an answer to the document: its route is
// documented, its status is one the operation lists, and a JSON body
// validates against the schema the document gives for that status.
// Answers no route matched must be 404 or 405 Error objects.
func checkAgainstDocument(t testing.TB, srv *Server, req *http.Request, r response) {
	t.Helper()
	d := mustDoc(t)
	_, pattern := srv.mux.Handler(req)
	if ct := r.header.Get("Content-Type"); r.status != http.StatusNoContent && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("%s %s: %d answer with Content-Type %q", req.Method, req.URL.Path, r.status, ct)
	}
	var pointer string
	if pattern == "" {
		if r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: no route, status %d: want 404 or 405", req.Method, req.URL.Path, r.status)
		}
		pointer = "/components/schemas/Error"
	} else {
		if strings.HasPrefix(pattern, "HEAD ") || (req.Method == http.MethodHead && strings.HasPrefix(pattern, "GET ")) {
			return
		}
		op, opPtr := d.operation(pattern)
		if op == nil {
			t.Errorf("route %s is not in openapi.json", pattern)
			return
		}
		responses, _ := op["responses"].(map[string]any)
		code := strconv.Itoa(r.status)
		resp, ok := responses[code].(map[string]any)
		if !ok {
			t.Errorf("%s (%s %s) answered %d, which openapi.json does not list: %s", pattern, req.Method, req.URL, r.status, r.body)
			return
		}
		base := opPtr + "/responses/" + code
		if ref, ok := resp["$ref"].(string); ok {
			base = strings.TrimPrefix(ref, "#")
			resp = d.resolve(ref)
		}
		content, _ := resp["content"].(map[string]any)
		if content == nil {
			if len(r.body) != 0 {
				t.Errorf("%s answered %d with a body, the document says none: %s", pattern, r.status, r.body)
			}
			return
		}
		if _, ok := content["application/json"]; !ok {
			return
		}
		pointer = base + "/content/application~1json/schema"
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		t.Errorf("%s %s: %d answer is not JSON: %v: %s", req.Method, req.URL.Path, r.status, err, r.body)
		return
	}
	s := d.schema(t, pointer)
	if s == nil {
		return
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s %s: %d answer does not match openapi.json %s:\n%v\nbody: %.2000s", req.Method, req.URL.Path, r.status, pointer, err, r.body)
	}
}

func (d *apiDoc) resolve(ref string) map[string]any {
	var cur any = d.doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, _ := cur.(map[string]any)
		cur = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
	}
	m, _ := cur.(map[string]any)
	return m
}

// TestOpenAPIRoutes keeps the document and the routes the same set, both
// ways, and the scopes the document names equal to the ones enforced.
func TestOpenAPIRoutes(t *testing.T) {
	d := mustDoc(t)
	if v, _ := d.doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi version %q, want 3.1.x", v)
	}
	srv := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t)}).srv
	var routes []string
	for _, rt := range srv.routes {
		routes = append(routes, rt.pattern)
		op, _ := d.operation(rt.pattern)
		if op == nil {
			t.Errorf("route %s is not documented in openapi.json", rt.pattern)
			continue
		}
		var scopes []string
		sec, _ := op["security"].([]any)
		for _, req := range sec {
			for _, s := range req.(map[string]any)["bearer"].([]any) {
				scopes = append(scopes, s.(string))
			}
		}
		want := []string{}
		if rt.scope != "" {
			want = []string{rt.scope}
		}
		if !slices.Equal(scopes, want) && !(len(scopes) == 0 && len(want) == 0) {
			t.Errorf("%s: openapi.json requires scopes %q, the server %q", rt.pattern, scopes, want)
		}
		if responses, _ := op["responses"].(map[string]any); rt.scope != "" {
			for _, code := range []string{"401", "403"} {
				if responses[code] == nil {
					t.Errorf("%s needs a token but openapi.json lists no %s answer", rt.pattern, code)
				}
			}
		}
		if _, hasBody := op["requestBody"]; hasBody != (rt.body > 0) {
			t.Errorf("%s: openapi.json request body %v, the server reads one %v", rt.pattern, hasBody, rt.body > 0)
		}
	}
	for path, item := range d.doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			p := strings.ToUpper(method) + " " + path
			if !slices.Contains(routes, p) {
				t.Errorf("openapi.json documents %s, which the server does not serve", p)
			}
		}
	}
	// Every component schema compiles.
	for name := range d.doc["components"].(map[string]any)["schemas"].(map[string]any) {
		d.schema(t, "/components/schemas/"+name)
	}
}
