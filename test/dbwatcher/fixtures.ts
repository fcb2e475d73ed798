/** One object of every built-in resource, in the reflector's protobuf JSON. */
export const SAMPLE_OBJECTS: Record<string, Record<string, unknown>> = {
  pod: {
    name: 'web-1',
    namespace: 'default',
    label: [{ key: 'app', value: 'web' }],
    ipAddress: '10.1.1.2',
    hostIpAddress: '192.168.16.1',
    container: [{ name: 'nginx', port: [{ name: 'http', containerPort: 80, protocol: 'TCP' }] }],
    annotations: { 'contivpp.io/custom-if': 'memif1/memif' },
  },
  namespace: { name: 'default', label: [{ key: 'env', value: 'test' }] },
  node: {
    name: 'node-1',
    podCidr: '10.1.1.0/24',
    addresses: [{ type: 'NodeInternalIP', address: '192.168.16.1' }],
    nodeInfo: { kernelVersion: '6.1.0', architecture: 'amd64' },
  },
  service: {
    name: 'web',
    namespace: 'default',
    port: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: { type: 'NUMBER', intVal: 8080 } }],
    selector: { app: 'web' },
    clusterIp: '10.96.0.10',
    serviceType: 'ClusterIP',
  },
  endpoints: {
    name: 'web',
    namespace: 'default',
    endpointSubsets: [{ addresses: [{ ip: '10.1.1.2', nodeName: 'node-1' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
  },
  policy: {
    name: 'deny-all',
    namespace: 'default',
    pods: { matchLabel: [{ key: 'app', value: 'web' }] },
    policyType: 'INGRESS',
    ingressRule: [{ port: [{ protocol: 'TCP', port: { type: 'NUMBER', number: 80 } }], from: [{ ipBlock: { network: '10.0.0.0/8' } }] }],
  },
};

export function podObject(name: string, ip: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, namespace: 'default', ipAddress: ip, ...extra };
}
