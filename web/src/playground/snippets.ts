/**
 * "Show code": the current form as runnable code for the clients of this gateway — curl on the
 * DashScope route, the openai SDK, @fal-ai/client through the fal proxy, the SeaArt queue, our
 * own client and its `qig` command line. Local files become reads of files of the same name
 * beside the script. Pure.
 */
import { kindOf, parametersOf, type FormImage, type FormValues } from './values.js';

export type SnippetKind = 'curl' | 'openai' | 'fal' | 'seaart' | 'client' | 'cli';

export interface Snippet {
  kind: SnippetKind;
  label: string;
  code: string;
}

const js = (value: unknown) => JSON.stringify(value);
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
/** A shell word, quoted only when it holds more than letters, digits and `_./:=@%+,-`. */
const shellWord = (text: string) => (/^[\w./:=@%+,-]+$/.test(text) ? text : shellQuote(text));
const hasFiles = (images: readonly FormImage[]) => images.some((image) => image.url === null);

/** The key line of a script: the real key only when asked, else the environment. */
function jsKey(key: string | null): string {
  return key === null ? 'process.env.QIG_API_KEY' : js(key);
}

const DATA_URI_JS = `const dataUri = (path, type) => \`data:\${type};base64,\${readFileSync(path).toString('base64')}\`;`;

function jsImage(image: FormImage): string {
  return image.url === null ? `dataUri(${js(image.name)}, ${js(image.contentType)})` : js(image.url);
}

