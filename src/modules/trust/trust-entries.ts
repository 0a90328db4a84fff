import { Type, type Static } from '@sinclair/typebox';
import type { Tx } from '../../database.ts';
import type { EntryKind } from './trust-tables.ts';

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$' });
const Day = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD' });
/** A link published on the page: https only, or a path on this server (never `javascript:`). */
const Link = Type.String({ maxLength: 2000, pattern: '^(https://[^\\s"<>]+|/(?!/)[^\\s"<>]*)$' });
const ClaimIds = Type.Array(Type.String({ pattern: '^[A-Z]{2,5}-[0-9]{1,2}$' }), { maxItems: 20, uniqueItems: true });

/** TR-1: a certification or attestation and its status. */
export const CertificationData = Type.Object(
  {
    name: Text(200),
    status: Type.Union([Type.Literal('certified'), Type.Literal('in_progress'), Type.Literal('planned')]),
    auditor: Type.Optional(Text(200)),
    scope: Type.Optional(Text(1000)),
    issued_on: Type.Optional(Day),
    expires_on: Type.Optional(Day),
  },
  { additionalProperties: false },
);
/** TR-2: a document; `nda` ones are listed but released on request (*planned*: the request flow). */
export const DocumentData = Type.Object(
  { title: Text(200), description: Type.Optional(Text(1000)), access: Type.Union([Type.Literal('public'), Type.Literal('nda')]), url: Type.Optional(Link), updated_on: Type.Optional(Day) },
  { additionalProperties: false },
);
/** TR-3: a subprocessor. */
export const SubprocessorData = Type.Object(
  { name: Text(200), purpose: Text(500), data_categories: Type.Array(Text(100), { maxItems: 30 }), location: Text(200), effective_from: Day, website: Type.Optional(Link) },
  { additionalProperties: false },
);
/** TR-5: a question and answer, or a shared-responsibility statement, linked to controls. */
export const FaqData = Type.Object(
  { section: Type.Union([Type.Literal('faq'), Type.Literal('shared_responsibility')]), question: Text(500), answer: Text(5000), claims: Type.Optional(ClaimIds) },
  { additionalProperties: false },
);

export type CertificationData = Static<typeof CertificationData>;
export type DocumentData = Static<typeof DocumentData>;
export type SubprocessorData = Static<typeof SubprocessorData>;
export type FaqData = Static<typeof FaqData>;

export const ENTRY_SCHEMAS = { certification: CertificationData, document: DocumentData, subprocessor: SubprocessorData, faq: FaqData } as const;

export interface Entry<K extends EntryKind = EntryKind> {
  readonly id: string;
  readonly kind: K;
  readonly position: number;
  readonly data: K extends 'certification' ? CertificationData : K extends 'document' ? DocumentData : K extends 'subprocessor' ? SubprocessorData : FaqData;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export interface EntriesByKind {
  readonly certification: readonly Entry<'certification'>[];
  readonly document: readonly Entry<'document'>[];
  readonly subprocessor: readonly Entry<'subprocessor'>[];
  readonly faq: readonly Entry<'faq'>[];
}

export async function listEntries(tx: Tx): Promise<EntriesByKind> {
  const rows = await tx.selectFrom('trust_entries').selectAll().orderBy('kind').orderBy('position').orderBy('created_at').orderBy('id').execute();
  // Rows are written only through the API, which validated `data` against the kind's schema.
  const of = <K extends EntryKind>(kind: K) => rows.filter((row) => row.kind === kind) as unknown as Entry<K>[];
  return { certification: of('certification'), document: of('document'), subprocessor: of('subprocessor'), faq: of('faq') };
}

export async function insertEntry(tx: Tx, row: { id: string; kind: EntryKind; position: number; data: unknown; now: Date }): Promise<void> {
  await tx.insertInto('trust_entries').values({ id: row.id, kind: row.kind, position: row.position, data: JSON.stringify(row.data), created_at: row.now, updated_at: row.now }).execute();
}

export async function updateEntry(tx: Tx, id: string, change: { position: number; data: unknown; now: Date }): Promise<EntryKind | undefined> {
  const row = await tx.updateTable('trust_entries').set({ position: change.position, data: JSON.stringify(change.data), updated_at: change.now }).where('id', '=', id).returning('kind').executeTakeFirst();
  return row?.kind;
}

export async function findEntryKind(tx: Tx, id: string): Promise<EntryKind | undefined> {
  return (await tx.selectFrom('trust_entries').select('kind').where('id', '=', id).executeTakeFirst())?.kind;
}

export async function deleteEntry(tx: Tx, id: string): Promise<EntryKind | undefined> {
  return (await tx.deleteFrom('trust_entries').where('id', '=', id).returning('kind').executeTakeFirst())?.kind;
}
