import { hash, randomBytes, randomInt, randomUUID } from 'node:crypto';

/** Task ids are UUIDs, as DashScope's are. */
export const newTaskId = (): string => randomUUID();
export const newRequestId = (): string => randomUUID();
export const newKeyId = (): string => `key_${randomBytes(9).toString('base64url')}`;
export const newUserId = (): string => `usr_${randomBytes(9).toString('base64url')}`;
export const newBatchId = (): string => `rcb_${randomBytes(9).toString('base64url')}`;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A new API key secret: `sk-qig-` and 40 base62 characters (about 238 bits). */
export function newApiKeySecret(): string {
  let body = '';
  for (let i = 0; i < 40; i += 1) body += BASE62[randomInt(62)];
  return `sk-qig-${body}`;
}

export function hashApiKey(secret: string): string {
  // One-shot: a third of createHash().update().digest()'s time, on every authenticated request.
  return hash('sha256', secret, 'hex');
}

export const randomSeed = (): number => randomInt(0, 2147483648);
