/** Which form control an API error concerns, from the field path its message starts with. Pure. */
export type FieldId = 'model' | 'images' | 'prompt' | 'negative' | 'n' | 'size' | 'seed' | 'prompt-extend' | 'watermark' | 'api-key';

export interface FieldTarget {
  field: FieldId;
  /** The input image concerned (0-based), when one is. */
  image?: number;
}

const PARAMETERS: Readonly<Record<string, FieldId>> = {
  'parameters.n': 'n',
  'parameters.size': 'size',
  'parameters.seed': 'seed',
  'parameters.negative_prompt': 'negative',
  'input.negative_prompt': 'negative',
  'parameters.prompt_extend': 'prompt-extend',
  'parameters.watermark': 'watermark',
  'input.prompt': 'prompt',
  'input.messages[0].content': 'prompt',
  model: 'model',
};

export function fieldTarget(path: string | null, code: string, message: string): FieldTarget | null {
  if (code === 'InvalidApiKey' || code === 'invalid_api_key') return { field: 'api-key' };
  if (message === 'Model not exist.') return { field: 'model' };
  if (path === null) return null;
  const known = PARAMETERS[path];
  if (known) return { field: known };
  if (/^input\.messages\[0\]\.content\[\d*\]\.text$/.test(path)) return { field: 'prompt' };
  // The playground sends the images first, so content[i] is image i.
  const image = /^input\.messages\[0\]\.content\[(\d*)\](?:\.image)?$/.exec(path);
  if (image) return image[1] === '' ? { field: 'images' } : { field: 'images', image: Number(image[1]) };
  return null;
}

/** The message without its field path, which the error's place already says. */
export function plainMessage(message: string): string {
  const text = message.replace(/^[A-Za-z_][\w.[\]-]*:\s/, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
