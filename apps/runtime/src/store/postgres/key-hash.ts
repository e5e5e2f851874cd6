import { hash } from 'node:crypto';

/** How keys are stored and indexed: sha256, hex — the same as migration 003's encode(sha256(…), 'hex'). */
export const pgKeyHash = (key: string): string => hash('sha256', key, 'hex');
