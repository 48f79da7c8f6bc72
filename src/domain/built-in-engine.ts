/**
 * What the built-in CPU engine (engine type `local`) is, in the words every surface uses: the start
 * log, the catalog (and so the playground), each task it ran and each edit it refused. It is a
 * classical image editor, not Qwen-Image; one environment line connects the real models.
 */

/** The engine type of the built-in CPU engine (src/engines/local). */
export const BUILT_IN_ENGINE_TYPE = 'local';

/** The one line that connects DashScope's Qwen-Image models (read by src/config/load.ts). */
export const CONNECT_DASHSCOPE = 'DASHSCOPE_API_KEY=sk-…';

/** Where the built-in engine's vocabulary is listed. */
export const VOCABULARY_DOC = 'docs/local-engine.md#vocabulary';

/** What it is, in one sentence (the catalog's `builtInEngine.summary`). */
export const BUILT_IN_SUMMARY =
  'The built-in CPU engine does classical edits (colour and tone, blur, geometry, art filters, background removal and replacement on plain backdrops, text in Latin and CJK scripts, collages) and a labelled placeholder for text-to-image; it is not a generative model.';

/** The warning of every task the built-in engine ran. */
export const BUILT_IN_WARNING = `Made by the built-in CPU engine (classical edits, not Qwen-Image); set ${CONNECT_DASHSCOPE} on the server for Qwen-Image results.`;

/** Whether an engine of this type runs a generative model (every upstream does; the built-in engine does not). */
export function isGenerativeEngine(type: string): boolean {
  return type !== BUILT_IN_ENGINE_TYPE;
}
