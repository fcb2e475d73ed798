import { InvalidValueError, TransactionClosedError } from '../../src/api/errors';
import type { ProtoMessage } from '../../src/api/types';
import { EventTransaction } from '../../src/loop/eventTransaction';
import { value } from '../support/messages';

describe('EventTransaction (what handlers put and delete)', () => {
  it('takes protobufjs messages and deletes, in order of first write', () => {
    const txn = new EventTransaction();
    txn.put('b', value({ name: 'b' }));
    txn.delete('a');
    txn.put('b', value({ name: 'b2' }));
    expect([...txn.ownValues.keys()]).toEqual(['b', 'a']);
    expect(txn.get('b')).toMatchObject({ name: 'b2' });
    expect(txn.get('a')).toBeUndefined();
  });

  it('refuses what is not a message, naming the key; a missing value; an empty key; anything after the seal', () => {
    const txn = new EventTransaction();
    expect(() => txn.put('cfg/x', { name: 'plain' } as unknown as ProtoMessage)).toThrow(new InvalidValueError('value of "cfg/x" is not a protobufjs message (create it with Type.create, fromObject or decode)'));
    expect(() => txn.put('cfg/x', null as unknown as ProtoMessage)).toThrow(/put of "cfg\/x" without a value/);
    expect(() => txn.put('', value({}))).toThrow(InvalidValueError);
    txn.seal();
    expect(() => txn.put('cfg/y', value({}))).toThrow(TransactionClosedError);
    expect(() => txn.delete('cfg/y')).toThrow(TransactionClosedError);
    expect(txn.ownValues.size).toBe(0);
  });
});
