/**
 * Reading the server's own OpenAPI document in tests: its operations, the schema of any of its
 * responses (compiled by ajv 2020 against the document, so `$ref`s resolve), and a check of a real
 * answer against what the document says of its status.
 */
import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

export type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, Response> };
};

export interface Operation {
  operationId: string;
  security: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; schema: Record<string, unknown> }>;
  requestBody?: { content: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, Response | { $ref: string }>;
}

export interface Response {
  description: string;
  content?: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }> }>;
}

export const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** `/a/{b}` → `~1a~1{b}`: a JSON pointer segment. */
const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

export class OpenApiReader {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly doc: OpenApiDocument) {
    this.ajv.addSchema(structuredClone(doc), 'openapi');
  }

  *operations(): Generator<{ method: (typeof METHODS)[number]; path: string; operation: Operation }> {
    for (const [path, item] of Object.entries(this.doc.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (operation) yield { method, path, operation };
      }
    }
  }

  /** The response of a status, and the JSON pointer of its content's schema for a media type. */
  response(method: string, path: string, status: string): { response: Response; pointer: (type: string) => string } | undefined {
    const raw = this.doc.paths[path]?.[method]?.responses[status];
    if (raw === undefined) return undefined;
    if ('$ref' in raw) {
      const name = raw.$ref.split('/').at(-1) as string;
      return { response: this.doc.components.responses[name] as Response, pointer: (type) => `#/components/responses/${escape(name)}/content/${escape(type)}/schema` };
    }
    return { response: raw, pointer: (type) => `#/paths/${escape(path)}/${method}/responses/${status}/content/${escape(type)}/schema` };
  }

  validator(pointer: string): ValidateFunction {
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi${pointer}` });
      this.compiled.set(pointer, validate);
    }
    return validate;
  }

  /** Fails unless `body` is valid against `pointer`'s schema. */
  assertValid(pointer: string, body: unknown, what: string): void {
    const validate = this.validator(pointer);
    assert.ok(validate(body), `${what}: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 600)}`);
  }

  /** Fails unless the document lists this status for the route and the JSON answer matches its schema. */
  assertAnswer(method: string, path: string, status: number, body: unknown): void {
    const found = this.response(method, path, String(status));
    assert.ok(found, `${method.toUpperCase()} ${path} answered ${status}, which the document does not list: ${JSON.stringify(body).slice(0, 300)}`);
    assert.ok(found.response.content?.['application/json'], `${method.toUpperCase()} ${path} ${status} has no JSON content in the document`);
    this.assertValid(found.pointer('application/json'), body, `${method.toUpperCase()} ${path} ${status}`);
  }
}
