import type { Observer, Operator, Subject, Subscription } from 'rxjs';
import { Observable } from 'rxjs/internal/Observable'; // not 'rxjs': see eventQueue.ts
import { Subscriber } from 'rxjs/internal/Subscriber';

type ObserverArg<T> = Partial<Observer<T>> | ((value: T) => void) | null | undefined;

/**
 * An Observable whose subscribers cannot hurt the producer: RxJS rethrows an error thrown by a
 * subscriber (or an unhandled `error` notification) asynchronously, which becomes an
 * uncaughtException and kills a process that does not trap it. Here each such error is handed
 * to `report` instead. Operators applied with `pipe()` keep the protection, because `lift`
 * returns another ContainedObservable.
 */
export class ContainedObservable<T> extends Observable<T> {
  constructor(
    private readonly report: (error: unknown) => void,
    subscribe?: (this: Observable<T>, subscriber: Subscriber<T>) => void | (() => void),
  ) {
    super(subscribe);
  }

  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const lifted = new ContainedObservable<R>(this.report);
    // RxJS's own lift does exactly this; `source` and `operator` are its documented extension points.
    lifted.source = this;
    lifted.operator = operator;
    return lifted;
  }

  override subscribe(observerOrNext?: ObserverArg<T>, error?: ((error: unknown) => void) | null, complete?: (() => void) | null): Subscription {
    // An operator's own subscriber (inside a pipe) is linked to the chain's unsubscription: pass it
    // on; only the observer at the end of the chain is user code.
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    const observer: Partial<Observer<T>> =
      typeof observerOrNext === 'function' || observerOrNext === null || observerOrNext === undefined
        ? { next: observerOrNext ?? undefined, error: error ?? undefined, complete: complete ?? undefined }
        : observerOrNext;
    const { report } = this;
    return super.subscribe({
      next(value) {
        try {
          observer.next?.(value);
        } catch (thrown) {
          report(thrown);
        }
      },
      error(failure: unknown) {
        try {
          if (observer.error) observer.error(failure);
          else report(failure);
        } catch (thrown) {
          report(thrown);
        }
      },
      complete() {
        try {
          observer.complete?.();
        } catch (thrown) {
          report(thrown);
        }
      },
    });
  }
}

/** A Subject exposed as a ContainedObservable. */
export function containedStream<T>(subject: Subject<T>, report: (error: unknown) => void): ContainedObservable<T> {
  return new ContainedObservable<T>(report, (subscriber) => {
    const subscription = subject.subscribe(subscriber);
    return () => subscription.unsubscribe();
  });
}
