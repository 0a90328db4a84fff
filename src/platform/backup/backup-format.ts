import { ParapetError } from '../errors.ts';
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * The encrypted backup container (ENC-5; docs/operations.md "Backup format"):
 *
 *   magic "PARAPET-BACKUP/1\n" ‖ u32 header length ‖ header (JSON, UTF-8)
 *   frames: u8 flags (1 = final) ‖ u32 ciphertext length ‖ AES-256-GCM ciphertext ‖ 16-byte tag
 *
 * The plaintext of the frames is a gzip stream of JSON lines (see backup-records.ts). Each frame
 * is encrypted under the backup's own random data key with nonce = 0⁴ ‖ u64 frame index and
 * associated data = SHA-256(magic ‖ header) ‖ u64 frame index ‖ flags, so a changed header, a
 * frame moved, dropped or replayed, or a file cut after any frame fails authentication; the last
 * frame is the only one flagged final, and nothing may follow it.
 */
export const BACKUP_MAGIC = Buffer.from('PARAPET-BACKUP/1\n', 'ascii');
export const BACKUP_FORMAT = 'parapet-backup/1';
/** Plaintext bytes per frame (the last frame may hold fewer, or none). */
export const FRAME_BYTES = 64 * 1024;
const TAG_BYTES = 16;
const MAX_HEADER_BYTES = 1024 * 1024;

export interface BackupHeader {
  readonly format: typeof BACKUP_FORMAT;
  readonly backup_id: string;
  readonly created_at: string;
  readonly source: {
    readonly kind: 'pglite' | 'postgres';
    readonly server_version: string;
    /** Id of the keyring the source used (not secret): restore needs the same keyring, whose root wraps the tenant keys. */
    readonly keyring_id: string;
    /** The last migration applied to the source: the schema version of the rows. */
    readonly migration: string;
    readonly migrations: readonly { readonly name: string; readonly checksum: string }[];
  };
  readonly key: {
    /** Which backup key file wrapped the data key (its id; never key material). */
    readonly file_id: string;
    readonly purpose: 'backup-wrapping';
    readonly cipher: 'aes-256-gcm';
    /** The backup's data key, wrapped by the backup root key: nonce ‖ ciphertext ‖ tag, base64. */
    readonly wrapped_data_key: string;
  };
  readonly compression: 'gzip';
  readonly frame_bytes: number;
}

/** A backup that fails authentication or parsing; the message names no data. */
export class BackupFormatError extends ParapetError {
  readonly code = 'backup_format';
  override readonly name = 'BackupFormatError';
}

/** Associated data binding a wrapped data key to its backup key file and its backup. */
export function dataKeyAad(header: Pick<BackupHeader, 'backup_id' | 'created_at'> & { key: Pick<BackupHeader['key'], 'file_id'> }): Buffer {
  return Buffer.from(JSON.stringify(['parapet-backup-key/1', header.key.file_id, header.backup_id, header.created_at]), 'utf8');
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function nonceFor(index: bigint): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(index, 4);
  return nonce;
}

function frameAad(headerHash: Buffer, index: bigint, flags: number): Buffer {
  const b = Buffer.alloc(32 + 8 + 1);
  headerHash.copy(b, 0);
  b.writeBigUInt64BE(index, 32);
  b.writeUInt8(flags, 40);
  return b;
}

/** The bytes that open a backup file: magic, header length, header. */
export function headerBytes(header: BackupHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  return Buffer.concat([BACKUP_MAGIC, u32(json.length), json]);
}

/**
 * Encrypts a byte stream into frames (the header is written separately, first). Always ends
 * with a final frame, empty if need be, so a cut at any frame boundary is detected.
 */
export function frameEncryptor(dataKey: Buffer, header: Buffer, frameBytes: number = FRAME_BYTES): Transform {
  const headerHash = createHash('sha256').update(header).digest();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0n;
  const seal = (plaintext: Buffer, flags: number): Buffer => {
    const cipher = createCipheriv('aes-256-gcm', dataKey, nonceFor(index));
    cipher.setAAD(frameAad(headerHash, index, flags));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    index += 1n;
    const head = Buffer.alloc(5);
    head.writeUInt8(flags, 0);
    head.writeUInt32BE(body.length, 1);
    return Buffer.concat([head, body]);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= frameBytes) {
        let all = Buffer.concat(pending);
        while (all.length >= frameBytes) {
          this.push(seal(all.subarray(0, frameBytes), 0));
          all = all.subarray(frameBytes);
        }
        pending = [all];
        pendingBytes = all.length;
      }
      callback();
    },
    flush(callback: TransformCallback) {
      this.push(seal(Buffer.concat(pending), 1));
      callback();
    },
  });
}

