// Package api holds the wire types of vigil serve's HTTP API, shared by the
// server and its Go client. They are the API's contract (documented in
// /openapi.json); domain types never go on the wire directly.
package api

import (
	"encoding/json"
	"time"
)

// Version is the API's version, in every path: /v1/….
const Version = "v1"

// Error is the body of every 4xx and 5xx answer.
type Error struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody says what went wrong. Code is stable ("bad_request",
// "unauthorized", "forbidden", "not_found", "method_not_allowed",
// "conflict", "too_large", "unsupported_media_type", "unprocessable", "internal",
// "unavailable"); Message is for people.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// AddImageRequest registers an image: exactly one of Reference (pulled
// by the server's workers) or SBOM (a CycloneDX, SPDX or Vigil document:
// a JSON object, or any format as a JSON string).
type AddImageRequest struct {
	Reference string          `json:"reference,omitempty"`
	SBOM      json.RawMessage `json:"sbom,omitempty"`
	// Name is the image reference an SBOM describes ("repo:tag").
	Name string `json:"name,omitempty"`
	// Wait assesses an uploaded SBOM before answering.
	Wait bool `json:"wait,omitempty"`
}

// AddImageResponse answers AddImageRequest: a Job for a reference (202),
// the stored Image for an SBOM (201).
type AddImageResponse struct {
	Job   *Job   `json:"job,omitempty"`
	Image *Image `json:"image,omitempty"`
}

// Job is a background job.
type Job struct {
	ID       int64           `json:"id"`
	Kind     string          `json:"kind"`
	State    string          `json:"state"` // queued, running, done, failed
	Attempts int             `json:"attempts"`
	Created  time.Time       `json:"created"`
	Updated  time.Time       `json:"updated"`
	Error    string          `json:"error,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
}

// Image is a stored image.
type Image struct {
	Digest     string     `json:"digest"`
	Repository string     `json:"repository,omitempty"`
	Tag        string     `json:"tag,omitempty"`
	Reference  string     `json:"reference,omitempty"`
	Origin     string     `json:"origin"` // registry or sbom
	Distro     string     `json:"distro,omitempty"`
	Base       *BaseImage `json:"baseImage,omitempty"`
	Layers     int        `json:"layers"`
	Packages   int        `json:"packages"`
	Registered time.Time  `json:"registered"`
	Indexed    time.Time  `json:"indexed"`
	// Assessed is absent until the image was first matched; DBVersion
	// is the vulnerability database version it was matched against.
	Assessed  *time.Time `json:"assessed,omitempty"`
	DBVersion int64      `json:"dbVersion,omitempty"`
	Findings  Summary    `json:"findings"`
	SizeBytes int64      `json:"sizeBytes"`
}

// BaseImage is what is known of an image's base.
type BaseImage struct {
	Source string `json:"source"` // annotation, flag, unknown
	Name   string `json:"name,omitempty"`
	Digest string `json:"digest,omitempty"`
	Layers int    `json:"layers"`
}

// Summary counts an image's unsuppressed findings.
type Summary struct {
	Critical   int    `json:"critical"`
	High       int    `json:"high"`
	Medium     int    `json:"medium"`
	Low        int    `json:"low"`
	Negligible int    `json:"negligible"`
	Unknown    int    `json:"unknown"`
	Fixable    int    `json:"fixable"`
	KEV        int    `json:"kev"`
	Max        string `json:"max"` // highest severity, "unknown" when none
}

// ImageList is one page of GET /v1/images; Next, when set, is the
// cursor of the next page (?after=).
type ImageList struct {
	Images []Image `json:"images"`
	Next   string  `json:"next,omitempty"`
}

// ImageDetail is GET /v1/images/{digest}: the image, its inventory (the
// same document as `vigil sbom -f json`) and its last assessment (the
// findings as in `vigil scan -f json`).
type ImageDetail struct {
	Image      Image           `json:"image"`
	Inventory  json.RawMessage `json:"inventory,omitempty"`
	Assessment *Assessment     `json:"assessment,omitempty"`
}

// Assessment is an image's last match.
type Assessment struct {
	At        time.Time       `json:"at"`
	DBVersion int64           `json:"dbVersion"`
	Findings  json.RawMessage `json:"findings"`
	Warnings  []string        `json:"warnings,omitempty"`
}

// Impact is GET /v1/vulnerabilities/{id}/impact.
type Impact struct {
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases"`
	Summary   string   `json:"summary,omitempty"`
	Severity  string   `json:"severity"`
	KEV       bool     `json:"kev,omitempty"`
	DBVersion int64    `json:"dbVersion"`
	// Total counts the images hit; Images is one page of them (all
	// unless ?limit= was given) and Next, when set, the cursor of the
	// next page (?after=).
	Total  int           `json:"total"`
	Images []ImpactImage `json:"images"`
	Next   string        `json:"next,omitempty"`
}

// ImpactImage is one image a vulnerability hits.
type ImpactImage struct {
	Digest     string          `json:"digest"`
	Repository string          `json:"repository,omitempty"`
	Tag        string          `json:"tag,omitempty"`
	Base       *BaseImage      `json:"baseImage,omitempty"`
	Packages   []ImpactPackage `json:"packages"`
}

// ImpactPackage is one affected package of an image.
type ImpactPackage struct {
	Ecosystem     string   `json:"ecosystem"`
	Name          string   `json:"name"`
	Version       string   `json:"version"`
	SourceName    string   `json:"sourceName,omitempty"`
	SourceVersion string   `json:"sourceVersion,omitempty"`
	PURL          string   `json:"purl,omitempty"`
	Status        string   `json:"status"`
	Fixed         []string `json:"fixedVersions,omitempty"`
	FixWhere      string   `json:"fixWhere,omitempty"` // base-image or application
	Severity      string   `json:"severity"`
	Layer         int      `json:"layer"`
	InBase        bool     `json:"inBase"`
	Advisory      string   `json:"advisory"`
}

// PackageList is GET /v1/packages.
type PackageList struct {
	Packages []PackageImages `json:"packages"`
}

// PackageImages is one package version and the images holding it.
type PackageImages struct {
	Ecosystem     string          `json:"ecosystem"`
	Name          string          `json:"name"`
	Version       string          `json:"version"`
	SourceName    string          `json:"sourceName,omitempty"`
	SourceVersion string          `json:"sourceVersion,omitempty"`
	PURL          string          `json:"purl"`
	Distro        string          `json:"distro,omitempty"`
	Images        []PackageHolder `json:"images"`
}

// PackageHolder is an image holding a package.
type PackageHolder struct {
	Digest     string `json:"digest"`
	Repository string `json:"repository,omitempty"`
	Tag        string `json:"tag,omitempty"`
	Layer      int    `json:"layer"`
	InBase     bool   `json:"inBase"`
}

// CreateTokenRequest is POST /v1/tokens.
type CreateTokenRequest struct {
	Name    string     `json:"name"`
	Scope   string     `json:"scope"` // read, write, admin
	Expires *time.Time `json:"expires,omitempty"`
}

// Token describes a token; Secret is set only in the answer to its
// creation.
type Token struct {
	ID       int64      `json:"id"`
	Name     string     `json:"name"`
	Scope    string     `json:"scope"`
	Prefix   string     `json:"prefix"`
	Created  time.Time  `json:"created"`
	Expires  *time.Time `json:"expires,omitempty"`
	LastUsed *time.Time `json:"lastUsed,omitempty"`
	Revoked  bool       `json:"revoked,omitempty"`
	Secret   string     `json:"secret,omitempty"`
}

// TokenList is GET /v1/tokens.
type TokenList struct {
	Tokens []Token `json:"tokens"`
}

// UpdateResponse answers POST /v1/db/update once the update is done.
type UpdateResponse struct {
	Status string `json:"status"` // "updated"
}

// Event is one recorded lifecycle event, the data of each event of the
// GET /v1/events stream (whose SSE id is Seq and event name Type).
type Event struct {
	Seq        int64     `json:"seq"`
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Time       time.Time `json:"time"`
	Digest     string    `json:"digest"`
	Repository string    `json:"repository,omitempty"`
	// Vulnerability is the advisory of a finding event.
	Vulnerability string `json:"vulnerability,omitempty"`
	Severity      string `json:"severity,omitempty"`
	KEV           bool   `json:"kev,omitempty"`
	// Data is the event's payload, the data of its CloudEvent.
	Data json.RawMessage `json:"data"`
}

// CreateSubscriptionRequest is POST /v1/subscriptions.
type CreateSubscriptionRequest struct {
	Name string `json:"name,omitempty"`
	URL  string `json:"url"`
	Kind string `json:"kind,omitempty"` // cloudevents (default) or slack
	// Secret keys the deliveries' Vigil-Signature; it is never returned.
	Secret string `json:"secret,omitempty"`
	// Events lists the event types wanted; empty: all.
	Events      []string `json:"events,omitempty"`
	MinSeverity string   `json:"minSeverity,omitempty"`
	Repository  string   `json:"repository,omitempty"`
	KEVOnly     bool     `json:"kevOnly,omitempty"`
}

// Subscription describes a webhook subscription, never its secret.
type Subscription struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	URL            string    `json:"url"`
	Kind           string    `json:"kind"`
	HasSecret      bool      `json:"hasSecret"`
	Events         []string  `json:"events"`
	MinSeverity    string    `json:"minSeverity,omitempty"`
	Repository     string    `json:"repository,omitempty"`
	KEVOnly        bool      `json:"kevOnly"`
	Created        time.Time `json:"created"`
	Disabled       bool      `json:"disabled"`
	DisabledReason string    `json:"disabledReason,omitempty"`
}

