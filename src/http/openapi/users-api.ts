/** The admin API for customers (admin-users.ts): users, price groups and top-up codes, for the OpenAPI document. */
import { z } from 'zod';
import type { ApiOperation } from '../../dialects/api-doc.js';
import type { ErrorKind } from '../../domain/errors.js';
import { ownKeyInput } from '../limits-input.js';
import { batchInput, creditInput, groupInput, pageQuery, userInput, userPatch, userQuery } from '../admin-users.js';
import { createdKey, creditAnswer, json, plainErrors } from './admin-api.js';
import { AT, LEDGER_EXAMPLE, OWN_KEY, SECRET, USER, USER_ID, ledgerPage, ownKeyView, userView } from './user-views.js';
import { ledgerQuery, ownKeyPatch } from '../account.js';

const iso = z.string().describe('ISO 8601');
const amount = z.string().describe('A decimal amount, like "50.00".');
const multiplier = z.string().describe('A price multiplier, like "0.8" (0.8× the list price).');

const userList = z.object({ data: z.array(userView), total: z.number().int() });
const userDetail = userView.extend({ held: amount.describe('Reserved by the user\'s tasks still running.'), keys: z.array(ownKeyView).describe('Every key of the user, oldest first, revoked ones included.') });

const groupView = z.object({
  name: z.string(),
  description: z.string(),
  multiplier,
  overrides: z.record(z.string(), multiplier).describe('Model id or family → multiplier, over the group\'s.'),
  users: z.number().int().optional().describe('Users in the group (in the list only).'),
  updatedAt: iso,
});

const batchView = z.object({
  id: z.string(),
  name: z.string(),
  amount: amount.describe('What each code adds to a balance.'),
  count: z.number().int(),
  redeemed: z.number().int(),
  expiresAt: iso.nullable(),
  createdAt: iso,
  revokedAt: iso.nullable().describe('Set once the batch is withdrawn: its unredeemed codes no longer work.'),
});
const createdBatch = batchView.extend({ currency: z.string(), codes: z.array(z.string()).describe('The codes\' text: shown only here (the server keeps their hashes).') });
const batchDetail = batchView.extend({
  codes: z.array(z.object({ prefix: z.string().describe('The code\'s first 9 characters.'), redeemedAt: iso.nullable(), userId: z.string().nullable(), keyId: z.string().nullable() })),
});

const GROUP = { name: 'partners', description: 'Resellers: 20% off, edits at half price', multiplier: '0.8', overrides: { 'qwen-image-edit-plus': '0.5' }, updatedAt: AT };
const BATCH = { id: 'rcb_Xk3v9QpL2mWe', name: 'December promo', amount: '50.00', count: 3, redeemed: 1, expiresAt: '2027-03-31T23:59:59.000Z', createdAt: AT, revokedAt: null };
const CODES = ['QIG-7K3QM-2XH9D-PA4VR-W81TC', 'QIG-D2N6F-K9MZX-3RT7B-QH5VE', 'QIG-M5W8J-TC4KR-60YNP-ZA2GS'];

const userPath = z.object({ id: z.string().describe('A user id (usr_…).') });
const groupPath = z.object({ name: z.string().describe('A group name: 1 to 64 letters, digits, _, . or -.') });
const batchPath = z.object({ id: z.string().describe('A batch id (rcb_…).') });
const csv = (description: string) => ({ 'text/csv': { schema: { raw: { type: 'string', description } } } });

const READS: readonly ErrorKind[] = ['invalid_parameter', 'unauthorized', 'unavailable', 'internal'];
const ONE: readonly ErrorKind[] = ['unauthorized', 'not_found', 'unavailable', 'internal'];
const CHANGES: readonly ErrorKind[] = ['invalid_parameter', 'unauthorized', 'not_found', 'unavailable', 'internal'];

