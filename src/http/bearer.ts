/** A fixed bearer token's check (admin API, /metrics): compared in constant time, as digests of equal length. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { credentialFrom } from '../services/keys.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Whether an Authorization header carries `Bearer <token>`. */
export function bearerCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const given = credentialFrom(authorization, ['Bearer']);
    return given !== null && timingSafeEqual(digest(given), expected);
  };
}
