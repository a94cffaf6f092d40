package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/vigilproject/vigil/internal/images"
)

// idParam returns the numeric {id} of a path.
func idParam(r *http.Request, what string) (int64, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest(fmt.Sprintf("%s id %q: want a positive integer", what, v))
	}
	return id, nil
}

// getJob answers GET /v1/jobs/{id}.
func (s *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "job")
	if err != nil {
		return err
	}
	j, err := s.cfg.Store.Job(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiJob(j))
	return nil
}

// impact answers GET /v1/vulnerabilities/{id}/impact: the images a
// vulnerability, named by any of its ids or aliases, hits; every one, or
// a page of ?limit= after the cursor ?after=.
func (s *Server) impact(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "limit", "after"); err != nil {
		return err
	}
	opt := images.ImpactOptions{After: q.Get("after")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return badRequest(fmt.Sprintf("limit %q: want 1 to 1000", v))
		}
		opt.Limit = n
	}
	im, err := s.cfg.Service.ImpactPage(r.Context(), r.PathValue("id"), opt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiImpact(im))
	return nil
}

// packages answers GET /v1/packages?purl=…[&range=…]: the images holding
// a package.
func (s *Server) packages(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "purl", "range"); err != nil {
		return err
	}
	if q.Get("purl") == "" {
		return badRequest("purl is required: pkg:TYPE/NAMESPACE/NAME[@VERSION]")
	}
	ps, err := s.cfg.Service.Packages(r.Context(), images.PackageQuery{PURL: q.Get("purl"), Range: q.Get("range")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiPackages(ps))
	return nil
}
