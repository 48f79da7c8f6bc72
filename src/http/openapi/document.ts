/**
 * Builds the OpenAPI 3.1 document from the operations the route plugins describe
 * (`dialects/api-doc.ts`): zod schemas become JSON Schema 2020-12 (requests as the schemas accept
 * input, answers as they are built), each named schema once under components, and each dialect's
 * error responses are drawn by its own renderer from the one error catalog.
 */
import { z } from 'zod';
import type { ApiContent, ApiOperation, ApiResponse, ApiSchema, ErrorShape, NamedSchema, SecurityScheme } from '../../dialects/api-doc.js';
import { sampleErrors } from '../../dialects/api-doc.js';
import type { ErrorKind } from '../../domain/errors.js';

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

export interface DocumentInfo {
  version: string;
  /** Descriptions of the tags, in the order the document lists them. */
  tags: ReadonlyArray<{ name: string; description: string }>;
}

const SECURITY_SCHEMES: Record<SecurityScheme, Json> = {
  bearerKey: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer sk-qig-…`.' },
  falKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'An API key the way fal clients send it: `Authorization: Key sk-qig-…`.' },
  adminToken: { type: 'http', scheme: 'bearer', description: 'The admin token (QIG_ADMIN_TOKEN): `Authorization: Bearer <token>`. Without a token configured the admin API does not exist.' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'The metrics token (QIG_METRICS_TOKEN): when one is set, /metrics needs `Authorization: Bearer <token>`.' },
};

/** zod writes JavaScript's safe-integer bounds on every int; they say nothing to a client. */
function dropSafeIntegerBounds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropSafeIntegerBounds);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    if ((key === 'minimum' && item === Number.MIN_SAFE_INTEGER) || (key === 'maximum' && item === Number.MAX_SAFE_INTEGER)) continue;
    out[key] = dropSafeIntegerBounds(item);
  }
  return out;
}

export function jsonSchemaOf(schema: z.ZodType, io: Io): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' });
  return dropSafeIntegerBounds(rest) as Json;
}

class Components {
  readonly schemas: Record<string, Json> = {};
  readonly responses: Record<string, Json> = {};
  private readonly sources = new Map<string, z.ZodType>();

  ref(named: NamedSchema, io: Io): Json {
    const known = this.sources.get(named.name);
    if (known !== undefined && known !== named.schema) throw new Error(`OpenAPI: two schemas are named ${named.name}.`);
    if (known === undefined) {
      this.sources.set(named.name, named.schema);
      this.schemas[named.name] = jsonSchemaOf(named.schema, io);
    }
    return { $ref: `#/components/schemas/${named.name}` };
  }

  schema(schema: ApiSchema, io: Io): Json {
    if ('raw' in schema) return schema.raw;
    if ('anyOf' in schema) return { anyOf: schema.anyOf.map((named) => this.ref(named, io)) };
    return this.ref(schema, io);
  }

  content(content: Record<string, ApiContent>, io: Io): Json {
    return Object.fromEntries(
      Object.entries(content).map(([type, { schema, examples }]) => [type, { schema: this.schema(schema, io), ...(examples ? { examples } : {}) }]),
    );
  }

  /** `{Shape}Error{status}` for every status the shape draws some kind of the catalog with; the statuses of `kinds`. */
  errorStatuses(shape: ErrorShape, kinds: readonly ErrorKind[]): string[] {
    const samples = sampleErrors();
    const byStatus = new Map<number, Array<[ErrorKind, ReturnType<ErrorShape['render']>]>>();
    for (const kind of Object.keys(samples) as ErrorKind[]) {
      const rendered = shape.render(samples[kind]);
      byStatus.set(rendered.status, [...(byStatus.get(rendered.status) ?? []), [kind, rendered]]);
    }
    const schema = this.ref(shape.schema, 'output');
    for (const [status, rendered] of byStatus) {
      const name = `${shape.name}Error${status}`;
      if (this.responses[name]) continue;
      const headers = [...new Set(rendered.flatMap(([, r]) => Object.keys(r.headers ?? {})))].sort();
      this.responses[name] = {
        description: `${shape.description} Kinds of the catalog answered with ${status}: ${rendered.map(([kind]) => kind).join(', ')}.`,
        ...(headers.length > 0 ? { headers: Object.fromEntries(headers.map((header) => [header, { description: HEADER_NOTES[header] ?? header, schema: { type: 'string' } }])) } : {}),
        content: { 'application/json': { schema, examples: Object.fromEntries(rendered.map(([kind, r]) => [kind, { summary: kind, value: r.body }])) } },
      };
    }
    const statuses = new Set(kinds.map((kind) => shape.render(samples[kind]).status));
    return [...statuses].sort().map(String);
  }
}

