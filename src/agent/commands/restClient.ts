import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ControllerError } from '../../api/errors';
import { envNameOf } from '../settings';
import { stringOption, type OptionValues } from './io';

/** The agent's REST API answered with an error, or could not be reached. */
export class RestClientError extends ControllerError {
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The client's own flags are wrong (a bad --url): a usage error, exit code 2. */
export class RestClientUsageError extends ControllerError {}

/** `--url`, `--token`, `--token-file`: which agent, and its bearer token. */
export function addRestClientOptions(command: Command): Command {
  return command
    .option('--url <url>', `the agent's REST API [default http://$${envNameOf('rest.host')}:$${envNameOf('rest.port')}, else http://127.0.0.1:9191]`)
    .option('--token <token>', `bearer token for the POST routes [${envNameOf('rest.token')}]`)
    .option('--token-file <file>', 'file holding the bearer token');
}

export interface RestTarget {
  url: string;
  token?: string;
}

/** The REST API the flags name; the agent's own REST variables give the defaults. */
export function restTarget(values: OptionValues, env: NodeJS.ProcessEnv = process.env): RestTarget {
  const host = env[envNameOf('rest.host')] || '127.0.0.1';
  const port = env[envNameOf('rest.port')] || '9191';
  const url = (stringOption(values, 'url') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(url)) throw new RestClientUsageError(`--url must be http(s)://host:port, got ${JSON.stringify(url)}`);
  const tokenFile = stringOption(values, 'tokenFile');
  const token = tokenFile !== undefined ? readTokenFile(tokenFile) : (stringOption(values, 'token') ?? (env[envNameOf('rest.token')] || undefined));
  return { url, token };
}

function readTokenFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (cause) {
    throw new RestClientUsageError(`--token-file ${path} cannot be read: ${(cause as Error).message}`, { cause });
  }
}

/** The target of a `Link: <...>; rel="next"` header (RFC 8288), if any. */
function nextLink(header: string | null): string | undefined {
  if (header === null) return undefined;
  return /<([^>]+)>\s*;\s*rel="?next"?/.exec(header)?.[1];
}

/** One request; resolves with the parsed JSON body of a 2xx answer, else throws RestClientError with the API's message. */
export async function requestJson(target: RestTarget, method: 'GET' | 'POST', path: string): Promise<unknown> {
  return (await requestPage(target, method, path)).body;
}

/** Like requestJson, with the path of the next page when the API paginates its answer. */
export async function requestPage(target: RestTarget, method: 'GET' | 'POST', path: string): Promise<{ body: unknown; next?: string }> {
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
  const next = nextLink(response.headers.get('link'));
  return next === undefined ? { body } : { body, next };
}
