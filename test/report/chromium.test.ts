/**
 * The headless-browser check the report test relies on must see what goes wrong on a page: a
 * console error, an uncaught exception and a request that leaves the file are each reported (a
 * clean page reports none), so "no errors" in the report test means the browser saw none.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { openInChromium, requireChromium } from '../helpers/chromium.js';

const temp = makeTempDir('tinyml-chromium-check-');
afterAll(() => temp.cleanup());

describe('openInChromium', () => {
  it('reports console errors, exceptions and external requests of a broken page', async () => {
    const file = join(temp.dir, 'broken.html');
    writeFileSync(
      file,
      '<!DOCTYPE html><html><body><p id="p">hi</p><script>console.error("boom"); throw new Error("kaput");</script><img src="http://127.0.0.1:9/x.png"></body></html>',
    );
    const page = await openInChromium(file);
    try {
      expect(page.consoleErrors.join()).toContain('boom');
      expect(page.exceptions.join()).toContain('kaput');
      expect(page.externalRequests).toEqual(['http://127.0.0.1:9/x.png']);
      expect(await page.evaluate<string>('document.getElementById("p").textContent')).toBe('hi');
    } finally {
      await page.close();
    }
  }, 30_000);

  it('reports nothing for a clean page', async () => {
    const file = join(temp.dir, 'clean.html');
    writeFileSync(file, '<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body><svg width="10" height="10"><rect width="5" height="5"/></svg></body></html>');
    const page = await openInChromium(file);
    try {
      expect([page.consoleErrors, page.exceptions, page.logErrors, page.externalRequests]).toEqual([[], [], [], []]);
    } finally {
      await page.close();
    }
  }, 30_000);
});

describe('requireChromium', () => {
  it('fails with the apt-get line when chromium is not on PATH', () => {
    expect(() => requireChromium({ PATH: temp.dir })).toThrow(/this test needs chromium, which is missing: .*apt-get install chromium/);
  });
});
