-- Rate limits (videoforge.ratelimit): one row per limit and subject (a client address or a user),
-- shared by every task of a service. ``tat`` is the GCRA's theoretical arrival time: the bucket is
-- full again at ``tat``, so a row whose tat has passed means nothing and is cleared. Unlogged:
-- losing the counters in a crash or a failover only resets them.
CREATE UNLOGGED TABLE rate_limits (
    name     text        NOT NULL,
    subject  text        NOT NULL,
    tat      timestamptz NOT NULL,
    allowed  boolean     NOT NULL,
    PRIMARY KEY (name, subject)
);
CREATE INDEX rate_limits_tat ON rate_limits (tat);
