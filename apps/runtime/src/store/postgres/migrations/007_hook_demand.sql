-- Webhook rate shares weighed by demand (cluster/rate-shares.ts): each instance reports how many webhook
-- requests it saw per path in its last interval, so that an instance the proxy sends a path's traffic to
-- takes most of that path's rate. NULL until the instance's first report.
ALTER TABLE instances ADD COLUMN hook_demand json;
