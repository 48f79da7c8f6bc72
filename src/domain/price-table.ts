/**
 * The schema of a price table (model id, family or "*" → decimal amount): prices, upstream costs
 * and each credential's cost override are validated by it, from the config file and the admin API alike.
 */
import { z } from 'zod';
import { MAX_PRICE_TEXT, parsePrice, PRICE_KEYS } from './prices.js';

/** A price of one image as a decimal string, e.g. "0.18", bounded so that holds stay exact in micros. */
export const priceAmount = z
  .string()
  .refine((text) => /^\d+(\.\d{1,6})?$/.test(text) && parsePrice(text) !== null, `must be a decimal amount from 0 to ${MAX_PRICE_TEXT} with at most 6 decimals, like "0.18"`);

/** Model id, family or "*" → amount. A mistyped model would never be charged, so it is refused. */
export const priceTable = z.record(z.string(), priceAmount).superRefine((table, ctx) => {
  for (const key of Object.keys(table)) {
    if (!PRICE_KEYS.includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `unknown model "${key}": keys are model ids, families or "*" (valid: ${PRICE_KEYS.map((k) => `"${k}"`).join(', ')})` });
  }
});
