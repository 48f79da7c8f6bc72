/**
 * `npm run bench:profile`: the gateway under `node --cpu-prof` while autocannon drives one hot
 * path, then the profile's top frames. PROFILE=passthrough (a sync OpenAI generation to an
 * instant upstream, bench e's path) or PROFILE=get (a task's status, bench a's path);
 * PROFILE_SECONDS, PROFILE_CONNECTIONS; PROFILE_KEEP=1 keeps the .cpuprofile for a flame graph
 * (open it in Chrome DevTools or speedscope).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { tempDir } from '../test/helpers/stores.js';
import { summarizeProfile, type FrameTime } from './lib/cpu-profile.js';
import { cpuMicros } from './lib/proc-cpu.js';
import { BODY, gateway, startUpstream } from './passthrough.js';

const WHICH = process.env.PROFILE ?? 'passthrough';
if (WHICH !== 'passthrough' && WHICH !== 'get') throw new Error(`PROFILE=${WHICH}: passthrough or get`);
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.PROFILE_CONNECTIONS ?? 50);
function print(title: string, rows: FrameTime[]): void {
  console.log(`\n${title}`);
  for (const row of rows) console.log(`${row.ms.toFixed(0).padStart(7)} ms ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.name}`);
}

const dir = tempDir('qig-profile-');
const upstream = await startUpstream(dir.path);
const profiles = join(dir.path, 'profiles');
try {
  const { server, url, headers: auth } = await gateway(upstream.url, 'passthrough', dir.path, ['--cpu-prof', `--cpu-prof-dir=${profiles}`]);
  const headers = { ...auth, 'content-type': 'application/json' };
  let options: autocannon.Options = { url, method: 'POST', headers, body: BODY, connections: CONNECTIONS };
  if (WHICH === 'get') {
    const submit = await fetch(`${server.url}/api/v1/services/aigc/text2image/image-synthesis`, {
      method: 'POST',
      headers: { ...headers, 'x-dashscope-async': 'enable' },
      body: JSON.stringify({ model: 'qwen-image-plus', input: { prompt: 'a red apple' } }),
    });
    const taskId = ((await submit.json()) as { output: { task_id: string } }).output.task_id;
    options = { url: `${server.url}/api/v1/tasks/${taskId}`, method: 'GET', headers: { authorization: headers.authorization }, connections: CONNECTIONS };
  }
  await autocannon({ ...options, duration: 2 });
  const before = cpuMicros(server.child.pid as number);
  const result = await autocannon({ ...options, duration: SECONDS });
  const cpu = cpuMicros(server.child.pid as number) - before;
  if (result.non2xx > 0) throw new Error(`${result.non2xx} answers were not 2xx`);
  await server.stop();
  const file = readdirSync(profiles).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error('the server wrote no profile');
  // The measured run and the shutdown after it, not start-up and warm-up.
  const summary = summarizeProfile(join(profiles, file), 25, SECONDS * 1000 + 500);
  console.log(`# ${WHICH} at ${CONNECTIONS} connections for ${SECONDS} s: ${result.requests.average.toFixed(0)} req/s, ${(cpu / result.requests.total).toFixed(0)} µs of server CPU per request (/proc), profile ${summary.totalMs.toFixed(0)} ms busy + ${summary.idleMs.toFixed(0)} ms idle`);
  print('## self time by place', summary.places);
  print('## self time by function', summary.self);
  print('## inclusive time by function', summary.inclusive);
  if (process.env.PROFILE_KEEP === '1') console.log(`\nprofile kept: ${join(profiles, file)}`);
} finally {
  upstream.stop();
  if (process.env.PROFILE_KEEP !== '1') dir.remove();
}
