/**
 * OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, a request and its task are exported as
 * spans (the request, image intake, the task's run, each engine call, each stored output) to a
 * loopback OTLP/HTTP receiver, carrying the request id, and the upstream receives the engine
 * call's W3C traceparent. Unset, nothing is exported and no traceparent is sent.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { editBody, SYNC_PATH, waitForTask } from '../fakes/dashscope-client.js';
import { startFakeDashScope, type FakeDashScope } from '../fakes/dashscope.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { solidImage } from '../helpers/images.js';

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An OTLP/HTTP JSON receiver: the spans of every export it is sent. */
async function startReceiver(): Promise<{ url: string; spans: OtlpSpan[]; close(): void }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((incoming, outgoing) => {
    let body = '';
    incoming.on('data', (chunk: Buffer) => (body += chunk.toString()));
    incoming.on('end', () => {
      if (incoming.url === '/v1/traces') {
        const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const resource of parsed.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      outgoing.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const hostPort = await listen(server);
  return { url: `http://${hostPort}`, spans, close: () => server.close() };
}

/** Forwards to the fake upstream, keeping the traceparent header of each call. */
async function startRecordingLink(target: string): Promise<{ url: string; hostPort: string; traceparents: Array<string | undefined>; tracestates: Array<string | undefined>; close(): void }> {
  const to = new URL(target);
  const traceparents: Array<string | undefined> = [];
  const tracestates: Array<string | undefined> = [];
  const server = createServer((incoming, outgoing) => {
    traceparents.push(incoming.headers.traceparent as string | undefined);
    tracestates.push(incoming.headers.tracestate as string | undefined);
    const forward = httpRequest({ host: to.hostname, port: to.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: to.host } }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    incoming.pipe(forward);
  });
  const hostPort = await listen(server);
  return { url: `http://${hostPort}`, hostPort, traceparents, tracestates, close: () => server.close() };
}

const attribute = (span: OtlpSpan | undefined, key: string) => {
  const value = span?.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

describe('tracing', () => {
  let fake: FakeDashScope;
  let link: Awaited<ReturnType<typeof startRecordingLink>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    fake = await startFakeDashScope();
    link = await startRecordingLink(fake.url);
    receiver = await startReceiver();
  });
  after(async () => {
    await fake.close();
    link.close();
    receiver.close();
  });

  const start = (env: Record<string, string>): Promise<TestGateway> =>
    startTestGateway({
      env,
      config: {
        engines: { cloud: { type: 'dashscope', baseUrl: link.url, apiKey: fake.apiKey } },
        routes: { '*': ['cloud'] },
        fetch: { allowHosts: [link.hostPort, new URL(fake.url).host] },
      },
    });

  const edit = async (server: TestGateway, headers: Record<string, string>) => {
    const png = await solidImage(64, 64, [30, 90, 200]);
    const response = await fetch(`${server.url}${SYNC_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json', 'x-dashscope-async': 'enable', ...headers },
      body: JSON.stringify(editBody('qwen-image-edit-plus', [png], 'make it brighter')),
    });
    assert.equal(response.status, 200);
    const taskId = ((await response.json()) as { output: { task_id: string } }).output.task_id;
    await waitForTask(server, taskId);
    return taskId;
  };

  it('exports the request, intake, run, engine call and storage spans, and sends traceparent upstream', async () => {
    const server = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientSpan = '00f067aa0ba902b7';
    let taskId: string;
    try {
      taskId = await edit(server, { 'x-request-id': 'trace-me', traceparent: `00-${clientTrace}-${clientSpan}-01`, tracestate: 'client=its-own-state' });
    } finally {
      await server.close(); // flushes the exporter
    }
    const { spans } = receiver;
    const named = (name: string) => spans.filter((span) => span.name === name);
    const request = named(`POST ${SYNC_PATH}`).find((span) => attribute(span, 'qig.request_id') === 'trace-me');
    assert.ok(request, `the request's span, among ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(request.traceId, clientTrace, "continues the client's trace");
    assert.equal(request.parentSpanId, clientSpan);
    assert.equal(attribute(request, 'qig.task_id'), taskId);
    assert.equal(attribute(request, 'http.response.status_code'), 200);
    const intake = named('image intake').find((span) => span.parentSpanId === request.spanId);
    assert.ok(intake, 'image intake under the request');
    const run = named('task run').find((span) => attribute(span, 'qig.task_id') === taskId);
    assert.equal(attribute(run, 'qig.request_id'), 'trace-me');
    const call = named('engine start').find((span) => span.parentSpanId === run?.spanId);
    assert.equal(attribute(call, 'qig.engine'), 'cloud');
    assert.ok(named('store output').some((span) => span.parentSpanId === run?.spanId), 'the output stored under the run');
    // The upstream saw the engine call's span as its parent.
    assert.ok(link.traceparents.includes(`00-${call?.traceId}-${call?.spanId}-01`), `traceparents sent: ${link.traceparents.join(', ')}`);
    // The task's run is a trace of its own: the client's trace and state stop at its request
    // (with the embedded queue the run starts inside the submitting request's call).
    assert.notEqual(run?.traceId, clientTrace);
    assert.ok(link.traceparents.every((header) => !header?.includes(clientTrace)), 'no upstream call carries the client\'s trace');
    assert.deepEqual(link.tracestates.filter((state) => state !== undefined), [], 'no tracestate of the client reaches the upstream');
  });

  it('exports nothing and sends no traceparent when no endpoint is set', async () => {
    const exported = receiver.spans.length;
    const sent = link.traceparents.length;
    const server = await start({});
    try {
      await edit(server, {});
    } finally {
      await server.close();
    }
    assert.equal(receiver.spans.length, exported);
    assert.ok(link.traceparents.length > sent, 'the upstream was called');
    assert.deepEqual(link.traceparents.slice(sent).filter((header) => header !== undefined), []);
  });
});