/** A backup file opened for reading: its header, and the frames' plaintext once `dataKey` is known. */
export interface OpenedBackup {
  readonly header: BackupHeader;
  readonly bytes: Buffer;
  /** Decrypts and authenticates every frame in order; throws `BackupFormatError` at the first bad one. */
  frames(dataKey: Buffer): AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

function parseHeader(json: Buffer): BackupHeader {
  let header: Partial<BackupHeader>;
  try {
    header = JSON.parse(json.toString('utf8')) as Partial<BackupHeader>;
  } catch {
    throw new BackupFormatError('backup header is not valid JSON');
  }
  if (header.format !== BACKUP_FORMAT) throw new BackupFormatError(`unsupported backup format ${JSON.stringify(header.format)} (this version reads ${BACKUP_FORMAT})`);
  if (typeof header.key?.wrapped_data_key !== 'string' || typeof header.backup_id !== 'string' || typeof header.created_at !== 'string' || !Array.isArray(header.source?.migrations)) {
    throw new BackupFormatError('backup header is incomplete');
  }
  if (header.compression !== 'gzip' || (header.key as { cipher?: unknown }).cipher !== 'aes-256-gcm' || typeof header.frame_bytes !== 'number' || header.frame_bytes < 1 || header.frame_bytes > 16 * 1024 * 1024) {
    throw new BackupFormatError('backup header names an unsupported compression, cipher or frame size');
  }
  return header as BackupHeader;
}

/** Opens a backup file and reads its header (unauthenticated until the first frame opens). */
export async function openBackupFile(path: string): Promise<OpenedBackup> {
  const handle = await open(path, 'r');
  let position = 0;
  const read = async (n: number): Promise<Buffer> => {
    const buffer = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await handle.read(buffer, got, n - got, position);
      if (bytesRead === 0) break;
      got += bytesRead;
      position += bytesRead;
    }
    return buffer.subarray(0, got);
  };
  try {
    const magic = await read(BACKUP_MAGIC.length);
    if (!magic.equals(BACKUP_MAGIC)) throw new BackupFormatError('not a Parapet backup (bad magic)');
    const lengthBytes = await read(4);
    if (lengthBytes.length !== 4) throw new BackupFormatError('backup is truncated in its header');
    const length = lengthBytes.readUInt32BE();
    if (length > MAX_HEADER_BYTES) throw new BackupFormatError('backup header is too large');
    const json = await read(length);
    if (json.length !== length) throw new BackupFormatError('backup is truncated in its header');
    const header = parseHeader(json);
    const bytes = Buffer.concat([magic, lengthBytes, json]);
    const headerHash = createHash('sha256').update(bytes).digest();
    return {
      header,
      bytes,
      close: () => handle.close(),
      frames: async function* (dataKey) {
        for (let index = 0n; ; index += 1n) {
          const head = await read(5);
          if (head.length === 0) throw new BackupFormatError('backup is truncated: the final frame is missing');
          if (head.length !== 5) throw new BackupFormatError(`backup is truncated in frame ${index}`);
          const flags = head.readUInt8(0);
          const size = head.readUInt32BE(1);
          if (flags > 1 || size < TAG_BYTES || size > header.frame_bytes + TAG_BYTES) throw new BackupFormatError(`frame ${index} has a malformed frame header`);
          const body = await read(size);
          if (body.length !== size) throw new BackupFormatError(`backup is truncated in frame ${index}`);
          let plaintext: Buffer;
          try {
            const decipher = createDecipheriv('aes-256-gcm', dataKey, nonceFor(index));
            decipher.setAAD(frameAad(headerHash, index, flags));
            decipher.setAuthTag(body.subarray(size - TAG_BYTES));
            plaintext = Buffer.concat([decipher.update(body.subarray(0, size - TAG_BYTES)), decipher.final()]);
          } catch {
            throw new BackupFormatError(`frame ${index} fails authentication (altered, reordered or from another backup)`);
          }
          yield plaintext;
          if (flags === 1) {
            if ((await read(1)).length !== 0) throw new BackupFormatError('data follows the final frame');
            return;
          }
        }
      },
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
