/**
 * One object of every built-in resource exactly as the original reflector (KSR) wrote it into
 * etcd, built by hand from its encoding rules: jsonpb with the original .proto field names, in
 * field-number order, enums by name, fields with default values left out (an enum's value 0
 * too), map keys sorted, no whitespace. The pod is the example of the reflector's data format.
 */
export const KSR_VALUES: Record<string, string> = {
  pod: '{"name":"web-1","namespace":"default","ip_address":"10.1.1.3","host_ip_address":"192.168.16.1","container":[{"name":"nginx","port":[{"name":"http","container_port":80}]}],"labels":{"app":"web"}}',
  namespace: '{"name":"default","label":[{"key":"env","value":"test"}]}',
  node:
    '{"name":"node-1","pod_CIDR":"10.1.1.0/24","provider_ID":"kind://docker/node-1","addresses":[{"type":"NodeInternalIP","address":"192.168.16.1"},{"type":"NodeHostName","address":"node-1"}],' +
    '"node_info":{"machine_ID":"m-1","system_UUID":"u-1","kernel_version":"6.1.0","KubeProxyVersion":"v1.28.0","OperatingSystem":"linux","Architecture":"amd64"}}',
  service:
    '{"name":"web","namespace":"default","port":[{"name":"http","protocol":"TCP","port":80,"target_port":{"int_val":8080}},{"name":"dns","protocol":"UDP","port":53,"target_port":{"type":"STRING","string_val":"dns"},"node_port":30053}],' +
    '"selector":{"app":"web","tier":"front"},"cluster_ip":"10.96.0.10","service_type":"NodePort","external_ips":["192.168.16.9"],"lb_ingress_ips":["192.168.16.10"],"session_affinity":"ClientIP",' +
    '"loadbalancer_ip":"192.168.16.10","loadbalancer_source_ranges":["192.168.0.0/16"],"external_traffic_policy":"Local","health_check_node_port":31000,"session_affinity_timeout":10800,"annotations":{"team":"shop"}}',
  endpoints:
    '{"name":"web","namespace":"default","endpoint_subsets":[{"addresses":[{"ip":"10.1.1.3","node_name":"node-1","target_ref":{"kind":"Pod","namespace":"default","name":"web-1","uid":"1234"}}],' +
    '"not_ready_addresses":[{"ip":"10.1.1.4","host_name":"web-2"}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]}',
  policy:
    '{"name":"deny-all","namespace":"default","pods":{"match_label":[{"key":"app","value":"web"}],"match_expression":[{"key":"tier","operator":"NOT_IN","value":["db"]}]},"policy_type":"INGRESS",' +
    '"ingress_rule":[{"port":[{"port":{"number":80}},{"port":{"type":"NAME","name":"dns"},"protocol":"UDP"}],"from":[{"ip_block":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}]}]}',
};

/**
 * The same objects as the handlers get them: protobufjs messages, shown by `toJSON()` (field
 * names as protobufjs makes them from the .proto names, enums by name, unset fields absent).
 */
export const DECODED: Record<string, Record<string, unknown>> = {
  pod: {
    name: 'web-1',
    namespace: 'default',
    ipAddress: '10.1.1.3',
    hostIpAddress: '192.168.16.1',
    container: [{ name: 'nginx', port: [{ name: 'http', containerPort: 80 }] }],
    labels: { app: 'web' },
  },
  namespace: { name: 'default', label: [{ key: 'env', value: 'test' }] },
  node: {
    name: 'node-1',
    pod_CIDR: '10.1.1.0/24',
    provider_ID: 'kind://docker/node-1',
    addresses: [
      { type: 'NodeInternalIP', address: '192.168.16.1' },
      { type: 'NodeHostName', address: 'node-1' },
    ],
    nodeInfo: { machine_ID: 'm-1', system_UUID: 'u-1', kernelVersion: '6.1.0', KubeProxyVersion: 'v1.28.0', OperatingSystem: 'linux', Architecture: 'amd64' },
  },
  service: {
    name: 'web',
    namespace: 'default',
    port: [
      { name: 'http', protocol: 'TCP', port: 80, targetPort: { intVal: 8080 } },
      { name: 'dns', protocol: 'UDP', port: 53, targetPort: { type: 'STRING', stringVal: 'dns' }, nodePort: 30053 },
    ],
    selector: { app: 'web', tier: 'front' },
    clusterIp: '10.96.0.10',
    serviceType: 'NodePort',
    externalIps: ['192.168.16.9'],
    lbIngressIps: ['192.168.16.10'],
    sessionAffinity: 'ClientIP',
    loadbalancerIp: '192.168.16.10',
    loadbalancerSourceRanges: ['192.168.0.0/16'],
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 31000,
    sessionAffinityTimeout: 10800,
    annotations: { team: 'shop' },
  },
  endpoints: {
    name: 'web',
    namespace: 'default',
    endpointSubsets: [
      {
        addresses: [{ ip: '10.1.1.3', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: '1234' } }],
        notReadyAddresses: [{ ip: '10.1.1.4', hostName: 'web-2' }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ],
  },
  policy: {
    name: 'deny-all',
    namespace: 'default',
    pods: { matchLabel: [{ key: 'app', value: 'web' }], matchExpression: [{ key: 'tier', operator: 'NOT_IN', value: ['db'] }] },
    policyType: 'INGRESS',
    ingressRule: [
      {
        port: [{ port: { number: 80 } }, { port: { type: 'NAME', name: 'dns' }, protocol: 'UDP' }],
        from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
      },
    ],
  },
};

/** A pod value for the writer (lowerCamel names are accepted as well as the original ones). */
export function podObject(name: string, ip: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, namespace: 'default', ipAddress: ip, ...extra };
}

/** What a pod written with `podObject` decodes to (`toJSON()`). */
export function decodedPod(name: string, ip: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, namespace: 'default', ipAddress: ip, ...extra };
}
