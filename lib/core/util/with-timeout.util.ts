/**
 * Settles like `promise`, or rejects after `ms` with an error that says Redis did not answer.
 * The original promise keeps running; its late failure is swallowed.
 * @internal
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  if (ms === Infinity) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      promise.catch(() => undefined);
      reject(new Error(`Redis did not answer within ${Math.round(ms)} ms`));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
