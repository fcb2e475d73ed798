import type { RecordedTransaction } from '../api/southbound';
import type { ProtoMessage } from '../api/types';
import { InMemorySouthbound } from '../southbound/memory';

/**
 * The southbound of the testing kit: the in-memory southbound (applied state, recorded
 * transactions, `injectFailure`, `failNextCommits`, `setUnavailable`, `reset`) with views made
 * for assertions. It applies a transaction as the protocol says (resync removes what is not in
 * it, revert-on-failure undoes a failed transaction) and does not retry.
 */
export class FakeSouthbound extends InMemorySouthbound {
  /** The applied values as plain JSON (`message.toJSON()`), key -> value, keys sorted; only keys under `prefix` when given. */
  appliedJson(prefix = ''): Record<string, unknown> {
    return Object.fromEntries(this.appliedKeys(prefix).map((key) => [key, jsonOf(this.applied.get(key) as ProtoMessage)]));
  }

  /** The applied keys, sorted; only those under `prefix` when given. */
  appliedKeys(prefix = ''): string[] {
    return [...this.applied.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  /** The latest recorded commit, if any. */
  lastTransaction(): RecordedTransaction | undefined {
    return this.transactions.at(-1);
  }

  /** Each recorded commit as lines `<operation> <key> -> <state>` (failures with their error), oldest first. */
  operationLines(): string[][] {
    return this.transactions.map((txn) =>
      txn.executed.map((op) => `${op.isRevert ? 'revert ' : ''}${op.operation} ${op.key} -> ${op.newState}${op.error ? ` (${op.error})` : ''}`),
    );
  }
}

function jsonOf(message: ProtoMessage): unknown {
  return (message as unknown as { toJSON(): unknown }).toJSON();
}
