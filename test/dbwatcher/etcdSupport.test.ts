import { findEtcdBinary } from '../support/etcd';

describe('the etcd test support', () => {
  test('a missing etcd binary fails with a message naming the install script (never a skip)', () => {
    const saved = process.env.ETCD_BIN;
    process.env.ETCD_BIN = '/nonexistent/etcd';
    try {
      expect(() => findEtcdBinary()).toThrow(/scripts\/install-test-deps\.sh/);
    } finally {
      if (saved === undefined) delete process.env.ETCD_BIN;
      else process.env.ETCD_BIN = saved;
    }
  });

  test('the etcd on this machine is found', () => {
    expect(findEtcdBinary()).toBeTruthy();
  });
});