const HEADER_NOTES: Readonly<Record<string, string>> = {
  'retry-after': 'Seconds after which a retry may succeed.',
  'retry-after-ms': 'The same, in milliseconds.',
  'x-should-retry': 'Whether the OpenAI SDKs should retry.',
  'x-fal-retryable': 'Whether submitting the request again may succeed.',
  'x-fal-error-type': 'fal\'s error type.',
};

function parameters(operation: ApiOperation): Json[] {
  const out: Json[] = [];
  for (const place of ['path', 'query', 'header'] as const) {
    const object = operation.parameters?.[place];
    if (!object) continue;
    const schema = jsonSchemaOf(object, 'input');
    const required = new Set((schema.required as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
      const { description, ...rest } = property;
      out.push({ name, in: place, required: place === 'path' || required.has(name), ...(typeof description === 'string' ? { description } : {}), schema: rest });
    }
  }
  return out;
}

function anyOfMembers(schema: Json): Json[] {
  return Array.isArray(schema.anyOf) && Object.keys(schema).length === 1 ? (schema.anyOf as Json[]) : [schema];
}

/** One status answered in two shapes (a route's own 400 and an error's, say): either schema, all examples. */
function merge(a: Json, b: Json): Json {
  const contentOf = (response: Json) => ((response.content as Json | undefined)?.['application/json'] ?? {}) as Json;
  const [left, right] = [contentOf(a), contentOf(b)];
  return {
    description: `${String(a.description)} Or: ${String(b.description)}`,
    headers: { ...(a.headers ?? {}), ...(b.headers ?? {}) },
    content: {
      'application/json': {
        schema: { anyOf: [left.schema, right.schema].flatMap((schema) => (schema === undefined ? [] : anyOfMembers(schema as Json))) },
        examples: { ...((left.examples as Json | undefined) ?? {}), ...((right.examples as Json | undefined) ?? {}) },
      },
    },
  };
}

function responses(operation: ApiOperation, components: Components): Json {
  const out: Record<string, Json> = {};
  const own = (response: ApiResponse): Json => ({
    description: response.description,
    ...(response.headers ? { headers: response.headers } : {}),
    ...(response.content ? { content: components.content(response.content, 'output') } : {}),
  });
  for (const [status, response] of Object.entries(operation.responses)) out[status] = own(response);
  const errorResponses = new Map<string, string[]>();
  for (const { shape, kinds } of operation.errors ?? []) {
    for (const status of components.errorStatuses(shape, kinds)) errorResponses.set(status, [...(errorResponses.get(status) ?? []), `${shape.name}Error${status}`]);
  }
  for (const [status, names] of errorResponses) {
    const existing = out[status];
    const [only] = names;
    if (existing === undefined && names.length === 1 && only !== undefined) {
      out[status] = { $ref: `#/components/responses/${only}` };
      continue;
    }
    const all = [existing, ...names.map((name) => components.responses[name])].filter((response): response is Json => response !== undefined);
    out[status] = all.reduce(merge);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export function buildOpenApiDocument(operations: readonly ApiOperation[], info: DocumentInfo): Json {
  const components = new Components();
  const paths: Record<string, Record<string, Json>> = {};
  for (const operation of operations) {
    const item = (paths[operation.path] ??= {});
    if (item[operation.method]) throw new Error(`OpenAPI: ${operation.method.toUpperCase()} ${operation.path} is described twice.`);
    const params = parameters(operation);
    item[operation.method] = {
      operationId: operation.operationId,
      tags: [operation.tag],
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      security: [...(operation.securityOptional ? [{}] : []), ...operation.security.map((scheme) => ({ [scheme]: [] }))],
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(operation.requestBody ? { requestBody: { required: operation.requestBody.required, content: components.content(operation.requestBody.content, 'input') } } : {}),
      responses: responses(operation, components),
    };
  }
  const used = new Set(operations.map((operation) => operation.tag));
  return {
    openapi: '3.1.0',
    info: {
      title: 'qwen-image-gateway',
      version: info.version,
      description:
        'Qwen-Image edit and generation behind several image-API dialects: DashScope-native (also under /aliyun), the OpenAI Images API (which also takes resellers\' DashScope-style and ai-nebula bodies), fal\'s queue and sync forms, and SeaArt\'s queue; plus account, catalog, admin and operations routes. Each dialect answers errors in its own shape, drawn from one error catalog.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'This gateway' }],
    tags: info.tags.filter((tag) => used.has(tag.name)),
    paths,
    components: { schemas: components.schemas, responses: components.responses, securitySchemes: SECURITY_SCHEMES },
  };
}