export function usersApi(): ApiOperation[] {
  const base = { tag: 'Admin: users', security: ['adminToken'] as const };
  const errors = (kinds: readonly ErrorKind[]) => [{ shape: plainErrors, kinds }];
  return [
    {
      ...base,
      method: 'get',
      path: '/admin/v1/users',
      operationId: 'adminUsers',
      summary: 'Users, newest first, by id, name or email and by group',
      parameters: { query: userQuery },
      responses: { '200': { description: 'One page of users (limit defaults to 50).', content: json('UserList', userList, { data: [USER], total: 1 }) } },
      errors: errors(READS),
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/users',
      operationId: 'adminCreateUser',
      summary: 'Create a user (then give them keys: POST /admin/v1/users/{id}/keys)',
      requestBody: {
        required: true,
        content: json('UserInput', userInput, { name: 'Acme Studio', email: 'ops@acme.test', balance: '100.00', rateLimitPerMinute: 120, maxInFlight: 8, budget: { amount: '500.00', period: 'month' } }),
      },
      responses: { '201': { description: 'The user.', content: json('User', userView, USER) } },
      errors: errors(CHANGES),
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/users/{id}',
      operationId: 'adminGetUser',
      summary: 'A user with their holds and keys',
      parameters: { path: userPath },
      responses: { '200': { description: 'The user.', content: json('UserDetail', userDetail, { ...USER, held: '0.36', keys: [OWN_KEY] }) } },
      errors: errors(ONE),
    },
    {
      ...base,
      method: 'patch',
      path: '/admin/v1/users/{id}',
      operationId: 'adminUpdateUser',
      summary: 'Change a user: name, email, group, limits, or disable them',
      description: 'Lowering a limit below what one of the user\'s keys has is allowed: each limit applies, so the key is held to the user\'s.',
      parameters: { path: userPath },
      requestBody: { required: true, content: json('UserPatch', userPatch) },
      responses: { '200': { description: 'The user.', content: json('User', userView, { ...USER, disabledAt: '2026-12-04T09:30:00.000Z' }) } },
      errors: errors(CHANGES),
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/users/{id}/credit',
      operationId: 'adminCreditUser',
      summary: 'Add to a user\'s balance',
      parameters: { path: userPath },
      requestBody: { required: true, content: json('UserCreditBody', creditInput) },
      responses: { '200': { description: 'The new balance.', content: json('CreditAnswer', creditAnswer, { id: USER_ID, balance: '150.00' }) } },
      errors: errors(['invalid_parameter', 'unauthorized', 'not_found', 'unsupported_operation', 'unavailable', 'internal']),
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/users/{id}/ledger',
      operationId: 'adminUserLedger',
      summary: 'A user\'s ledger: every movement of its balance, newest first',
      description: 'The balance of a metered user is the sum of its ledger rows.',
      parameters: { path: userPath, query: ledgerQuery },
      responses: { '200': { description: 'One page of rows (limit defaults to 50).', content: json('LedgerPage', ledgerPage, LEDGER_EXAMPLE) } },
      errors: errors(CHANGES),
    },
    {
      ...base,
      method: 'patch',
      path: '/admin/v1/keys/{id}',
      operationId: 'adminUpdateKey',
      summary: 'Rename a key or change its own limits (within its user\'s)',
      description: 'Limits an operator means to enforce belong on the user: any key of the user can change its siblings\' limits from the account page, within what it has itself.',
      parameters: { path: z.object({ id: z.string().describe('A key id (key_…).') }) },
      requestBody: { required: true, content: json('OwnKeyPatch', ownKeyPatch) },
      responses: { '200': { description: 'The key.', content: json('OwnKey', ownKeyView, { ...OWN_KEY, rateLimitPerMinute: 10 }) } },
      errors: errors(CHANGES),
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/users/{id}/keys',
      operationId: 'adminCreateUserKey',
      summary: 'Make a key for a user (its secret is shown only in this answer)',
      description: 'The key draws on the user\'s balance. Its limits may narrow the user\'s, never widen them: a wider one is refused with 400 naming the field.',
      parameters: { path: userPath },
      requestBody: { required: true, content: json('OwnKeyInput', ownKeyInput) },
      responses: {
        '201': { description: 'The key, with its secret.', content: json('CreatedKey', createdKey, { ...OWN_KEY, userId: USER_ID, balance: '100.00', key: SECRET }) },
      },
      errors: errors(CHANGES),
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/groups',
      operationId: 'adminGroups',
      summary: 'The price groups, with how many users each has',
      responses: { '200': { description: 'The groups by name.', content: json('GroupList', z.object({ data: z.array(groupView) }), { data: [{ name: 'default', description: 'List prices', multiplier: '1', overrides: {}, users: 41, updatedAt: '1970-01-01T00:00:00.000Z' }, { ...GROUP, users: 3 }] }) } },
      errors: errors(['unauthorized', 'unavailable', 'internal']),
    },
    {
      ...base,
      method: 'put',
      path: '/admin/v1/groups/{name}',
      operationId: 'adminPutGroup',
      summary: 'Create or replace a price group',
      description: 'A task\'s price is the list price times its user\'s group multiplier (or the override for its model or family), fixed when it is submitted: tasks already taken keep theirs.',
      parameters: { path: groupPath },
      requestBody: { required: true, content: json('GroupInput', groupInput, { description: GROUP.description, multiplier: '0.8', overrides: { 'qwen-image-edit-plus': '0.5' } }) },
      responses: { '200': { description: 'The group.', content: json('Group', groupView, GROUP) } },
      errors: errors(['invalid_parameter', 'unauthorized', 'unavailable', 'internal']),
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/groups/{name}',
      operationId: 'adminDeleteGroup',
      summary: 'Delete a price group (409 while users are in it; the default group cannot be deleted: 400)',
      parameters: { path: groupPath },
      responses: { '204': { description: 'Deleted.' } },
      errors: errors(['unauthorized', 'not_found', 'conflict', 'unsupported_operation', 'unavailable', 'internal']),
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/codes',
      operationId: 'adminCreateCodes',
      summary: 'Create a batch of top-up codes (their text is shown only in this answer)',
      requestBody: { required: true, content: json('CodeBatchInput', batchInput, { name: 'December promo', amount: '50.00', count: 3 }) },
      responses: {
        '201': {
          description: 'The batch with its codes; with Accept: text/csv, a CSV download (code,amount,batchId,expiresAt) named codes-<id>.csv.',
          content: { ...json('CreatedCodeBatch', createdBatch, { ...BATCH, redeemed: 0, currency: 'CNY', codes: CODES }), ...csv('code,amount,batchId,expiresAt') },
        },
      },
      errors: errors(['invalid_parameter', 'unauthorized', 'unavailable', 'internal']),
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/codes',
      operationId: 'adminCodeBatches',
      summary: 'Batches of top-up codes, newest first, with how many were redeemed',
      parameters: { query: pageQuery.omit({ format: true }) },
      responses: { '200': { description: 'One page of batches (limit defaults to 50).', content: json('CodeBatchList', z.object({ data: z.array(batchView), total: z.number().int() }), { data: [BATCH], total: 1 }) } },
      errors: errors(READS),
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/codes/{id}',
      operationId: 'adminCodeBatch',
      summary: 'A batch with each code\'s redemption (by prefix: the text is never stored)',
      parameters: { path: batchPath, query: pageQuery.pick({ format: true }) },
      responses: {
        '200': {
          description: 'The batch and its codes; with format=csv (or Accept: text/csv), a CSV download (codePrefix,redeemedAt,userId,keyId) named redemptions-<id>.csv.',
          content: {
            ...json('CodeBatch', batchDetail, {
              ...BATCH,
              codes: [
                { prefix: 'QIG-7K3QM', redeemedAt: '2026-12-02T14:05:11.000Z', userId: USER_ID, keyId: 'key_3f9a1c' },
                { prefix: 'QIG-D2N6F', redeemedAt: null, userId: null, keyId: null },
                { prefix: 'QIG-M5W8J', redeemedAt: null, userId: null, keyId: null },
              ],
            }),
            ...csv('codePrefix,redeemedAt,userId,keyId'),
          },
        },
      },
      errors: errors(['invalid_parameter', 'unauthorized', 'not_found', 'unavailable', 'internal']),
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/codes/{id}',
      operationId: 'adminRevokeCodes',
      summary: 'Withdraw a batch: its unredeemed codes stop working',
      parameters: { path: batchPath },
      responses: { '200': { description: 'The batch, withdrawn.', content: json('CodeBatchSummary', batchView, { ...BATCH, revokedAt: '2026-12-04T09:30:00.000Z' }) } },
      errors: errors(ONE),
    },
  ];
}
