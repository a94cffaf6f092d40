-- Notifications: webhook subscriptions and the outbox of their deliveries.
-- A delivery row is written in the transaction that records its event, so
-- an event is never recorded without its deliveries, nor queued twice.
CREATE TABLE subscriptions (
	id              INTEGER PRIMARY KEY,
	name            TEXT    NOT NULL,
	url             TEXT    NOT NULL,
	kind            TEXT    NOT NULL,
	-- kept as given: the sender signs with it; never returned by the API
	secret          TEXT    NOT NULL DEFAULT '',
	-- comma-separated event types; empty: every type
	event_types     TEXT    NOT NULL DEFAULT '',
	min_severity    INTEGER NOT NULL DEFAULT 0,
	repository      TEXT    NOT NULL DEFAULT '',
	kev_only        INTEGER NOT NULL DEFAULT 0,
	created_at      BIGINT  NOT NULL,
	disabled        INTEGER NOT NULL DEFAULT 0,
	disabled_reason TEXT    NOT NULL DEFAULT ''
);

-- state: pending (waiting or in flight under a lease), delivered, dead.
CREATE TABLE deliveries (
	id              INTEGER PRIMARY KEY,
	subscription_id BIGINT  NOT NULL,
	event_seq       BIGINT  NOT NULL,
	state           TEXT    NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_at         BIGINT  NOT NULL,
	worker          TEXT    NOT NULL DEFAULT '',
	lease_until     BIGINT  NOT NULL DEFAULT 0,
	last_error      TEXT    NOT NULL DEFAULT '',
	last_status     INTEGER NOT NULL DEFAULT 0,
	created_at      BIGINT  NOT NULL,
	updated_at      BIGINT  NOT NULL,
	delivered_at    BIGINT  NOT NULL DEFAULT 0,
	UNIQUE (subscription_id, event_seq)
);
CREATE INDEX deliveries_due ON deliveries (next_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_state ON deliveries (state, id);
