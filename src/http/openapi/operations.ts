/**
 * Every operation the server serves, as each route plugin describes it, mounted as app.ts mounts
 * the plugins (the DashScope routes twice: at the root and under /aliyun). A plugin added to
 * app.ts adds its description here; test/e2e/openapi.test.ts fails on a route left out.
 */
import type { ApiOperation } from '../../dialects/api-doc.js';
import { dashscopeApi } from '../../dialects/dashscope/api.js';
import { falApi } from '../../dialects/fal/api.js';
import { openAiApi } from '../../dialects/openai/api.js';
import { seaartApi } from '../../dialects/seaart/api.js';
import { accountApi } from './account-api.js';
import { adminApi } from './admin-api.js';
import { channelsApi } from './channels-api.js';
import type { DocumentInfo } from './document.js';
import { opsApi } from './ops-api.js';
import { usersApi } from './users-api.js';

export function apiOperations(): ApiOperation[] {
  return [...dashscopeApi(''), ...dashscopeApi('/aliyun'), ...openAiApi(), ...falApi(), ...seaartApi(), ...accountApi(), ...adminApi(), ...usersApi(), ...channelsApi(), ...opsApi()];
}

export const TAGS: DocumentInfo['tags'] = [
  { name: 'DashScope', description: 'Alibaba Cloud DashScope\'s native API: sync and async generation and the task API.' },
  { name: 'DashScope (/aliyun)', description: 'The same routes under the /aliyun prefix DashScope proxies use.' },
  { name: 'OpenAI Images', description: 'The OpenAI Images API; generations also take resellers\' DashScope-style and ai-nebula bodies.' },
  { name: 'fal queue', description: 'fal\'s queue API (queue.fal.run) for the Qwen-Image endpoints, and the proxy route @fal-ai/client calls.' },
  { name: 'fal sync', description: 'fal\'s synchronous host (fal.run): one POST answered with the result.' },
  { name: 'SeaArt queue', description: 'SeaArt\'s fal-style queue with flat model parameters.' },
  { name: 'Account', description: 'A user\'s own account, with any of their keys: balance, usage, spend, tasks, keys and top-up codes.' },
  { name: 'Catalog', description: 'Models, their rules and prices, and negative-prompt presets. No key needed.' },
  { name: 'Admin', description: 'Keys, balances, usage, tasks and engines, behind the admin token (only when QIG_ADMIN_TOKEN is set).' },
  { name: 'Admin: users', description: 'Users (who own the balance, limits and keys), price groups and top-up codes, behind the admin token.' },
  { name: 'Admin: channels', description: 'Channels (upstream accounts), routes, prices, the audit log and margins, behind the admin token (decision 0011).' },
  { name: 'Operations', description: 'Liveness, readiness and metrics.' },
  { name: 'Files', description: 'Images at signed, expiring URLs.' },
  { name: 'Web pages', description: 'The playground, the admin console and this reference.' },
];
