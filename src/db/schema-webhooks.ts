/** Webhook subscriptions and deliveries (issue 5). Being written. */
// biome-ignore lint/complexity/noBannedTypes: filled in with the webhook tables
export type WebhookTables = {};
