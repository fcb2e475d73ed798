import { createServer, type Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { InspectorError } from './inspectorError';

/** How many inspection messages a browser that connects late still gets. */
const REPLAYED_MESSAGES = 200;

/** The hosted Stately inspector the browser page embeds (the viewer's browser needs internet). */
const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

/**
 * The page that embeds the Stately inspector and feeds it what the relay forwards: the same
 * bridge as @statelyai/inspect's server.
 */
function bridgePage(port: number): string {
  return `<!DOCTYPE html>
<html>
<head>
  <title>Stately Inspector: contivctl</title>
  <style>* { margin: 0; padding: 0; } html, body { height: 100%; } iframe { width: 100%; height: 100%; border: none; }</style>
</head>
<body>
  <iframe id="inspector" src="${STATELY_INSPECTOR_URL}"></iframe>
  <script>
    const iframe = document.getElementById('inspector');
    const buffer = [];
    let connected = false;
    window.addEventListener('message', (e) => {
      if (e.data && e.data.type === '@statelyai.connected') {
        connected = true;
        buffer.forEach((event) => iframe.contentWindow.postMessage(event, '*'));
        buffer.length = 0;
      }
    });
    const ws = new WebSocket('ws://' + location.hostname + ':${port}');
    ws.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (connected) iframe.contentWindow.postMessage(data, '*');
      else buffer.push(data);
    };
  </script>
</body>
</html>`;
}

export interface InspectorRelay {
  /** The address it listens on: loopback unless told otherwise. */
  readonly address: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * The local relay between the agent's inspector client and the browser page: an HTTP page and a
 * WebSocket that forwards every message to the other clients. Ours rather than
 * @statelyai/inspect's `createInspectorServer`, which listens on every interface and reports a
 * taken port as an uncaught error: this one binds to loopback (reach it with `ssh -L`) and
 * rejects clearly.
 */
export async function startInspectorRelay(port: number, host = '127.0.0.1'): Promise<InspectorRelay> {
  const replay: string[] = [];
  const http: Server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(bridgePage(port));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (cause: Error) => reject(new InspectorError(`inspector relay port ${port} is not free: ${cause.message}`, { cause })));
    http.listen(port, host, () => resolve());
  });
  // Attached once listening: a WebSocketServer re-emits its HTTP server's errors.
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket) => {
    for (const message of replay) socket.send(message);
    socket.on('message', (data) => {
      const message = data.toString();
      replay.push(message);
      if (replay.length > REPLAYED_MESSAGES) replay.shift();
      for (const client of wss.clients) if (client !== socket && client.readyState === WebSocket.OPEN) client.send(message);
    });
  });
  const bound = http.address();
  return {
    address: typeof bound === 'object' && bound ? bound.address : host,
    port: typeof bound === 'object' && bound ? bound.port : port,
    async stop() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
