/** The secret box: credential secrets sealed with AES-256-GCM under QIG_SECRET_KEY, rotation, last4, the key file. */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSecretBox, last4, loadOrCreateKeyFile } from '../../../src/lib/secret-box.js';
import { tempDir } from '../../helpers/stores.js';

const SECRET = 'sk-0123456789abcdef0123456789abcdef';

describe('secret box', () => {
  it('round-trips a secret in the v1 format, tagged with the key id, never the same ciphertext twice', () => {
    const box = createSecretBox({ current: 'the current key' });
    assert.match(box.keyId, /^[0-9a-f]{8}$/);
    const sealed = box.encrypt(SECRET);
    const parts = sealed.split('.');
    assert.equal(parts.length, 5);
    assert.equal(parts[0], 'v1');
    assert.equal(parts[1], box.keyId);
    for (const part of parts.slice(2)) assert.match(part, /^[A-Za-z0-9_-]+$/, 'base64url');
    assert.ok(!sealed.includes(SECRET));
    assert.equal(box.decrypt(sealed), SECRET);
    assert.notEqual(box.encrypt(SECRET), sealed, 'a fresh IV each time');
    assert.equal(box.decrypt(box.encrypt('')), '');
    assert.equal(box.decrypt(box.encrypt('clé 密钥 🔑')), 'clé 密钥 🔑');
    assert.equal(box.needsRewrap(sealed), false);
    assert.equal(createSecretBox({ current: 'the current key' }).keyId, box.keyId, 'the same text gives the same key');
  });

  it('refuses a ciphertext sealed under an unknown key, naming the variables to set', () => {
    const sealed = createSecretBox({ current: 'old key' }).encrypt(SECRET);
    const other = createSecretBox({ current: 'another key' });
    assert.throws(() => other.decrypt(sealed), (error: Error) => /QIG_SECRET_KEY\b/.test(error.message) && /QIG_SECRET_KEY_PREVIOUS/.test(error.message) && !error.message.includes(SECRET));
    assert.equal(other.needsRewrap(sealed), true);
  });

  it('opens a ciphertext sealed under a previous key, and says it needs re-encrypting', () => {
    const old = createSecretBox({ current: 'old key' });
    const sealed = old.encrypt(SECRET);
    const rotated = createSecretBox({ current: 'new key', previous: ['older key', 'old key'] });
    assert.notEqual(rotated.keyId, old.keyId);
    assert.equal(rotated.decrypt(sealed), SECRET);
    assert.equal(rotated.needsRewrap(sealed), true);
    const rewrapped = rotated.encrypt(rotated.decrypt(sealed));
    assert.equal(rotated.needsRewrap(rewrapped), false);
    assert.throws(() => old.decrypt(rewrapped), /QIG_SECRET_KEY/, 'the old key alone cannot open what the new one sealed');
  });

  it('fails clearly on a tampered ciphertext or tag, and on text not in its format', () => {
    const box = createSecretBox({ current: 'k' });
    const [version, id, iv, tag, data] = box.encrypt(SECRET).split('.') as [string, string, string, string, string];
    const flip = (text: string) => {
      const bytes = Buffer.from(text, 'base64url');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      return bytes.toString('base64url');
    };
    for (const tampered of [[version, id, iv, tag, flip(data)], [version, id, iv, flip(tag), data], [version, id, flip(iv), tag, data]]) {
      assert.throws(() => box.decrypt(tampered.join('.')), /integrity check.*QIG_SECRET_KEY/);
    }
    assert.throws(() => box.decrypt([version, id, iv, Buffer.from(tag, 'base64url').subarray(0, 8).toString('base64url'), data].join('.')), /integrity check/, 'a shortened tag');
    assert.throws(() => box.decrypt(SECRET), /format/);
    assert.throws(() => box.decrypt(['v2', id, iv, tag, data].join('.')), /format/);
    assert.equal(box.needsRewrap('plain text'), true);
  });

  it('refuses an empty key', () => {
    assert.throws(() => createSecretBox({ current: '' }), /QIG_SECRET_KEY/);
  });
});

describe('last4', () => {
  it('shows the last 4 characters of a key, fewer of a short one, nothing of one of 4 or fewer', () => {
    assert.equal(last4(SECRET), 'cdef');
    assert.equal(last4('abcdefgh'), 'efgh');
    assert.equal(last4('abcdefg'), 'efg', 'never more than half');
    assert.equal(last4('abcde'), 'de');
    assert.equal(last4('abcd'), '');
    assert.equal(last4('ab'), '');
    assert.equal(last4(''), '');
    assert.equal(last4('sk-密钥密钥🔑🔑'), '密钥🔑🔑', 'characters, not UTF-16 units');
  });
});

describe('key file', () => {
  it('creates secret.key (32 random bytes, base64url, mode 0600) once and reuses it', async () => {
    const dir = tempDir('qig-secret-');
    try {
      const dataDir = join(dir.path, 'data');
      const key = await loadOrCreateKeyFile(dataDir);
      assert.equal(Buffer.from(key, 'base64url').length, 32);
      const path = join(dataDir, 'secret.key');
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal(await readFile(path, 'utf8'), key);
      assert.equal(await loadOrCreateKeyFile(dataDir), key, 'reused');
      const together = await Promise.all([loadOrCreateKeyFile(dataDir), loadOrCreateKeyFile(dataDir)]);
      assert.deepEqual(together, [key, key]);
      const box = createSecretBox({ current: key });
      assert.equal(createSecretBox({ current: await loadOrCreateKeyFile(dataDir) }).decrypt(box.encrypt(SECRET)), SECRET);
    } finally {
      dir.remove();
    }
  });

  it('agrees on one key when several starts race to create it', async () => {
    const dir = tempDir('qig-secret-');
    try {
      const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKeyFile(dir.path)));
      assert.equal(new Set(keys).size, 1);
    } finally {
      dir.remove();
    }
  });

  it('refuses an empty key file', async () => {
    const dir = tempDir('qig-secret-');
    try {
      await writeFile(join(dir.path, 'secret.key'), '\n');
      await assert.rejects(loadOrCreateKeyFile(dir.path), /QIG_SECRET_KEY/);
    } finally {
      dir.remove();
    }
  });
});
