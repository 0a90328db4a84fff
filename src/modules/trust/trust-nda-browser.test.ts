// TR-2 in headless Chromium: a visitor requests a document under NDA on the script-free pages,
// accepts the click-through NDA, follows the verification link from the mail, then the download
// link, and receives a PDF watermarked with their address.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import { BROWSER_SKIP, startBrowserApp, type BrowserApp } from '../../../test/support/browser.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';
import { mailTo } from '../../../test/support/smtp.ts';
import { allowDomains, readPdf, startNdaFixture, type NdaFixture } from './nda-test-fixture.ts';

/** The absolute link of a mail (the code is in its fragment). */
const linkOf = (text: string) => {
  const match = /(http:\/\/\S+#token=[A-Za-z0-9_-]+)/.exec(text);
  assert.ok(match?.[1] !== undefined, text);
  return match[1];
};
const codeOf = (link: string) => link.slice(link.indexOf('#token=') + 7);

peerSuite('documents under NDA in a browser (TR-2)', BROWSER_SKIP, () => {
  let b: BrowserApp;
  let f: NdaFixture;
  before(async () => {
    f = await startNdaFixture({
      app: async (env) => {
        b = await startBrowserApp({ env });
        return b.t;
      },
    });
    await allowDomains(f, ['browser.example']);
  });
  after(async () => {
    await b.browser.close();
    await f.close();
  });

  it('TR-2: request, click-through NDA, verification link, download link: the PDF is watermarked with the visitor\'s address', async () => {
    const email = 'visitor@browser.example';
    const { page, done } = await b.openPage();
    await page.goto('/trust/documents');
    await page.getByRole('link', { name: 'Request under NDA' }).click();
    await page.getByRole('heading', { name: 'Request: SOC 2 Type II report' }).waitFor();
    await page.getByLabel('Work email', { exact: true }).fill(email);
    await page.getByLabel('Name', { exact: true }).fill('Vera Visitor');
    await page.getByLabel('Company', { exact: true }).fill('Browser Buyers');
    assert.match(await page.locator('pre.nda').innerText(), /MUTUAL NON-DISCLOSURE AGREEMENT/);
    await page.getByLabel(/I accept this non-disclosure agreement/).check();
    await page.getByRole('button', { name: 'Accept and request' }).click();
    await page.getByRole('heading', { name: 'Check your mail' }).waitFor();

    const verifyLink = linkOf((await mailTo(f.t, f.smtp, email, /Confirm your request/)).text);
    await page.goto(verifyLink);
    await page.getByLabel('Code', { exact: true }).fill(codeOf(verifyLink));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'Address confirmed' }).waitFor();

    const downloadLink = linkOf((await mailTo(f.t, f.smtp, email, /Your document under NDA is ready/)).text);
    await page.goto(downloadLink);
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Code', { exact: true }).fill(codeOf(downloadLink));
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    assert.equal(file.suggestedFilename(), 'SOC-2-Type-II-report.pdf');
    const path = await file.path();
    const pdf = await readPdf(await readFile(path));
    assert.ok(pdf.pages[0]?.some((text) => text.includes(`provided to ${email}`)), JSON.stringify(pdf.pages));
    await done();
  });
});
