package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/monitor"
	"github.com/vigilproject/vigil/internal/netguard"
	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
)

// createSubscription answers POST /v1/subscriptions: the subscription,
// without its secret.
func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) error {
	var req api.CreateSubscriptionRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	n := store.NewSubscription{
		Name:   strings.TrimSpace(req.Name),
		URL:    strings.TrimSpace(req.URL),
		Kind:   req.Kind,
		Secret: req.Secret,
		Filter: store.Filter{EventTypes: req.Events, Repository: req.Repository, KEVOnly: req.KEVOnly},
	}
	if req.MinSeverity != "" {
		sev, ok := advisory.ParseSeverity(req.MinSeverity)
		if !ok {
			return badRequest(fmt.Sprintf("minSeverity %q: want negligible, low, medium, high or critical", req.MinSeverity))
		}
		n.MinSeverity = sev
	}
	if err := n.Validate(); err != nil {
		return badRequest(strings.TrimPrefix(err.Error(), store.ErrInvalidSubscription.Error()+": "))
	}
	if err := s.checkWebhookHost(n.URL); err != nil {
		return &httpError{http.StatusUnprocessableEntity, "unprocessable", err.Error()}
	}
	sub, err := s.cfg.Store.CreateSubscription(r.Context(), n)
	if errors.Is(err, store.ErrInvalidSubscription) {
		return badRequest(err.Error())
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/subscriptions/"+strconv.FormatInt(sub.ID, 10))
	writeJSON(w, http.StatusCreated, apiSubscription(sub))
	return nil
}

// checkWebhookHost refuses, when a subscription is made, a URL its
// deliveries could never reach: a host off the allow list, or a loopback,
// private or otherwise internal address literal that no explicit entry
// allows. Names resolving to such addresses are refused when dialled.
func (s *Server) checkWebhookHost(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	g := s.cfg.WebhookGuard
	if g == nil {
		g = &netguard.Guard{}
	}
	if err := g.Check(u.Host); err != nil {
		return fmt.Errorf("url: %w (see --allow-webhook-hosts)", err)
	}
	host := strings.ToLower(u.Hostname())
	internal := host == "localhost" || strings.HasSuffix(host, ".localhost")
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		internal = !ip.IsGlobalUnicast() || ip.IsPrivate() || netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
	}
	if internal && !explicitlyAllowed(g, u.Host) {
		return fmt.Errorf("url: %w: %s is not a public address; list it in --allow-webhook-hosts to allow it", netguard.ErrNotAllowed, u.Host)
	}
	return nil
}

// explicitlyAllowed reports whether an allow-list entry without wildcards
// names the host or host:port, as netguard.Guard requires of internal
// addresses.
func explicitlyAllowed(g *netguard.Guard, hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	for _, a := range g.Allow {
		a = strings.ToLower(a)
		if !strings.Contains(a, "*") && (a == strings.ToLower(hostport) || a == strings.ToLower(host)) {
			return true
		}
	}
	return false
}

// listSubscriptions answers GET /v1/subscriptions.
func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	subs, err := s.cfg.Store.Subscriptions(r.Context())
	if err != nil {
		return err
	}
	out := api.SubscriptionList{Subscriptions: make([]api.Subscription, 0, len(subs))}
	for _, sub := range subs {
		out.Subscriptions = append(out.Subscriptions, apiSubscription(sub))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getSubscription answers GET /v1/subscriptions/{id}.
func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "subscription")
	if err != nil {
		return err
	}
	sub, err := s.cfg.Store.Subscription(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiSubscription(sub))
	return nil
}

// deleteSubscription answers DELETE /v1/subscriptions/{id}; its
// deliveries go with it.
func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "subscription")
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteSubscription(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// enableSubscription answers POST /v1/subscriptions/{id}/enable.
func (s *Server) enableSubscription(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(w, r, false)
}

// disableSubscription answers POST /v1/subscriptions/{id}/disable.
func (s *Server) disableSubscription(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(w, r, true)
}

func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	id, err := idParam(r, "subscription")
	if err != nil {
		return err
	}
	if err := s.cfg.Store.SetSubscriptionDisabled(r.Context(), id, disabled, "disabled through the API"); err != nil {
		return err
	}
	sub, err := s.cfg.Store.Subscription(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiSubscription(sub))
	return nil
}

