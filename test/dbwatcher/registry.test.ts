import { StoreUnavailableError } from '../../src/dbwatcher/errors';
import { Root } from 'protobufjs';
import { KeyLayoutError, ResourceRegistrationError, UnknownResourceError } from '../../src/dbwatcher/errors';
import { ResourceRegistry } from '../../src/dbwatcher/registry';

describe('ResourceRegistry', () => {
  const registry = ResourceRegistry.withBuiltins();

  test('holds the built-in resources of the reflector with their key prefixes', () => {
    expect(registry.list().map((r) => [r.keyword, r.keyPrefix, r.type.fullName, r.namespaced])).toEqual([
      ['pod', 'k8s/pod/', '.pod.Pod', true],
      ['namespace', 'k8s/namespace/', '.namespace.Namespace', false],
      ['node', 'k8s/node/', '.node.Node', false],
      ['service', 'k8s/service/', '.service.Service', true],
      ['endpoints', 'k8s/endpoints/', '.endpoints.Endpoints', true],
      ['policy', 'k8s/policy/', '.policy.Policy', true],
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

  test('the models carry the original reflector\'s field numbers and types', () => {
    const fields = (keyword: string, message?: string) => {
      const type = message ? registry.get(keyword).type.root.lookupType(message) : registry.get(keyword).type;
      return Object.fromEntries(type.fieldsArray.map((f) => [f.name, `${f.id} ${f.repeated ? 'rep ' : ''}${f.map ? `map<${(f as unknown as { keyType: string }).keyType},` : ''}${f.type}${f.map ? '>' : ''}`]));
    };
    expect(fields('pod')).toEqual({
      name: '1 string', namespace: '2 string', label: '3 rep Label', ipAddress: '4 string', hostIpAddress: '5 string',
      container: '6 rep Container', annotations: '7 map<string,string>', labels: '8 map<string,string>',
    });
    expect(fields('pod', 'pod.Pod.Container.Port')).toEqual({ name: '1 string', hostPort: '2 int32', containerPort: '3 int32', protocol: '4 Protocol', hostIpAddress: '5 string' });
    expect(fields('namespace')).toEqual({ name: '1 string', label: '3 rep Label' });
    expect(fields('service')).toEqual({
      name: '1 string', namespace: '2 string', port: '3 rep ServicePort', selector: '4 map<string,string>', clusterIp: '5 string',
      serviceType: '6 string', externalIps: '7 rep string', lbIngressIps: '8 rep string', sessionAffinity: '9 string',
      loadbalancerIp: '10 string', loadbalancerSourceRanges: '11 rep string', externalTrafficPolicy: '12 string',
      healthCheckNodePort: '13 int32', sessionAffinityTimeout: '14 uint32', annotations: '15 map<string,string>',
    });
    expect(fields('service', 'service.Service.ServicePort.IntOrString')).toEqual({ type: '1 Type', intVal: '2 int32', stringVal: '3 string' });
    expect(fields('endpoints')).toEqual({ name: '1 string', namespace: '2 string', endpointSubsets: '3 rep EndpointSubset' });
    expect(fields('endpoints', 'endpoints.EndpointSubset.EndpointAddress')).toEqual({ ip: '1 string', hostName: '2 string', nodeName: '3 string', targetRef: '4 ObjectReference' });
    expect(Object.keys(fields('endpoints', 'endpoints.ObjectReference'))).toEqual(['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion']);
    expect(fields('node')).toEqual({ name: '1 string', pod_CIDR: '2 string', provider_ID: '3 string', addresses: '4 rep NodeAddress', nodeInfo: '5 NodeSystemInfo' });
    expect(registry.get('node').type.root.lookupEnum('node.NodeAddress.AddressType').values).toEqual({
      NodeUnknownAddr: 0, NodeHostName: 1, NodeExternalIP: 2, NodeInternalIP: 3, NodeExternalDNS: 4, NodeInternalDNS: 5,
    });
    expect(Object.keys(fields('node', 'node.NodeSystemInfo'))).toEqual([
      'machine_ID', 'system_UUID', 'boot_ID', 'kernelVersion', 'osImage', 'containerRuntimeVersion', 'kubeletVersion', 'KubeProxyVersion', 'OperatingSystem', 'Architecture',
    ]);
    expect(fields('policy')).toEqual({
      name: '1 string', namespace: '2 string', label: '3 rep Label', pods: '4 LabelSelector', policyType: '5 PolicyType',
      ingressRule: '6 rep IngressRule', egressRule: '7 rep EgressRule',
    });
    expect(fields('policy', 'policy.Policy.Port')).toEqual({ port: '1 PortNameOrNumber', protocol: '3 Protocol' });
    expect(fields('policy', 'policy.Policy.Peer.IPBlock')).toEqual({ cidr: '1 string', except: '2 rep string' });
  });

  test('checks the key layout: namespaced keys need /namespace/<ns>, cluster keys have none', () => {
    expect(() => registry.checkKey(registry.get('pod'), 'k8s/pod/web/namespace/default')).not.toThrow();
    expect(() => registry.checkKey(registry.get('node'), 'k8s/node/n1')).not.toThrow();
    expect(() => registry.checkKey(registry.get('pod'), 'k8s/pod/web')).toThrow(new KeyLayoutError('k8s/pod/web', 'a pod key must be k8s/pod/<name>/namespace/<namespace>'));
    expect(() => registry.checkKey(registry.get('pod'), 'k8s/pod/web/namespace/')).toThrow(KeyLayoutError);
    expect(() => registry.checkKey(registry.get('node'), 'k8s/node/n1/namespace/x')).toThrow(/k8s\/node\/<name> \(cluster-scoped\)/);
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

describe('store errors', () => {
  test('a gRPC error without a resolution note does not end in an empty "Resolution note:"', () => {
    const cause = new Error('14 UNAVAILABLE: No connection established. Last error: null. Resolution note: ');
    expect(new StoreUnavailableError('etcd(127.0.0.1:2379)', 'put', cause).message).toBe('etcd(127.0.0.1:2379): put failed: 14 UNAVAILABLE: No connection established. Last error: null');
  });
});