// SubscriptionList is GET /v1/subscriptions.
type SubscriptionList struct {
	Subscriptions []Subscription `json:"subscriptions"`
}

// Delivery is one event's delivery to one subscription.
type Delivery struct {
	ID           int64      `json:"id"`
	Subscription int64      `json:"subscription"`
	EventSeq     int64      `json:"eventSeq"`
	EventID      string     `json:"eventId"`
	EventType    string     `json:"eventType"`
	State        string     `json:"state"` // pending, delivered, dead
	Attempts     int        `json:"attempts"`
	NextAt       time.Time  `json:"nextAt"`
	LastError    string     `json:"lastError,omitempty"`
	LastStatus   int        `json:"lastStatus,omitempty"`
	Created      time.Time  `json:"created"`
	Updated      time.Time  `json:"updated"`
	Delivered    *time.Time `json:"delivered,omitempty"`
}

// DeliveryList is GET /v1/deliveries.
type DeliveryList struct {
	Deliveries []Delivery `json:"deliveries"`
}

// RedriveRequest is POST /v1/deliveries/redrive: the dead deliveries of a
// subscription, or the listed ones (of the subscription, when both are
// given).
type RedriveRequest struct {
	Subscription int64   `json:"subscription,omitempty"`
	Deliveries   []int64 `json:"deliveries,omitempty"`
}

// RedriveResponse counts the dead deliveries made pending again.
type RedriveResponse struct {
	Redriven int64 `json:"redriven"`
}

// ReassessResponse answers POST /v1/reassess once the re-assessment is
// done.
type ReassessResponse struct {
	DBVersion int64 `json:"dbVersion"`
	Changes   int   `json:"changes"`
	Keys      int   `json:"keys"`
	Packages  int   `json:"packages"`
	Events    int   `json:"events"`
}
