/**
 * Where in a request a field is, as fal's (pydantic-style) validation errors and SeaArt's name it:
 * `image_urls[1].x` → `["body", "image_urls", 1, "x"]`.
 */
export function locOf(field: string | undefined): Array<string | number> {
  if (field === undefined || field === 'body' || field === '') return ['body'];
  if (field === 'path') return ['path'];
  const parts = field.split(/\.|\[(\d+)\]/).filter((part) => part !== undefined && part !== '');
  return ['body', ...parts.map((part) => (/^\d+$/.test(part) ? Number(part) : part))];
}
