// Test-only: keyboard helpers for the console's browser suites (a person using no mouse).
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { tabTo } from '../support/browser.ts';

/** Tabs to the <select> `selector` and moves its choice to `value` with the arrow keys alone. */
export async function chooseByKeyboard(page: Page, selector: string, value: string): Promise<void> {
  await tabTo(page, selector);
  const current = () => page.evaluate((s) => (document.querySelector(s) as HTMLSelectElement).value, selector);
  for (const key of ['ArrowDown', 'ArrowUp']) {
    for (let i = 0; i < 100 && (await current()) !== value; i++) {
      const before = await current();
      await page.keyboard.press(key);
      if ((await current()) === before) break;
    }
  }
  assert.equal(await current(), value, `${selector} could not be set to ${value} by keyboard`);
}

/** Tabs to the text field `selector` and types `text` into it. */
export async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await tabTo(page, selector);
  await page.keyboard.type(text);
}

/** Tabs to the check box `selector` and toggles it with the space bar until it is `checked`. */
export async function setCheck(page: Page, selector: string, checked: boolean): Promise<void> {
  await tabTo(page, selector);
  if ((await page.isChecked(selector)) !== checked) await page.keyboard.press('Space');
  assert.equal(await page.isChecked(selector), checked);
}

/** Tabs to `selector` (a button or link) and presses Enter. */
export async function press(page: Page, selector: string): Promise<void> {
  await tabTo(page, selector);
  await page.keyboard.press('Enter');
}
