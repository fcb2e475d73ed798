import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { ControllerError } from '../../api/errors';
import { envNameOf } from '../settings';
import { stringFlag, type FlagValues } from './io';

/** The agent's REST API answered with an error, or could not be reached. */
export class RestClientError extends ControllerError {
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The client's own flags are wrong (a bad --url): a usage error, exit code 2. */
export class RestClientUsageError extends ControllerError {}

type ParseArgsOptions = NonNullable<ParseArgsConfig['options']>;

export function restClientFlagOptions(): ParseArgsOptions {
  return { url: { type: 'string' }, token: { type: 'string' }, 'token-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } };
}

export const REST_CLIENT_HELP = `  --url <url>          the agent's REST API [http://<${envNameOf('rest.host')}>:<${envNameOf('rest.port')}>,
                       else http://127.0.0.1:9191]
  --token <token>      bearer token for POST routes [${envNameOf('rest.token')}]
  --token-file <file>  file holding the bearer token
  -h, --help           show this help`;

export interface RestTarget {
  url: string;
  token?: string;
}

/** The REST API the flags name; the agent's own REST variables give the defaults. */
export function restTarget(values: FlagValues, env: NodeJS.ProcessEnv = process.env): RestTarget {
  const host = env[envNameOf('rest.host')] || '127.0.0.1';
  const port = env[envNameOf('rest.port')] || '9191';
  const url = (stringFlag(values, 'url') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(url)) throw new RestClientUsageError(`--url must be http(s)://host:port, got ${JSON.stringify(url)}`);
  const tokenFile = stringFlag(values, 'token-file');
  const token = tokenFile !== undefined ? readFileSync(tokenFile, 'utf8').trim() : (stringFlag(values, 'token') ?? (env[envNameOf('rest.token')] || undefined));
  return { url, token };
}

/** One request; resolves with the parsed JSON body of a 2xx answer, else throws RestClientError with the API's message. */
export async function requestJson(target: RestTarget, method: 'GET' | 'POST', path: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, {
      method,
      headers: target.token !== undefined ? { authorization: `Bearer ${target.token}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
  } catch (cause) {
    const reason = (cause as { cause?: { code?: string; message?: string } }).cause;
    throw new RestClientError(`cannot reach the agent at ${target.url}: ${reason?.code ?? reason?.message ?? (cause as Error).message}`, undefined, { cause });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  if (!response.ok) {
    const message = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : text;
    throw new RestClientError(`${method} ${path}: HTTP ${response.status}: ${message}`, response.status);
  }
  return body;
}
