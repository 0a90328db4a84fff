import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, html, htmlDocument } from './html.ts';

test('html escapes every interpolated string and attribute, keeps nested html as markup', () => {
  const hostile = `"><script>alert('x')</script>&`;
  const inner = html`<b>${hostile}</b>`;
  const out = html`<p title="${hostile}">${inner}${[1, html`<i>${'<'}</i>`]}${null}${undefined}${false}</p>`.value;
  assert.equal(out.includes('<script>'), false);
  assert.equal(out, `<p title="${escapeHtml(hostile)}"><b>${escapeHtml(hostile)}</b>1<i>&#60;</i></p>`);
});

test('htmlDocument escapes the title and links stylesheets', () => {
  const doc = htmlDocument({ title: '<T>', stylesheets: ['/a.css'], body: html`<main>x</main>` });
  assert.match(doc, /<title>&#60;T&#62;<\/title>/);
  assert.match(doc, /<link rel="stylesheet" href="\/a.css">/);
  assert.match(doc, /^<!doctype html>\n<html lang="en">/);
});
