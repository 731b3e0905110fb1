/**
 * drainOrClose waits until a writable stream wants more (`drain`) or is gone (`close`), removing both listeners
 * once either fires (a `Promise.race` of two `once` calls would leave one listener behind per wait).
 */
export function drainOrClose(stream: { once(event: string, fn: () => void): unknown; off(event: string, fn: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
