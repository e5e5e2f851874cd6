export * from './webhook-auth.ts';
export * from './secrets.ts';
export * from './redact.ts';
export * from './headers.ts';
export * from './rate-limit.ts';
export * from './hook-rate-limit.ts';
