import { decodeValue, encodeBinary, encodeJson } from '../../src/dbwatcher/codec';
import { EmptyValueError, JsonShapeError, UnknownFieldError, ValueDecodeError } from '../../src/dbwatcher/errors';
import { messageFromJson } from '../../src/dbwatcher/jsonCodec';
import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { DECODED, KSR_VALUES } from './fixtures';

const registry = ResourceRegistry.withBuiltins();
const typeOf = (keyword: string) => registry.get(keyword).type;

function reasonOf(keyword: string, value: string): Error {
  try {
    decodeValue('/vnf-agent/contiv-ksr/k8s/x', typeOf(keyword), Buffer.from(value, 'latin1'));
  } catch (error) {
    expect(error).toBeInstanceOf(ValueDecodeError);
    return (error as ValueDecodeError).cause as Error;
  }
  throw new Error(`${value} was accepted`);
}

describe('the reflector\'s data format (jsonpb with original names)', () => {
  test.each(Object.keys(KSR_VALUES))('a %s value as the reflector wrote it decodes to the expected message', (keyword) => {
    const message = decodeValue('k', typeOf(keyword), Buffer.from(KSR_VALUES[keyword]));
    expect(message.toJSON()).toEqual(DECODED[keyword]);
  });

  test.each(Object.keys(KSR_VALUES))('a %s message is encoded byte for byte as the reflector writes it', (keyword) => {
    const message = decodeValue('k', typeOf(keyword), Buffer.from(KSR_VALUES[keyword]));
    expect(encodeJson(typeOf(keyword), message).toString('utf8')).toBe(KSR_VALUES[keyword]);
    // Given with lowerCamel names (as toJSON shows them), the same bytes come out.
    expect(encodeJson(typeOf(keyword), messageFromJson(typeOf(keyword), DECODED[keyword])).toString('utf8')).toBe(KSR_VALUES[keyword]);
  });

  test('lowerCamel names, enums by number and quoted integers read the same as the original form', () => {
    const lowerCamel =
      '{"name":"node-1","podCIDR":"10.1.1.0/24","providerID":"kind://docker/node-1","addresses":[{"type":3,"address":"192.168.16.1"},{"type":"NodeHostName","address":"node-1"}],' +
      '"nodeInfo":{"machineID":"m-1","systemUUID":"u-1","kernelVersion":"6.1.0","KubeProxyVersion":"v1.28.0","OperatingSystem":"linux","Architecture":"amd64"}}';
    expect(decodeValue('k', typeOf('node'), Buffer.from(lowerCamel)).toJSON()).toEqual(DECODED.node);
    const pod = decodeValue('k', typeOf('pod'), Buffer.from('{"name":"p","namespace":"n","container":[{"port":[{"containerPort":"8080","protocol":1}]}],"label":null}'));
    expect(pod.toJSON()).toEqual({ name: 'p', namespace: 'n', container: [{ port: [{ containerPort: 8080, protocol: 'UDP' }] }] });
  });

  test('defaults are left out when writing: enum value 0, empty strings, zero, empty lists and maps', () => {
    const pod = messageFromJson(typeOf('pod'), {
      name: 'p', namespace: '', ip_address: '', label: [], annotations: {},
      container: [{ name: 'c', port: [{ container_port: 0, protocol: 'TCP', host_port: 8080 }] }],
    });
    expect(encodeJson(typeOf('pod'), pod).toString()).toBe('{"name":"p","container":[{"name":"c","port":[{"host_port":8080}]}]}');
  });

  test('binary values decode too', () => {
    const message = decodeValue('k', typeOf('service'), Buffer.from(KSR_VALUES.service));
    expect(decodeValue('k', typeOf('service'), encodeBinary(typeOf('service'), message)).toJSON()).toEqual(DECODED.service);
  });
});

describe('strict decoding: bad values are rejected with a clear reason', () => {
  test('a wrong JSON type', () => {
    const reason = reasonOf('pod', '{"name":5}');
    expect(reason).toBeInstanceOf(JsonShapeError);
    expect(reason.message).toBe('name: expected a string, got number 5');
    expect(reasonOf('pod', '{"container":"not-a-list"}').message).toBe('container: expected an array, got string "not-a-list"');
    expect(reasonOf('pod', '{"container":[{"port":[{"container_port":80.5}]}]}').message).toBe('container[0].port[0].container_port: expected a 32-bit integer, got number 80.5');
    expect(reasonOf('pod', '{"labels":{"app":1}}').message).toBe('labels["app"]: expected a string, got number 1');
    expect(() => messageFromJson(typeOf('pod'), [1, 2])).toThrow(new JsonShapeError('', 'expected an object (Pod), got an array'));
    // Not JSON (no "{"): read as protobuf binary, which this is not either.
    expect(reasonOf('pod', '[1,2]').message).toMatch(/index out of range/);
  });

  test('an unknown field, at any depth', () => {
    const reason = reasonOf('pod', '{"name":"p","colour":"blue"}');
    expect(reason).toBeInstanceOf(UnknownFieldError);
    expect(reason.message).toBe('colour: unknown field "colour" (not a field of pod.Pod)');
    expect(reasonOf('pod', '{"container":[{"name":"c","image":"nginx"}]}').message).toBe(
      'container[0].image: unknown field "container[0].image" (not a field of pod.Pod.Container)',
    );
  });

  test('an unknown enum name, and a field given under two names', () => {
    expect(reasonOf('policy', '{"policy_type":"BOTH"}').message).toBe('policy_type: unknown PolicyType value "BOTH" (known: DEFAULT, INGRESS, EGRESS, INGRESS_AND_EGRESS)');
    expect(reasonOf('pod', '{"ip_address":"a","ipAddress":"b"}').message).toBe('ipAddress: field "ipAddress" is given twice (under two names)');
  });

  test('an empty value, and broken JSON', () => {
    expect(reasonOf('pod', '')).toBeInstanceOf(EmptyValueError);
    expect(reasonOf('pod', '  \n')).toBeInstanceOf(EmptyValueError);
    expect(reasonOf('pod', '{"name":')).toBeInstanceOf(SyntaxError);
    const error = (() => {
      try {
        decodeValue('/the/key', typeOf('pod'), Buffer.from(''));
      } catch (e) {
        return e as ValueDecodeError;
      }
    })();
    expect(error?.message).toBe('cannot decode the value of "/the/key" as pod.Pod: empty value');
    expect(error?.key).toBe('/the/key');
  });
});
