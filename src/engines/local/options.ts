/** The built-in CPU engine's options: only how the router treats it. */
import { z } from 'zod';
import { routing } from '../option-fields.js';

export const localOptions = z.object({ type: z.literal('local'), ...routing }).strict();
