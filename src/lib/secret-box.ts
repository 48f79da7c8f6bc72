/**
 * Encryption of the upstream keys entered at runtime (decision 0011): AES-256-GCM under a key
 * derived from QIG_SECRET_KEY, each ciphertext tagged with its key's id, so a key rotated into
 * QIG_SECRET_KEY_PREVIOUS still opens what it sealed until the rows are re-encrypted.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SecretBox {
  /** `v1.<keyId>.<iv>.<tag>.<data>` (base64url parts) under the current key. */
  encrypt(plain: string): string;
  /** Opens a ciphertext sealed under the current key or a previous one. */
  decrypt(ciphertext: string): string;
  /** Whether the ciphertext was sealed under another key than the current one (re-encrypt it). */
  needsRewrap(ciphertext: string): boolean;
  /** The current key's id. */
  keyId: string;
}

export interface SecretKeys {
  /** QIG_SECRET_KEY (or the generated key file's text). */
  current: string;
  /** QIG_SECRET_KEY_PREVIOUS: keys being rotated out. */
  previous?: readonly string[] | undefined;
}

const VERSION = 'v1';
const SALT = 'qwen-image-gateway/secret-box';
const INFO = 'credential secrets v1';
const IV_BYTES = 12;
// Stated, so a shortened tag is refused rather than checked on fewer bytes.
const TAG_BYTES = 16;

interface DerivedKey {
  id: string;
  key: Buffer;
}

function deriveKey(text: string): DerivedKey {
  if (text.length === 0) throw new Error('QIG_SECRET_KEY is empty: set it to a long random value.');
  const key = Buffer.from(hkdfSync('sha256', text, SALT, INFO, 32));
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

/** The key id a ciphertext names, and its parts; null when it is not of this format. */
function parse(ciphertext: string): { keyId: string; iv: Buffer; tag: Buffer; data: Buffer } | null {
  const parts = ciphertext.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) return null;
  const [, keyId, iv, tag, data] = parts as [string, string, string, string, string];
  return { keyId, iv: Buffer.from(iv, 'base64url'), tag: Buffer.from(tag, 'base64url'), data: Buffer.from(data, 'base64url') };
}

export function createSecretBox(keys: SecretKeys): SecretBox {
  const current = deriveKey(keys.current);
  const known = new Map<string, Buffer>();
  for (const text of keys.previous ?? []) {
    const previous = deriveKey(text);
    known.set(previous.id, previous.key);
  }
  known.set(current.id, current.key);

  return {
    keyId: current.id,
    encrypt(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv, { authTagLength: TAG_BYTES });
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, current.id, iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join('.');
    },
    decrypt(ciphertext) {
      const sealed = parse(ciphertext);
      if (!sealed) throw new Error('A stored secret is not in the secret box format (v1.<key id>.<iv>.<tag>.<data>).');
      const key = known.get(sealed.keyId);
      if (!key) {
        throw new Error(`A stored secret was encrypted with key ${sealed.keyId}, which is neither QIG_SECRET_KEY (${current.id}) nor in QIG_SECRET_KEY_PREVIOUS: set the key it was encrypted with.`);
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_BYTES });
        decipher.setAuthTag(sealed.tag);
        return Buffer.concat([decipher.update(sealed.data), decipher.final()]).toString('utf8');
      } catch {
        throw new Error(`A stored secret (key ${sealed.keyId}) failed its integrity check: it was altered, or QIG_SECRET_KEY / QIG_SECRET_KEY_PREVIOUS is not the key it was encrypted with.`);
      }
    },
    needsRewrap(ciphertext) {
      return parse(ciphertext)?.keyId !== current.id;
    },
  };
}

/**
 * The last 4 characters of a secret, all that is ever shown of it: fewer for a short one (never
 * more than half of it), and '' for one of 4 characters or fewer (that would show it whole).
 */
export function last4(secret: string): string {
  const chars = [...secret];
  if (chars.length <= 4) return '';
  return chars.slice(-Math.min(4, Math.floor(chars.length / 2))).join('');
}

/**
 * The key of a single node without QIG_SECRET_KEY: `<dataDir>/secret.key`, created on first use
 * (32 random bytes, base64url, readable by the owner only). Written aside and linked into place,
 * so a concurrent start never reads a half-written file and the first one's key wins.
 */
export async function loadOrCreateKeyFile(dataDir: string): Promise<string> {
  const path = join(dataDir, 'secret.key');
  await mkdir(dataDir, { recursive: true });
  const draft = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(draft, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    // The mode writeFile is given passes through the umask; make sure.
    await chmod(draft, 0o600);
    await link(draft, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(draft, { force: true });
  }
  const text = (await readFile(path, 'utf8')).trim();
  if (text.length === 0) throw new Error(`${path} is empty: set QIG_SECRET_KEY, or delete the file to have a new key generated (keys stored under the lost one must then be entered again).`);
  return text;
}
