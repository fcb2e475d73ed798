/**
 * JSON for REST replies. `JSON.stringify` throws on a bigint, and the southbound's transaction
 * sequence numbers are 64-bit (`txn.seqNum`): they are sent as decimal strings so that no client
 * loses precision parsing them as doubles.
 */
export function stringifyJson(payload: unknown): string {
  return JSON.stringify(payload, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}
