import { InMemorySouthbound, SouthboundUnavailableError } from '../../src';
import { value } from '../support/messages';

describe('in-memory southbound', () => {
  const commit = (southbound: InMemorySouthbound, key: string) =>
    southbound.commit({ description: key, values: new Map([[key, value({ name: key })]]), revertOnFailure: false });

  test('keeps at most maxRecordedTransactions recorded commits, the latest', async () => {
    const southbound = new InMemorySouthbound({ maxRecordedTransactions: 3 });
    for (let i = 0; i < 10; i++) await commit(southbound, `k${i}`);
    expect(southbound.transactions.map((t) => t.description)).toEqual(['k7', 'k8', 'k9']);
  });

  test('setUnavailable makes every commit fail with SouthboundUnavailableError and apply nothing, until cleared', async () => {
    const southbound = new InMemorySouthbound();
    southbound.setUnavailable(true);
    await expect(commit(southbound, 'a')).rejects.toBeInstanceOf(SouthboundUnavailableError);
    await expect(commit(southbound, 'b')).rejects.toBeInstanceOf(SouthboundUnavailableError);
    expect(southbound.applied.size).toBe(0);
    southbound.setUnavailable(false);
    await commit(southbound, 'c');
    expect([...southbound.applied.keys()]).toEqual(['c']);
  });
});
