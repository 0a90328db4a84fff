import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditActor, AuditSource } from '../../platform/http/principal.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder } from '../audit/index.ts';
import type { FieldContext, FieldEncryption } from '../keys/index.ts';
import type { PortalService, Speaker } from './portal-service.ts';

/** The largest attachment, in bytes (the route's body limit is the same number). */
export const MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024;
/** Attachments one report holds at most. */
export const MAX_ATTACHMENTS = 10;

/**
 * The types a reporter may attach, each with the first bytes its files start with (none for text).
 * Nothing a browser would run or render as a document of ours: no HTML, SVG, XML or script.
 */
export const ATTACHMENT_TYPES: Readonly<Record<string, readonly Buffer[]>> = Object.freeze({
  'text/plain': [],
  'application/pdf': [Buffer.from('%PDF-')],
  'image/png': [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  'image/jpeg': [Buffer.from([0xff, 0xd8, 0xff])],
  'image/gif': [Buffer.from('GIF87a'), Buffer.from('GIF89a')],
  'application/zip': [Buffer.from([0x50, 0x4b, 0x03, 0x04])],
});

/** A file name a reporter may give: printable, no path, at most 200 characters. */
const FILENAME = /^[^\u0000-\u001f\u007f/\\]{1,200}$/u;

export interface AttachmentView {
  readonly id: string;
  readonly filename: string;
  readonly content_type: string;
  readonly size_bytes: number;
  readonly created_at: string;
}

const nameContext = (id: string): FieldContext => ({ tenantId: PLATFORM_TENANT_ID, table: 'disclosure_attachments', column: 'name_sealed', rowId: id });
const contentContext = (id: string): FieldContext => ({ tenantId: PLATFORM_TENANT_ID, table: 'disclosure_attachments', column: 'content_sealed', rowId: id });

/** The media type without parameters, lower-cased (RFC 9110 §8.3.1: the type is case-insensitive). */
export const essence = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** Whether `bytes` look like `type`: the signature of the binary formats, valid UTF-8 without NUL for text. */
function matchesType(type: string, bytes: Buffer): boolean {
  const signatures = ATTACHMENT_TYPES[type];
  if (signatures === undefined) return false;
  if (signatures.length > 0) return signatures.some((s) => bytes.subarray(0, s.length).equals(s));
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Attachments to a report (VDP-2): bounded in size, count and type, encrypted at rest (name and
 * bytes), readable only by the report's reporter (portal session) and the triagers.
 */
export function createAttachmentsService(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: Pick<AuditRecorder, 'record'>; fields: FieldEncryption; portal: Pick<PortalService, 'reportFor'> }) {
  const { transactor, clock, random, audit, fields, portal } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);
  const actorOf = (speaker: Speaker): AuditActor => (speaker.side === 'reporter' ? { type: 'anonymous', id: null, display_name: null } : speaker.actor);

  return {
    /** Stores one file; every check runs before anything is written. */
    async add(speaker: Speaker, reportId: string, file: { filename: string; contentType: string; bytes: Buffer }, source: AuditSource): Promise<AttachmentView> {
      const type = essence(file.contentType);
      if (ATTACHMENT_TYPES[type] === undefined) throw new AppError('attachment_type_not_allowed');
      if (file.bytes.length === 0) throw new AppError('invalid_request', { detail: 'The file is empty.' });
      if (file.bytes.length > MAX_ATTACHMENT_BYTES) throw new AppError('payload_too_large');
      if (!FILENAME.test(file.filename)) throw new AppError('invalid_request', { detail: 'The file name must be 1 to 200 printable characters without a path.' });
      // The declared type must be what the bytes are, so a page or script cannot travel as an image.
      if (!matchesType(type, file.bytes)) throw new AppError('attachment_type_not_allowed', { detail: 'The file is not of the type it declares.' });
      const id = uuidv7(clock, random);
      const [nameSealed, contentSealed] = await Promise.all([fields.encryptField(nameContext(id), file.filename), fields.encryptField(contentContext(id), file.bytes.toString('base64'))]);
      const now = clock.now();
      await inPlatform(async (tx) => {
        // The report row's lock orders parallel uploads, so the count holds.
        await portal.reportFor(tx, speaker, reportId, true);
        const held = await tx.selectFrom('disclosure_attachments').select((eb) => eb.fn.countAll<string | number | bigint>().as('n')).where('report_id', '=', reportId).executeTakeFirstOrThrow();
        if (Number(held.n) >= MAX_ATTACHMENTS) throw new AppError('too_many_attachments');
        await tx.insertInto('disclosure_attachments').values({ id, report_id: reportId, content_type: type, size_bytes: file.bytes.length, name_sealed: nameSealed, content_sealed: contentSealed, created_at: now }).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.attachment_added', actor: actorOf(speaker), outcome: 'success', source, targets: [{ type: 'disclosure_report', id: reportId }], metadata: { attachment_id: id, content_type: type, size_bytes: file.bytes.length } });
      });
      return { id, filename: file.filename, content_type: type, size_bytes: file.bytes.length, created_at: now.toISOString() };
    },

    /** A report's attachments (names decrypted, no content). */
    async list(speaker: Speaker, reportId: string): Promise<AttachmentView[]> {
      const rows = await inPlatform(async (tx) => {
        await portal.reportFor(tx, speaker, reportId);
        return tx.selectFrom('disclosure_attachments').select(['id', 'content_type', 'size_bytes', 'name_sealed', 'created_at']).where('report_id', '=', reportId).orderBy('created_at', 'asc').execute();
      });
      return Promise.all(rows.map(async (r) => ({ id: r.id, filename: await fields.decryptField(nameContext(r.id), r.name_sealed), content_type: r.content_type, size_bytes: r.size_bytes, created_at: r.created_at.toISOString() })));
    },

    /** One attachment's bytes, for a download; the read is audited. */
    async download(speaker: Speaker, reportId: string, attachmentId: string, source: AuditSource): Promise<{ filename: string; contentType: string; bytes: Buffer }> {
      const row = await inPlatform(async (tx) => {
        await portal.reportFor(tx, speaker, reportId);
        const found = await tx.selectFrom('disclosure_attachments').select(['id', 'content_type', 'name_sealed', 'content_sealed']).where('id', '=', attachmentId).where('report_id', '=', reportId).executeTakeFirst();
        if (found === undefined) throw new AppError('not_found');
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.attachment_downloaded', actor: actorOf(speaker), outcome: 'success', source, targets: [{ type: 'disclosure_report', id: reportId }], metadata: { attachment_id: attachmentId, by: speaker.side } });
        return found;
      });
      const [filename, content] = await Promise.all([fields.decryptField(nameContext(row.id), row.name_sealed), fields.decryptField(contentContext(row.id), row.content_sealed)]);
      return { filename, contentType: row.content_type, bytes: Buffer.from(content, 'base64') };
    },
  };
}

export type AttachmentsService = ReturnType<typeof createAttachmentsService>;
