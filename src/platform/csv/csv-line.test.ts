import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvField, csvLine } from './csv-line.ts';

describe('CSV writer', () => {
  it('quotes fields holding quotes, commas or line breaks, doubling quotes', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(null), '');
    assert.equal(csvField(undefined), '');
    assert.equal(csvField(42), '42');
  });

  it('defuses values a spreadsheet would run as formulas (CSV injection)', () => {
    for (const attack of ['=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '\uFF1D1+1', '\uFF0B1', '\uFF0D1', '\uFF20A1']) {
      const field = csvField(attack);
      const unquoted = field.startsWith('"') ? field.slice(1) : field;
      assert.ok(unquoted.startsWith("'"), `${JSON.stringify(attack)} → ${field}`);
    }
    assert.equal(csvField('=1,2'), '"\'=1,2"');
  });

  it('ends a record with CRLF', () => {
    assert.equal(csvLine(['a', null, '=x', 3]), "a,,'=x,3\r\n");
  });
});
