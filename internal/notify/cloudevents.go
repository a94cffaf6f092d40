package notify

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/vigilproject/vigil/internal/store"
)

// CloudEvents content types: the structured mode's, and the data's.
const (
	ContentTypeCloudEvents = "application/cloudevents+json; charset=utf-8"
	dataContentType        = "application/json"
	// TypePrefix prefixes an event type to make a CloudEvents type:
	// "dev.vigil.finding.new".
	TypePrefix = "dev.vigil."
)

// CloudEvent is a CloudEvents 1.0 event in the JSON event format, as
// structured-mode deliveries carry it.
type CloudEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            store.EventData `json:"data"`
}

// Source returns the CloudEvents source of a server: "urn:vigil:<name>".
func Source(serverName string) string { return "urn:vigil:" + serverName }

// NewCloudEvent makes the CloudEvent of a recorded event. Its id is the
// event's stable ID: the same change gives the same id on every replica
// and every attempt, so (source, id) deduplicates.
func NewCloudEvent(e *store.Event, source string) CloudEvent {
	return CloudEvent{
		SpecVersion:     "1.0",
		ID:              e.ID,
		Source:          source,
		Type:            TypePrefix + e.Type,
		Subject:         string(e.Digest),
		Time:            e.Time.UTC(),
		DataContentType: dataContentType,
		Data:            e.Data,
	}
}

func cloudEventBody(e *store.Event, source string) ([]byte, error) {
	return marshal(NewCloudEvent(e, source))
}

// marshal is json.Marshal without the escaping of <, > and & meant for
// HTML: bodies stay as readable as their data.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
