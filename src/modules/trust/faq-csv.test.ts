// TR-5: the questionnaire export — questions, answers and shared-responsibility statements with the
// controls they are linked to, as CSV that a spreadsheet cannot run as formulas.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { FAQ_CSV_COLUMNS } from './faq-csv.ts';

describe('questionnaire CSV export (TR-5)', () => {
  let t: TestApp;
  let admin: string;
  before(async () => {
    t = await createTestApp();
    await t.createUser('faq-csv-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    admin = await t.login('faq-csv-admin@example.com', TEST_PASSWORD);
    const entries = [
      { section: 'faq', question: 'Is data encrypted at rest?', answer: 'Yes, with AES-256-GCM, "per tenant", including backups.', claims: ['ENC-1', 'ENC-2'] },
      { section: 'shared_responsibility', question: 'Who manages user accounts?', answer: 'You do; we enforce MFA when you require it.' },
      { section: 'faq', question: '=HYPERLINK("https://evil.example","click")', answer: '+1+cmd|\' /C calc\'!A0', claims: ['TEN-1'] },
      { section: 'faq', question: '-2+3', answer: '@SUM(A1:A2)' },
    ];
    for (const [i, data] of entries.entries()) {
      const r = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/entries', headers: { cookie: admin }, payload: { kind: 'faq', position: i, data } });
      assert.equal(r.statusCode, 201, r.body);
    }
  });
  after(async () => {
    await t.close();
  });

  const rows = async () => {
    const response = await t.inject({ method: 'GET', url: '/trust/faq.csv' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/csv; charset=utf-8/);
    assert.match(String(response.headers['content-disposition']), /^attachment; filename="trust-questionnaire\.csv"$/);
    return parse(response.body, { relax_column_count: false }) as string[][];
  };

  it('TR-5: exports every question and answer with its section and the controls (claim ids and statements) it is linked to, RFC 4180-quoted', async () => {
    const [header, ...body] = await rows();
    assert.deepEqual(header, [...FAQ_CSV_COLUMNS]);
    const encrypted = body.find((r) => r[1] === 'Is data encrypted at rest?');
    assert.ok(encrypted !== undefined);
    assert.equal(encrypted[0], 'faq');
    assert.equal(encrypted[2], 'Yes, with AES-256-GCM, "per tenant", including backups.');
    assert.equal(encrypted[3], 'ENC-1 ENC-2');
    assert.match(encrypted[4] ?? '', /^ENC-1: Sensitive data at rest is encrypted/);
    assert.ok(body.some((r) => r[0] === 'shared_responsibility' && r[1] === 'Who manages user accounts?' && r[3] === ''));
  });

  it('TR-5: cells starting with = + - @ are defused with a leading apostrophe (CSV injection)', async () => {
    const body = (await rows()).slice(1);
    const injected = body.flatMap((r) => [r[1], r[2]]).filter((cell): cell is string => cell !== undefined && /HYPERLINK|cmd|SUM|^'?-2/.test(cell));
    assert.equal(injected.length, 4);
    for (const cell of injected) assert.match(cell, /^'[=+\-@]/, cell);
    for (const row of body) for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@]/, `no cell starts a formula: ${cell}`);
  });
});
