/**
 * What the protocol clients share about an exchange with the device (a request and its reply),
 * whatever the protocol: exchanges run one at a time, and a reply is awaited with a deadline.
 */

/**
 * A client talks to one device over one stream, so its exchanges must not interleave: each starts
 * when the one before it has settled, whatever its outcome.
 */
export class ExchangeQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `exchange` after every exchange queued before it; its result or error is the caller's alone. */
  run<T>(exchange: () => Promise<T>): Promise<T> {
    const result = this.tail.then(exchange);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export interface Settle<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/**
 * The awaited reply: `settle` (called by the client's receive path) settles `promise` and stops the
 * deadline; when `timeoutMs` passes first, `expire` settles it instead. `forget` runs on every
 * outcome, after the settling value was computed (the client drops its pending slot).
 */
export function awaitReply<T>(timeoutMs: number, expire: (settle: Settle<T>) => void, forget: () => void): { promise: Promise<T>; settle: Settle<T> } {
  let settle!: Settle<T>;
  const promise = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => expire(settle), timeoutMs);
    settle = {
      resolve: (value) => {
        clearTimeout(timer);
        forget();
        resolve(value);
      },
      reject: (error) => {
        clearTimeout(timer);
        forget();
        reject(error);
      },
    };
  });
  return { promise, settle };
}
