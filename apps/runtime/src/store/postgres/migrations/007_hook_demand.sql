-- Webhook rate shares weighed by demand (cluster/rate-shares.ts): each instance reports how many webhook
-- requests it saw per path in its last interval, so that an instance the proxy sends a path's traffic to
-- takes most of that path's rate. An instance of this release starts with '{}'; NULL marks one of an
-- earlier release (it does not report: the others then split every path evenly, as it does).
ALTER TABLE instances ADD COLUMN hook_demand json;
