import { Root, Type } from 'protobufjs';
import { decodeValue, encodeBinary, encodeJson } from '../../src/dbwatcher/codec';
import { ResourceRegistrationError, UnknownResourceError, ValueDecodeError } from '../../src/dbwatcher/errors';
import { ResourceRegistry } from '../../src/dbwatcher/registry';

describe('ResourceRegistry', () => {
  const registry = ResourceRegistry.withBuiltins();

  test('holds the built-in resources of the reflector with their key prefixes', () => {
    expect(registry.list().map((r) => [r.keyword, r.keyPrefix, r.type.fullName, r.namespaced])).toEqual([
      ['pod', 'k8s/pod/', '.contivctl.k8s.v1.Pod', true],
      ['namespace', 'k8s/namespace/', '.contivctl.k8s.v1.Namespace', false],
      ['node', 'k8s/node/', '.contivctl.k8s.v1.Node', false],
      ['service', 'k8s/service/', '.contivctl.k8s.v1.Service', true],
      ['endpoints', 'k8s/endpoints/', '.contivctl.k8s.v1.Endpoints', true],
      ['policy', 'k8s/policy/', '.contivctl.k8s.v1.Policy', true],
    ]);
  });

  test('builds the reflector keys and finds the resource of a key', () => {
    expect(registry.keyOf('pod', 'web', 'default')).toBe('k8s/pod/web/namespace/default');
    expect(registry.keyOf('node', 'n1')).toBe('k8s/node/n1');
    expect(registry.resourceForKey('k8s/endpoints/svc/namespace/ns')?.keyword).toBe('endpoints');
    expect(registry.resourceForKey('k8s/unknown/x')).toBeUndefined();
    expect(() => registry.keyOf('pod', 'web')).toThrow(RangeError);
    expect(() => registry.get('deployment')).toThrow(UnknownResourceError);
  });

  test('the Pod model carries the original fields', () => {
    const pod = registry.get('pod').type;
    expect(Object.keys(pod.fields).sort()).toEqual(
      ['annotations', 'container', 'hostIpAddress', 'ipAddress', 'label', 'name', 'namespace'].sort(),
    );
    expect(pod.fields.ipAddress.id).toBe(4);
    expect(pod.lookupType('Container.Port').fields.containerPort.id).toBe(3);
  });

  test('accepts custom resources and rejects overlapping ones', () => {
    const custom = ResourceRegistry.withBuiltins();
    const type = Root.fromJSON({
      nested: { demo: { nested: { Vnf: { fields: { name: { type: 'string', id: 1 }, namespace: { type: 'string', id: 2 } } } } } },
    }).lookupType('demo.Vnf');
    custom.register({ keyword: 'vnf', keyPrefix: 'custom/vnf/', type, namespaced: true });
    expect(custom.resourceForKey('custom/vnf/a/namespace/b')?.keyword).toBe('vnf');
    expect(() => custom.register({ keyword: 'vnf2', keyPrefix: 'custom/', type, namespaced: true })).toThrow(ResourceRegistrationError);
    expect(() => custom.register({ keyword: 'pod', keyPrefix: 'other/', type, namespaced: true })).toThrow(ResourceRegistrationError);
  });
});

describe('value codec', () => {
  const pod: Type = ResourceRegistry.withBuiltins().get('pod').type;

  test('decodes protobuf JSON with camelCase or snake_case names, and binary', () => {
    const camel = decodeValue('k', pod, Buffer.from('{"name":"web","ipAddress":"10.0.0.2","container":[{"name":"c","port":[{"containerPort":80,"protocol":"UDP"}]}],"annotations":{"some_key":"v"}}'));
    const snake = decodeValue('k', pod, Buffer.from('{"name":"web","ip_address":"10.0.0.2","container":[{"name":"c","port":[{"container_port":80,"protocol":"UDP"}]}],"annotations":{"some_key":"v"}}'));
    expect(camel.toJSON()).toEqual(snake.toJSON());
    expect(camel.toJSON()).toMatchObject({ ipAddress: '10.0.0.2', annotations: { some_key: 'v' } });
    const binary = decodeValue('k', pod, encodeBinary(pod, camel));
    expect(binary.toJSON()).toEqual(camel.toJSON());
    expect(JSON.parse(encodeJson(pod, camel).toString())).toEqual(camel.toJSON());
  });

  test('rejects malformed values with ValueDecodeError naming the key', () => {
    for (const bad of ['{"name":', '[1,2]', '{"container":"not-a-list"}', '\u00ff\u00ff\u00ff\u00ff']) {
      expect(() => decodeValue('/key/x', pod, Buffer.from(bad, 'latin1'))).toThrow(ValueDecodeError);
    }
    try {
      decodeValue('/key/x', pod, Buffer.from('{oops'));
    } catch (err) {
      expect((err as ValueDecodeError).key).toBe('/key/x');
      expect((err as ValueDecodeError).cause).toBeInstanceOf(SyntaxError);
    }
  });
});
