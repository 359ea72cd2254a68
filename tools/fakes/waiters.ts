/** Promises that resolve when a condition on a test double's state becomes true, re-checked on `notify()`. */
export class ConditionWaiters<S> {
  readonly #checks = new Set<() => void>();

  constructor(private readonly subject: S) {}

  /**
   * Resolves with the predicate's first truthy result, checked now and at every `notify()`; rejects after
   * `timeoutMs` with `describeTimeout()`'s text, or with the predicate's own error if it throws.
   */
  waitFor<T>(
    predicate: (subject: S) => T | undefined | null | false,
    timeoutMs: number,
    describeTimeout: () => string,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        this.#checks.delete(check);
        if (timer) clearTimeout(timer);
      };
      const check = () => {
        let result: T | undefined | null | false;
        try {
          result = predicate(this.subject);
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        if (result !== undefined && result !== null && result !== false) {
          finish();
          resolve(result);
        }
      };
      timer = setTimeout(() => {
        finish();
        reject(new Error(describeTimeout()));
      }, timeoutMs);
      this.#checks.add(check);
      check();
    });
  }

  notify(): void {
    for (const check of [...this.#checks]) check();
  }
}
