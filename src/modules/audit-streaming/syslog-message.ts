import type { Outcome } from '../audit/index.ts';
import { recordJson, type StreamRecord } from './stream-records.ts';

/** RFC 5424 §6.2.1 facility 13, "log audit". */
const FACILITY_LOG_AUDIT = 13;
const SEVERITY = { warning: 4, notice: 5, informational: 6 } as const;

/**
 * SD-ID of Parapet's structured data. RFC 5424 §7.2.2 requires `name@<private enterprise number>`
 * for IDs not registered with IANA; 32473 is the PEN reserved for documentation (RFC 5612).
 */
export const SD_ID = 'parapet@32473';

export interface SyslogHeader {
  /** HOSTNAME: the Parapet host that originates the messages (the public URL's host). */
  readonly hostname: string;
  readonly tenantId: string;
}

/** Keeps PRINTUSASCII (%d33-126) only, as HOSTNAME, APP-NAME and MSGID require (RFC 5424 §6). */
function printable(value: string, max: number): string {
  const kept = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return kept === '' ? '-' : kept;
}

/** PARAM-VALUE escaping: '"', '\' and ']' MUST be escaped (RFC 5424 §6.3.3). */
const paramValue = (value: string | number) => String(value).replace(/["\\\]]/g, (c) => `\\${c}`);

/**
 * JSON with every non-ASCII character as a `\uXXXX` escape: the same JSON value, but the MSG is
 * plain ASCII, so it is valid MSG-ANY and needs no BOM (RFC 5424 §6.4) and survives receivers
 * that mangle UTF-8.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function severityOf(outcome: Outcome): number {
  return outcome === 'success' ? SEVERITY.notice : SEVERITY.warning;
}

/**
 * One record as an RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME parapet - MSGID [SD] MSG`.
 * PRI is facility 13 (log audit) with severity notice for successes, warning for failures and
 * denials, informational for checkpoints; MSGID is the action; MSG is the JSON (or OCSF) payload.
 */
export function syslogMessage(record: StreamRecord, header: SyslogHeader): string {
  let severity: number = SEVERITY.informational;
  let timestamp: string;
  let msgid: string;
  let params: [string, string | number][];
  let msg: unknown;
  switch (record.type) {
    case 'event':
      severity = severityOf(record.outcome);
      timestamp = record.occurred_at;
      msgid = record.action;
      params = [['tenant', header.tenantId], ['seq', record.seq]];
      msg = record.event;
      break;
    case 'checkpoint':
      timestamp = record.created_at;
      msgid = 'audit.checkpoint';
      params = [['tenant', header.tenantId], ['size', record.size], ['kind', record.kind]];
      msg = recordJson(record);
      break;
    case 'test':
      timestamp = record.sent_at;
      msgid = 'audit.test';
      params = [['tenant', header.tenantId]];
      msg = recordJson(record);
      break;
  }
  const pri = FACILITY_LOG_AUDIT * 8 + severity;
  const sd = `[${SD_ID}${params.map(([name, value]) => ` ${name}="${paramValue(value)}"`).join('')}]`;
  return `<${pri}>1 ${timestamp} ${printable(header.hostname, 255)} parapet - ${printable(msgid, 32)} ${sd} ${asciiJson(msg)}`;
}

/** RFC 5425 §4.3 octet-counting: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN in octets. */
export function octetCountedFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