function curl(values: FormValues, origin: string, key: string | null): string {
  const lines: string[] = [];
  lines.push(key === null ? '# export QIG_API_KEY=…   (a server on 127.0.0.1 keeps its development key in data/dev-key.txt)' : `QIG_API_KEY=${shellQuote(key)}`);
  const refs = values.images.map((image, i) => {
    if (image.url !== null) return image.url;
    lines.push(`IMG${i + 1}="data:${image.contentType};base64,$(base64 < ${shellQuote(image.name)} | tr -d '\\n')"`);
    return `@@QIG_IMG${i + 1}@@`;
  });
  // The README's layout: one line per image, the rest compact.
  const compact = (value: unknown) => JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ');
  const content = [...refs.map((image) => ({ image })), { text: values.prompt }].map((item) => `    ${compact(item)}`).join(',\n');
  const body = [
    '{',
    `  "model": ${js(values.model.id)},`,
    `  "input": {"messages": [{"role": "user", "content": [`,
    content,
    '  ]}]},',
    `  "parameters": ${compact(parametersOf(values))}`,
    '}',
  ].join('\n');
  // An unquoted here-document expands $IMG1…; everything else in it must stay literal.
  const json = body.replace(/[\\$`]/g, (c) => `\\${c}`).replace(/@@QIG_(IMG\d)@@/g, '$$$1');
  lines.push(
    `curl -s ${shellQuote(`${origin}/api/v1/services/aigc/multimodal-generation/generation`)} \\`,
    `  -H "Authorization: Bearer $QIG_API_KEY" -H 'Content-Type: application/json' \\`,
    `  -d @- <<EOF`,
    json,
    'EOF',
    '# Add -H "X-DashScope-Async: enable" to get a task id at once, then: curl -s ' + `${origin}/api/v1/tasks/<task_id> -H "Authorization: Bearer $QIG_API_KEY"`,
  );
  return lines.join('\n');
}

function openai(values: FormValues, origin: string, key: string | null): string {
  const p = parametersOf(values);
  const edit = kindOf(values.model, values.images.length) === 'edit';
  const fields = [`  model: ${js(values.model.id)},`, `  prompt: ${js(values.prompt)},`];
  if (edit) {
    const files = values.images.map((image, i) =>
      image.url === null ? `await toFile(createReadStream(${js(image.name)}), ${js(image.name)})` : `await toFile(fetch(${js(image.url)}), ${js(`image-${i + 1}.png`)})`,
    );
    fields.push(`  image: [${files.join(', ')}],`);
  }
  if (p.n !== undefined) fields.push(`  n: ${p.n},`);
  if (p.size !== undefined) fields.push(`  size: ${js(p.size.replace('*', 'x'))},`);
  const extra = Object.entries({ negative_prompt: p.negative_prompt, seed: p.seed, prompt_extend: p.prompt_extend, watermark: p.watermark }).filter(([, v]) => v !== undefined);
  if (extra.length > 0) fields.push('  // Qwen-Image parameters the gateway reads beside the OpenAI ones:', ...extra.map(([k, v]) => `  ${k}: ${js(v)},`));
  return [
    `// npm install openai   ·   node ${edit ? 'edit' : 'generate'}.mjs`,
    edit ? `import OpenAI, { toFile } from 'openai';` : `import OpenAI from 'openai';`,
    edit && hasFiles(values.images) ? `import { createReadStream } from 'node:fs';` : null,
    '',
    `const client = new OpenAI({ apiKey: ${jsKey(key)}, baseURL: ${js(`${origin}/v1`)} });`,
    `const result = await client.images.${edit ? 'edit' : 'generate'}({`,
    ...fields,
    '});',
    'for (const image of result.data ?? []) console.log(image.url, image.revised_prompt ?? "");',
  ]
    .filter((line) => line !== null)
    .join('\n');
}

function fal(values: FormValues, origin: string, key: string | null): string {
  const edit = kindOf(values.model, values.images.length) === 'edit';
  const p = parametersOf(values);
  const [width, height] = (p.size ?? '').split('*').map(Number);
  const input = [`    prompt: ${js(values.prompt)},`];
  if (edit) input.push(`    image_urls: [${values.images.map(jsImage).join(', ')}],`);
  if (p.negative_prompt !== undefined) input.push(`    negative_prompt: ${js(p.negative_prompt)},`);
  if (p.n !== undefined) input.push(`    num_images: ${p.n},`);
  if (width && height) input.push(`    image_size: { width: ${width}, height: ${height} },`);
  if (p.seed !== undefined) input.push(`    seed: ${p.seed},`);
  if (p.prompt_extend !== undefined) input.push(`    enable_prompt_expansion: ${p.prompt_extend},`);
  return [
    '// npm install @fal-ai/client   ·   node fal.mjs',
    `import { fal } from '@fal-ai/client';`,
    hasFiles(values.images) ? `import { readFileSync } from 'node:fs';` : null,
    '',
    `fal.config({ credentials: ${jsKey(key)}, proxyUrl: { url: ${js(`${origin}/fal/proxy`)}, when: 'always' } });`,
    hasFiles(values.images) ? DATA_URI_JS : null,
    '',
    `// qwen/<model> is this gateway's id for any model; fal's own ids (fal-ai/qwen-image-edit-plus, …) work too.`,
    `const result = await fal.subscribe(${js(`qwen/${values.model.id}`)}, {`,
    '  input: {',
    ...input,
    '  },',
    '  onQueueUpdate: (update) => console.log(update.status),',
    '});',
    'console.log(result.data.images.map((image) => image.url));',
  ]
    .filter((line) => line !== null)
    .join('\n');
}

function seaart(values: FormValues, origin: string, key: string | null): string {
  const p = parametersOf(values);
  const body = [`  prompt: ${js(values.prompt)},`];
  if (values.images.length > 0) body.push(`  images: [${values.images.map(jsImage).join(', ')}],`);
  for (const name of ['negative_prompt', 'size', 'n', 'prompt_extend', 'watermark', 'seed'] as const) {
    if (p[name] !== undefined) body.push(`  ${name}: ${js(p[name])},`);
  }
  return [
    '// The SeaArt-style queue, with Node 18+ and no package   ·   node seaart.mjs',
    hasFiles(values.images) ? `import { readFileSync } from 'node:fs';` : null,
    hasFiles(values.images) ? DATA_URI_JS : null,
    `const base = ${js(`${origin}/v1/queue/${values.model.endpoints.seaart}`)};`,
    `const key = ${jsKey(key)};`,
    "const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };",
    'const body = {',
    ...body,
    '};',
    `const submitted = await (await fetch(base, { method: 'POST', headers, body: JSON.stringify(body) })).json();`,
    'let status;',
    'do {',
    '  await new Promise((resolve) => setTimeout(resolve, 1000));',
    '  status = await (await fetch(`${base}/requests/${submitted.request_id}/status`, { headers })).json();',
    '  console.log(status.status);',
    "} while (status.status !== 'COMPLETED');",
    'const response = await (await fetch(`${base}/requests/${submitted.request_id}/response`, { headers })).json();',
    'console.log(status.error ?? response.outputs.map((output) => output.url));',
  ]
    .filter((line) => line !== null)
    .join('\n');
}

/** The gateway's own client (`@qwen-image-gateway/client`), which reads local files itself. */
function client(values: FormValues, origin: string, key: string | null): string {
  const p = parametersOf(values);
  const edit = kindOf(values.model, values.images.length) === 'edit';
  const fields = [`  model: ${js(values.model.id)},`];
  if (edit) fields.push(`  images: [${values.images.map((image) => js(image.url ?? image.name)).join(', ')}],   // file paths, URLs, data: URIs, Uint8Array or Blob`);
  fields.push(`  prompt: ${js(values.prompt)},`);
  const options = { n: p.n, size: p.size, negativePrompt: p.negative_prompt, seed: p.seed, promptExtend: p.prompt_extend, watermark: p.watermark };
  for (const [name, value] of Object.entries(options)) if (value !== undefined) fields.push(`  ${name}: ${js(value)},`);
  return [
    `// npm install ${origin}/sdk/client.tgz   ·   node ${edit ? 'edit' : 'generate'}.mjs`,
    key === null ? '// with QIG_API_KEY set (a server on 127.0.0.1 keeps its development key in data/dev-key.txt)' : null,
    `import { createClient } from '@qwen-image-gateway/client';`,
    '',
    `const qig = createClient({ baseUrl: ${js(origin)}, apiKey: ${jsKey(key)} });`,
    `const result = await qig.${edit ? 'edit' : 'generate'}({`,
    ...fields,
    '});',
    'for (const warning of result.warnings) console.warn(warning);   // e.g. fewer images than asked',
    'console.log(result.urls);',
    "console.log(await result.download('out'));   // saves the images, returns their paths",
  ]
    .filter((line) => line !== null)
    .join('\n');
}

/** The same request on the `qig` command line of the gateway's checkout. */
function cli(values: FormValues, origin: string, key: string | null): string {
  const p = parametersOf(values);
  const edit = kindOf(values.model, values.images.length) === 'edit';
  const options = [`--model ${shellWord(values.model.id)}`];
  if (p.n !== undefined) options.push(`-n ${p.n}`);
  if (p.size !== undefined) options.push(`--size ${shellWord(p.size)}`);
  if (p.negative_prompt !== undefined) options.push(`--negative ${shellQuote(p.negative_prompt)}`);
  if (p.seed !== undefined) options.push(`--seed ${p.seed}`);
  if (p.prompt_extend !== undefined) options.push(p.prompt_extend ? '--prompt-extend' : '--no-prompt-extend');
  if (p.watermark !== undefined) options.push(p.watermark ? '--watermark' : '--no-watermark');
  options.push('-o out/');
  // A file name starting with "-" would read as an option.
  const images = edit ? values.images.map((image) => ` ${shellWord(image.url ?? image.name.replace(/^-/, './-'))}`).join('') : '';
  return [
    `# in the gateway's checkout, where npx qig is its own command (elsewhere: node <checkout>/dist/cli.js),`,
    `# with ${edit && values.images.some((image) => image.url === null) ? 'the images in the current directory and ' : ''}QIG_URL and QIG_API_KEY set`,
    `export QIG_URL=${shellWord(origin)}`,
    key === null ? '# export QIG_API_KEY=…   (a server on 127.0.0.1 keeps its development key in data/dev-key.txt)' : `export QIG_API_KEY=${shellQuote(key)}`,
    `npx qig ${edit ? 'edit' : 'generate'}${images} \\`,
    `  -p ${shellQuote(values.prompt)} \\`,
    `  ${options.join(' ')}`,
  ].join('\n');
}

export function snippets(values: FormValues, origin: string, key: string | null): Snippet[] {
  return [
    { kind: 'curl', label: 'curl · DashScope', code: curl(values, origin, key) },
    { kind: 'openai', label: 'Node · openai', code: openai(values, origin, key) },
    { kind: 'fal', label: 'Node · @fal-ai/client', code: fal(values, origin, key) },
    { kind: 'seaart', label: 'SeaArt queue', code: seaart(values, origin, key) },
    { kind: 'client', label: 'Node · qig client', code: client(values, origin, key) },
    { kind: 'cli', label: 'Shell · qig', code: cli(values, origin, key) },
  ];
}
