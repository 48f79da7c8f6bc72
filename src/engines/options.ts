/**
 * The options of every engine type, as the config file's `engines.<name>` takes them: each
 * engine's schema lives in its folder; adding an engine type adds one entry here and one in
 * registry.ts. Only schemas here (the config layer reads them), no engine code.
 */
import { z } from 'zod';
import { comfyuiOptions } from './comfyui/options.js';
import { dashscopeOptions } from './dashscope/options.js';
import { falOptions } from './fal/options.js';
import { localOptions } from './local/options.js';
import { resellerOptions } from './openai-compatible/options.js';

export const engineConfigSchema = z.discriminatedUnion('type', [localOptions, dashscopeOptions, resellerOptions, falOptions, comfyuiOptions]);

export type EngineConfig = z.infer<typeof engineConfigSchema>;
