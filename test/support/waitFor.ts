/** The testing kit's waitFor (src/testing/waitFor.ts): the one the project's tests use. */
export { waitFor } from '../../src/testing/waitFor';

/** A promise with its resolve/reject exposed, to hold a handler in place while a test looks. */
export interface Gate<T = void> {
  promise: Promise<T>;
  open(value: T): void;
  fail(error: Error): void;
}

export function gate<T = void>(): Gate<T> {
  let open!: (value: T) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}
