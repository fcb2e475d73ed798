import type { CommitRequest, ResyncType, RetryOptions } from '../api/southbound';
import type { KeyValuePairs } from '../api/types';

/** What can say what a commit does: an event's run, or a coalesced batch of runs. */
export interface CommitDescriber {
  commitDescription(): string;
}

/**
 * The description as an own enumerable accessor, the same for every request: a southbound that
 * copies the request (`{ ...request }`) or serialises it gets the text, as with a plain field.
 */
const DESCRIPTION: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: LazyCommitRequest): string {
    return this.describe();
  },
};

/**
 * The request a southbound's commit gets. Its description (the event's name and each handler's
 * change line) is joined the first time someone reads it, then kept: a southbound that never
 * reads it (a Map in the same process, a test double) costs no string per event, and after the
 * first read the request keeps no event alive.
 */
export class LazyCommitRequest implements CommitRequest {
  declare readonly description: string;
  declare resync?: ResyncType;
  declare startup?: boolean;
  declare retry?: RetryOptions;
  #describer: CommitDescriber | undefined;
  #description: string | undefined;

  constructor(
    describer: CommitDescriber,
    readonly values: KeyValuePairs,
    readonly revertOnFailure: boolean,
  ) {
    this.#describer = describer;
    Object.defineProperty(this, 'description', DESCRIPTION);
  }

  /** The description, joined on the first call. */
  describe(): string {
    if (this.#description === undefined) {
      this.#description = (this.#describer as CommitDescriber).commitDescription();
      this.#describer = undefined;
    }
    return this.#description;
  }
}
