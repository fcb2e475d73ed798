import { envNameOf } from '../settings';
import type { CommandIo } from './io';

/** The variable the reference southbound module still reads its token from (src/southbound/agent/cli.ts). */
const MODULE_TOKEN_VARIABLE = 'SOUTHBOUND_TOKEN';

/**
 * `contivctl southbound` takes its bearer token from CONTIVCTL_SOUTHBOUND_TOKEN, the agent's
 * variable for the same secret, so that one name serves both ends. The southbound module reads
 * another name; this hands the token over to it. Returns false (after saying why) when the old
 * name is set, so that a token is never picked from a variable the documentation does not name.
 */
export function handOverSouthboundToken(io: CommandIo, env: NodeJS.ProcessEnv = process.env): boolean {
  const variable = envNameOf('southbound.token');
  if (env[MODULE_TOKEN_VARIABLE] !== undefined && env[MODULE_TOKEN_VARIABLE] !== env[variable]) {
    io.err(`southbound: ${MODULE_TOKEN_VARIABLE} is not read: set ${variable} (the agent's variable for the same token) or use --token-file\n`);
    return false;
  }
  if (env[variable] !== undefined) env[MODULE_TOKEN_VARIABLE] = env[variable];
  return true;
}
