/**
 * A protocol client talks to one device over one stream, so its exchanges (a request and its
 * reply) must not interleave: each starts when the one before it has settled, whatever its outcome.
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
