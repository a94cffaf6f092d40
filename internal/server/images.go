package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/report"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
)

// decodeBody reads a whole JSON body into v: one value, no unknown fields.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return badRequest("reading the body: " + err.Error())
	}
	return decodeJSON(body, v)
}

func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return badRequest("the body is empty: want a JSON object")
		}
		return badRequest("malformed JSON body: " + err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("malformed JSON body: more than one JSON value")
	}
	return nil
}

// addImage registers an image by reference (202 and its job) or by SBOM
// (201 and the stored image).
func (s *Server) addImage(w http.ResponseWriter, r *http.Request) error {
	// A large body is an SBOM: wait for a decoding slot before reading it,
	// so that concurrent uploads cannot hold more than a few documents in
	// memory at once.
	held := false
	acquire := func() error {
		if held {
			return nil
		}
		select {
		case s.uploads <- struct{}{}:
			held = true
			return nil
		case <-r.Context().Done():
			return r.Context().Err()
		}
	}
	defer func() {
		if held {
			<-s.uploads
		}
	}()
	if r.ContentLength < 0 || r.ContentLength > maxJSONBody {
		if err := acquire(); err != nil {
			return err
		}
	}
	var req api.AddImageRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	hasSBOM := len(req.SBOM) > 0 && string(req.SBOM) != "null"
	switch {
	case req.Reference != "" && hasSBOM:
		return badRequest("give either reference or sbom, not both")
	case req.Reference == "" && !hasSBOM:
		return badRequest("give reference (an image to pull) or sbom (a document to store)")
	case req.Reference != "":
		if req.Name != "" || req.Wait {
			return badRequest("name and wait apply to an sbom upload only")
		}
		job, err := s.cfg.Service.AddReference(r.Context(), req.Reference)
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/v1/jobs/"+strconv.FormatInt(job.ID, 10))
		j := apiJob(job)
		writeJSON(w, http.StatusAccepted, api.AddImageResponse{Job: &j})
		return nil
	}
	doc, err := sbomDocument(req.SBOM)
	if err != nil {
		return err
	}
	if n := countComponents(doc); n > s.cfg.MaxPackages {
		return fmt.Errorf("%w: %d components, at most %d", images.ErrTooManyPkgs, n, s.cfg.MaxPackages)
	}
	if err := acquire(); err != nil {
		return err
	}
	im, err := s.cfg.Service.AddSBOM(r.Context(), images.SBOMUpload{Name: req.Name, Body: bytes.NewReader(doc), Wait: req.Wait})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/images/"+string(im.Digest))
	ai := apiImage(im)
	writeJSON(w, http.StatusCreated, api.AddImageResponse{Image: &ai})
	return nil
}

// sbomDocument returns the SBOM of a request: a JSON object as it is, a
// JSON string (any format: XML, tag-value, JSON) decoded.
func sbomDocument(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case '{':
		return raw, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, badRequest("sbom: " + err.Error())
		}
		if strings.TrimSpace(s) == "" {
			return nil, badRequest("sbom is an empty string")
		}
		return []byte(s), nil
	}
	return nil, badRequest("sbom must be a JSON object or a string holding the document")
}

