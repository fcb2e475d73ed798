/**
 * The REST bearer token, asked once per tab: kept in sessionStorage (gone with the tab), sent
 * only in the Authorization header — never in a URL, where it would end up in logs and history.
 */
const STORAGE_KEY = 'contiv-dashboard-token';

/** The server refused the request: no token, or the wrong one. */
export class UnauthorizedError extends Error {}

/** Any other failed request, with the server's error text. */
export class RequestFailedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeToken(token: string | undefined): void {
  try {
    if (token === undefined) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage refused (private mode): the token lasts until the page reloads.
  }
  memoryToken = token;
}

let memoryToken: string | undefined = storedToken();

export function authHeaders(): Record<string, string> {
  return memoryToken === undefined ? {} : { authorization: `Bearer ${memoryToken}` };
}

export function hasToken(): boolean {
  return memoryToken !== undefined;
}

async function failure(response: Response): Promise<Error> {
  if (response.status === 401) return new UnauthorizedError('the agent refused the token');
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: string };
    if (body.error) message = body.error;
  } catch {
    // Not JSON: keep the status line.
  }
  return new RequestFailedError(response.status, message);
}

/** A JSON request to the agent with the token. */
export async function requestJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) }, cache: 'no-store' });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

export { failure as responseFailure };