// listDeliveries answers GET /v1/deliveries?state=&subscription=&limit=&before=.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "state", "subscription", "limit", "before"); err != nil {
		return err
	}
	var f store.DeliveryFilter
	switch st := q.Get("state"); st {
	case "", store.DeliveryPending, store.DeliveryDelivered, store.DeliveryDead:
		f.State = st
	default:
		return badRequest(fmt.Sprintf("state %q: want pending, delivered or dead", st))
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"subscription", &f.Subscription}, {"before", &f.Before}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return badRequest(fmt.Sprintf("%s %q: want a positive integer", p.name, v))
			}
			*p.dst = n
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return badRequest(fmt.Sprintf("limit %q: want 1 to 1000", v))
		}
		f.Limit = n
	}
	ds, err := s.cfg.Store.Deliveries(r.Context(), f)
	if err != nil {
		return err
	}
	out := api.DeliveryList{Deliveries: make([]api.Delivery, 0, len(ds))}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, apiDelivery(d))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// redrive answers POST /v1/deliveries/redrive.
func (s *Server) redrive(w http.ResponseWriter, r *http.Request) error {
	var req api.RedriveRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Subscription < 0 {
		return badRequest("subscription: want a positive id")
	}
	if req.Subscription == 0 && len(req.Deliveries) == 0 {
		return badRequest("name a subscription, deliveries, or both")
	}
	if len(req.Deliveries) > 1000 {
		return badRequest("deliveries: at most 1000 at once")
	}
	for _, id := range req.Deliveries {
		if id <= 0 {
			return badRequest(fmt.Sprintf("delivery id %d: want a positive integer", id))
		}
	}
	if req.Subscription != 0 {
		if _, err := s.cfg.Store.Subscription(r.Context(), req.Subscription); err != nil {
			return err
		}
	}
	n, err := s.cfg.Store.Redrive(r.Context(), req.Subscription, req.Deliveries...)
	if err != nil {
		return err
	}
	if n > 0 && s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	writeJSON(w, http.StatusOK, api.RedriveResponse{Redriven: n})
	return nil
}

// reassess answers POST /v1/reassess?all=: a re-assessment from the
// change log, or of every stored package.
func (s *Server) reassess(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "all"); err != nil {
		return err
	}
	all, err := boolParam(q, "all")
	if err != nil {
		return err
	}
	if s.cfg.Reassess == nil {
		return &httpError{http.StatusServiceUnavailable, "unavailable", "this server runs no re-assessments (it has no workers)"}
	}
	res, err := s.cfg.Reassess(r.Context(), all)
	if errors.Is(err, monitor.ErrBusy) {
		return &httpError{http.StatusConflict, "conflict", "a re-assessment is already running"}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.ReassessResponse{
		DBVersion: res.DBVersion, Changes: res.Changes, Keys: res.Keys, Packages: res.Packages, Events: len(res.Events),
	})
	return nil
}

// ReassessFunc runs a re-assessment: monitor.Monitor's ReassessAll when
// all, else its Reassess.
type ReassessFunc func(ctx context.Context, all bool) (*monitor.Result, error)

func apiSubscription(s store.Subscription) api.Subscription {
	out := api.Subscription{
		ID: s.ID, Name: s.Name, URL: shownURL(s.URL, s.Kind), Kind: s.Kind, HasSecret: s.HasSecret,
		Events: s.EventTypes, Repository: s.Repository, KEVOnly: s.KEVOnly,
		Created: s.Created.UTC(), Disabled: s.Disabled, DisabledReason: s.DisabledReason,
	}
	if out.Events == nil {
		out.Events = []string{}
	}
	if s.MinSeverity > advisory.SeverityUnknown {
		out.MinSeverity = s.MinSeverity.String()
	}
	return out
}

// shownURL is a subscription's URL as the API shows it to any reader: a
// Slack webhook's path is its credential, and a query may hold a token,
// so both are elided.
func shownURL(raw, kind string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	if kind == store.KindSlack && u.Path != "" && u.Path != "/" {
		return u.Scheme + "://" + u.Host + "/…" + strings.TrimPrefix(u.String(), u.Scheme+"://"+u.Host+u.EscapedPath())
	}
	return u.String()
}

func apiDelivery(d store.Delivery) api.Delivery {
	out := api.Delivery{
		ID: d.ID, Subscription: d.SubscriptionID, EventSeq: d.EventSeq, EventID: d.EventID, EventType: d.EventType,
		State: d.State, Attempts: d.Attempts, NextAt: d.NextAt.UTC(), LastError: d.LastError, LastStatus: d.LastStatus,
		Created: d.Created.UTC(), Updated: d.Updated.UTC(),
	}
	if !d.Delivered.IsZero() {
		t := d.Delivered.UTC()
		out.Delivered = &t
	}
	return out
}
