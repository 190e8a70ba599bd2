/**
 * Opens a page in a real headless Chromium (Debian's `chromium`) and talks to it over the
 * DevTools protocol on a pipe (--remote-debugging-pipe: fd 3 in, fd 4 out, NUL-terminated JSON),
 * so no port is opened and no npm package is needed. It records what a user would see go wrong:
 * console errors, uncaught exceptions, log errors and any request that leaves the file (the
 * report must need no network), and lets the test query the DOM and take a screenshot.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { requireChromium } from './tools.js';

export { requireChromium };

export interface PageProblems {
  consoleErrors: string[];
  exceptions: string[];
  logErrors: string[];
  /** URLs requested other than the page itself and data: URLs. */
  externalRequests: string[];
}

export interface OpenPage extends PageProblems {
  /** Evaluates `expression` in the page and returns its value (JSON-serialisable). */
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG of the whole page `width` CSS pixels wide. */
  screenshot(path: string, width?: number): Promise<void>;
  close(): Promise<void>;
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** The fields of the DevTools events this helper reads (Runtime, Log and Network domains). */
interface EventParams {
  type?: string;
  args?: Array<{ value?: unknown; description?: string }>;
  exceptionDetails?: { text?: string; exception?: { description?: string } };
  entry?: { level?: string; source?: string; text?: string; url?: string };
  request?: { url?: string };
}

/** Opens `file` in headless Chromium and waits for its load event. */
export async function openInChromium(file: string, timeoutMs = 30_000): Promise<OpenPage> {
  const exe = requireChromium();
  const profile = mkdtempSync(join(tmpdir(), 'tinyml-chromium-'));
  const child: ChildProcess = spawn(
    exe,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--remote-debugging-pipe',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const listeners: Array<(m: Message) => void> = [];
  let exited: Error | undefined;
  const failAll = (e: Error): void => {
    exited = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  child.on('exit', (code, signal) => failAll(new Error(`chromium exited (${code ?? signal}): ${stderr.slice(-2000)}`)));
  child.on('error', (e) => failAll(e));
  let buf = '';
  fromBrowser.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let end: number;
    while ((end = buf.indexOf('\0')) >= 0) {
      const m = JSON.parse(buf.slice(0, end)) as Message;
      buf = buf.slice(end + 1);
      if (m.id !== undefined && pending.has(m.id)) {
        const p = pending.get(m.id)!;
        pending.delete(m.id);
        if (m.error) p.reject(new Error(`DevTools: ${m.error.message}`));
        else p.resolve(m);
      } else for (const l of listeners) l(m);
    }
  });
  let nextId = 1;
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> => {
    if (exited) return Promise.reject(exited);
    const id = nextId++;
    return new Promise<Message>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    }).then((m) => m.result ?? {});
  };
  // Browser.close lets Chromium shut its helper processes down; if it does not exit in time, its
  // whole process group (it leads one: detached) is killed, so no renderer is left behind.
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      send('Browser.close').catch(() => {});
      const timedOut = await Promise.race([gone.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 5000).unref())]);
      if (timedOut) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        await gone;
      }
    }
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };

  const problems: PageProblems = { consoleErrors: [], exceptions: [], logErrors: [], externalRequests: [] };
  const url = pathToFileURL(file).href;
  try {
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`chromium did not load ${url} within ${timeoutMs} ms`)), timeoutMs).unref());
    const opened = (async () => {
      const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
      const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
      listeners.push((m) => {
        if (m.sessionId !== sessionId || !m.params) return;
        const p = m.params as EventParams;
        if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) {
          problems.consoleErrors.push((p.args ?? []).map((a) => String(a.value ?? a.description)).join(' '));
        } else if (m.method === 'Runtime.exceptionThrown') {
          problems.exceptions.push(String(p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text));
        } else if (m.method === 'Log.entryAdded' && p.entry && p.entry.level === 'error') {
          problems.logErrors.push(`${p.entry.source}: ${p.entry.text} ${p.entry.url ?? ''}`);
        } else if (m.method === 'Network.requestWillBeSent') {
          const u = String(p.request?.url);
          if (u !== url && !u.startsWith('data:')) problems.externalRequests.push(u);
        }
      });
      await Promise.all(['Runtime.enable', 'Log.enable', 'Page.enable', 'Network.enable'].map((m) => send(m, {}, sessionId)));
      const loaded = new Promise<void>((resolve) => listeners.push((m) => m.sessionId === sessionId && m.method === 'Page.loadEventFired' && resolve()));
      await send('Page.navigate', { url }, sessionId);
      await loaded;
      return sessionId;
    })();
    const sessionId = await Promise.race([opened, timer]);
    return {
      ...problems,
      async evaluate<T>(expression: string): Promise<T> {
        const r = (await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as { result: { value: T }; exceptionDetails?: { text: string } };
        if (r.exceptionDetails) throw new Error(`evaluating ${expression}: ${r.exceptionDetails.text}`);
        return r.result.value;
      },
      async screenshot(path: string, width = 1000): Promise<void> {
        const height = Math.ceil(await this.evaluate<number>('document.documentElement.scrollHeight'));
        await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
        const { data } = (await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId)) as { data: string };
        writeFileSync(path, Buffer.from(data, 'base64'));
      },
      close: kill,
    };
  } catch (e) {
    await kill();
    throw e;
  }
}
