import type { StreamMessage } from '../../src/agent/dashboard/protocol';
import { authHeaders, responseFailure, UnauthorizedError } from './auth';

export type StreamStatus =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'retrying'; inMs: number; error: string }
  | { kind: 'unauthorized' };

export interface StreamCallbacks {
  message(message: StreamMessage): void;
  status(status: StreamStatus): void;
}

const STREAM_PATH = 'api/stream';
/** The server sends a heartbeat every 15 s: three missed ones mean the connection is dead. */
const SILENCE_LIMIT_MS = 45_000;
const MIN_RETRY_MS = 1000;
const MAX_RETRY_MS = 15_000;

/** Splits Server-Sent Events text into the JSON of its `data:` lines; comments are heartbeats. */
export function parseFrames(buffer: string): { messages: StreamMessage[]; rest: string } {
  const messages: StreamMessage[] = [];
  const frames = buffer.split('\n\n');
  const rest = frames.pop() ?? '';
  for (const frame of frames) {
    const data = frame
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (data !== '') messages.push(JSON.parse(data) as StreamMessage);
  }
  return { messages, rest };
}

/**
 * Reads the dashboard stream with fetch(), not EventSource: EventSource cannot send an
 * Authorization header, and the token must never go in the URL. Reconnects with a growing delay;
 * stops for good on 401 (the page asks for the token). Returns the stop.
 */
export function openStream(callbacks: StreamCallbacks): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let delay = MIN_RETRY_MS;

  const readOnce = async (): Promise<void> => {
    controller = new AbortController();
    const abort = controller;
    let silence: ReturnType<typeof setTimeout> | undefined;
    const resetSilence = () => {
      clearTimeout(silence);
      silence = setTimeout(() => abort.abort(new Error('no data from the agent for 45 s')), SILENCE_LIMIT_MS);
    };
    try {
      callbacks.status({ kind: 'connecting' });
      const response = await fetch(STREAM_PATH, { headers: { ...authHeaders(), accept: 'text/event-stream' }, signal: abort.signal, cache: 'no-store' });
      if (!response.ok || !response.body) throw await responseFailure(response);
      callbacks.status({ kind: 'live' });
      delay = MIN_RETRY_MS;
      resetSilence();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the agent closed the stream');
        resetSilence();
        const parsed = parseFrames(buffer + value);
        buffer = parsed.rest;
        for (const message of parsed.messages) callbacks.message(message);
      }
    } finally {
      clearTimeout(silence);
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        await readOnce();
      } catch (error) {
        if (stopped) return;
        if (error instanceof UnauthorizedError) {
          callbacks.status({ kind: 'unauthorized' });
          return;
        }
        callbacks.status({ kind: 'retrying', inMs: delay, error: error instanceof Error ? error.message : String(error) });
        await new Promise<void>((resolve) => (retryTimer = setTimeout(resolve, delay)));
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  };
  void loop();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    controller?.abort();
  };
}