// listImages answers GET /v1/images.
func (s *Server) listImages(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "repository", "severity", "fixable", "kev", "base", "assessed_before", "assessed_age", "limit", "after"); err != nil {
		return err
	}
	f := store.ImageFilter{Repository: q.Get("repository"), Base: q.Get("base"), After: q.Get("after")}
	if v := q.Get("severity"); v != "" {
		sev, ok := advisory.ParseSeverity(v)
		if !ok && !strings.EqualFold(v, "unknown") {
			return badRequest(fmt.Sprintf("severity %q: want negligible, low, medium, high or critical", v))
		}
		f.MinSeverity = sev
	}
	var err error
	if f.Fixable, err = boolParam(q, "fixable"); err != nil {
		return err
	}
	if f.KEV, err = boolParam(q, "kev"); err != nil {
		return err
	}
	before, age := q.Get("assessed_before"), q.Get("assessed_age")
	switch {
	case before != "" && age != "":
		return badRequest("give assessed_before or assessed_age, not both")
	case before != "":
		t, err := time.Parse(time.RFC3339, before)
		if err != nil {
			return badRequest(fmt.Sprintf("assessed_before %q: want an RFC 3339 time (2025-01-02T15:04:05Z)", before))
		}
		f.AssessedBefore = t
	case age != "":
		d, err := time.ParseDuration(age)
		if err != nil || d <= 0 {
			return badRequest(fmt.Sprintf("assessed_age %q: want a positive duration (24h, 90m)", age))
		}
		f.AssessedBefore = s.cfg.Now().Add(-d)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return badRequest(fmt.Sprintf("limit %q: want 1 to 1000", v))
		}
		f.Limit = n
	}
	page, err := s.cfg.Store.ListImages(r.Context(), f)
	if err != nil {
		return err
	}
	out := api.ImageList{Images: make([]api.Image, 0, len(page.Images)), Next: page.Next}
	for _, im := range page.Images {
		out.Images = append(out.Images, apiImage(im))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// onlyParams refuses query parameters an endpoint does not know, and
// parameters given twice, so that a typo is not silently ignored.
func onlyParams(q url.Values, known ...string) error {
	for k, v := range q {
		if !slices.Contains(known, k) {
			return badRequest(fmt.Sprintf("unknown query parameter %q (known: %s)", k, strings.Join(known, ", ")))
		}
		if len(v) > 1 {
			return badRequest(fmt.Sprintf("query parameter %q given %d times", k, len(v)))
		}
	}
	return nil
}

func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest(fmt.Sprintf("%s %q: want true or false", name, v))
	}
	return b, nil
}

// digestParam returns the {digest} of a path, refusing malformed ones.
func digestParam(r *http.Request) (sbom.Digest, error) {
	d := r.PathValue("digest")
	if !images.ValidDigest(d) {
		return "", badRequest(fmt.Sprintf("digest %q: want sha256:<64 hex> or sha512:<128 hex>", d))
	}
	return sbom.Digest(d), nil
}

// getImage answers GET /v1/images/{digest}: the image, with its inventory
// and findings unless ?include= leaves them out.
func (s *Server) getImage(w http.ResponseWriter, r *http.Request) error {
	digest, err := digestParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := onlyParams(q, "include"); err != nil {
		return err
	}
	withInv, withFindings := true, true
	if q.Has("include") {
		withInv, withFindings = false, false
		for part := range strings.SplitSeq(q.Get("include"), ",") {
			switch strings.TrimSpace(part) {
			case "inventory":
				withInv = true
			case "findings":
				withFindings = true
			case "":
			default:
				return badRequest(fmt.Sprintf("include %q: want a comma-separated list of inventory, findings", q.Get("include")))
			}
		}
	}
	ctx := r.Context()
	im, err := s.cfg.Store.Image(ctx, digest)
	if err != nil {
		return err
	}
	out := api.ImageDetail{Image: apiImage(im)}
	if withInv {
		inv, err := s.cfg.Store.Inventory(ctx, digest)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := report.WriteInventory(&b, inv, report.FormatJSON, report.Options{}); err != nil {
			return err
		}
		out.Inventory = json.RawMessage(b.Bytes())
	}
	if withFindings {
		// Findings are matched when asked for, against the current
		// database, as `vigil scan` of the image would report them.
		a, err := s.cfg.Service.Findings(ctx, digest)
		switch {
		case errors.Is(err, images.ErrNoAdvisories):
			// No database yet: nothing to report.
		case err != nil:
			return err
		default:
			fs, err := findingsJSON(a)
			if err != nil {
				return err
			}
			out.Assessment = &api.Assessment{At: a.At, DBVersion: a.DBVersion, Findings: fs, Warnings: a.Warnings}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// findingsJSON encodes findings as `vigil scan -f json` does.
func findingsJSON(a *store.Assessment) (json.RawMessage, error) {
	var b bytes.Buffer
	if err := report.WriteScan(&b, &report.ScanResult{Findings: a.Findings, DBVersion: a.DBVersion}, report.FormatJSON, report.Options{}); err != nil {
		return nil, err
	}
	var doc struct {
		Findings json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		return nil, fmt.Errorf("server: re-reading findings: %w", err)
	}
	return doc.Findings, nil
}

// deleteImage answers DELETE /v1/images/{digest}.
func (s *Server) deleteImage(w http.ResponseWriter, r *http.Request) error {
	digest, err := digestParam(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteImage(r.Context(), digest); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
