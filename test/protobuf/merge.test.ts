import { cloneMessage, mergedCopy, mergeInto } from '../../src/protobuf/merge';
import { InvalidValueError } from '../../src/api/errors';
import { json, pod, value } from '../support/messages';

describe('protobuf merge semantics', () => {
  test('populated scalars overwrite; zero values of proto3 scalars do not', () => {
    const merged = mergedCopy(value({ name: 'base', n: 5, flag: true }), value({ name: 'ext', n: 0 }));
    expect(json(merged)).toEqual({ name: 'ext', n: 5, flag: true });
  });

  test('repeated fields append, map entries overwrite per key, nested messages merge', () => {
    const base = value({ tags: ['a'], labels: { x: '1', y: '2' }, nested: { a: 'keep', b: 1 } });
    const merged = mergedCopy(base, value({ tags: ['b', 'c'], labels: { y: 'two', z: '3' }, nested: { b: 2 } }));
    expect(json(merged)).toEqual({ tags: ['a', 'b', 'c'], labels: { x: '1', y: 'two', z: '3' }, nested: { a: 'keep', b: 2 } });
  });

  test('setting a oneof member clears its sibling', () => {
    const merged = mergedCopy(value({ left: 'l' }), value({ right: 7 }));
    expect(json(merged)).toEqual({ right: 7 });
  });

  test('merging works on a copy: neither input changes', () => {
    const base = value({ tags: ['a'], nested: { a: 'x' } });
    const ext = value({ tags: ['b'], nested: { b: 3 } });
    mergedCopy(base, ext);
    expect(json(base)).toEqual({ tags: ['a'], nested: { a: 'x' } });
    expect(json(ext)).toEqual({ tags: ['b'], nested: { b: 3 } });
  });

  test('clone is deep and keeps the message class', () => {
    const original = value({ nested: { a: 'x' }, tags: ['t'] });
    const copy = cloneMessage(original);
    expect(copy).toBeInstanceOf(original.constructor);
    (copy as unknown as { nested: { a: string } }).nested.a = 'changed';
    expect(json(original)).toEqual({ nested: { a: 'x' }, tags: ['t'] });
  });

  test('different message types and non-messages are rejected with a clear error', () => {
    expect(() => mergeInto(value({}), pod('p'))).toThrow(new InvalidValueError('cannot merge test.Pod into test.Value'));
    expect(() => mergeInto(value({}), { name: 'plain' } as never)).toThrow(/not a protobufjs message/);
  });
});
