import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the server does, changeable while it runs. */
export interface FileServerControls {
  /** Answer Range requests with 206 (default true); false answers 200 with the whole file. */
  ranges: boolean;
  /** Cut the connection of the next response for this path after this many bytes of body (once). */
  cutAfter: Map<string, number>;
  /** Send these paths with their bytes changed (same length). */
  corrupt: Set<string>;
  /** Send the first this many bytes of this path, then hold the connection open until released. */
  stallAfter: Map<string, number>;
}

/** One request the server received. */
export interface FileRequest {
  path: string;
  range?: string;
  status: number;
}

/** A local HTTP server of files, for download tests: Range support, cut connections, wrong bytes. */
export interface FileServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly controls: FileServerControls;
  readonly requests: FileRequest[];
  /** Resolves when a stalled response has sent its first bytes. */
  stalled(path: string): Promise<void>;
  close(): Promise<void>;
}

/** Serves `files` (URL path → bytes) on 127.0.0.1 at a free port. */
export async function startFileServer(files: Map<string, Buffer>): Promise<FileServer> {
  const controls: FileServerControls = {
    ranges: true,
    cutAfter: new Map(),
    corrupt: new Set(),
    stallAfter: new Map(),
  };
  const requests: FileRequest[] = [];
  const sockets = new Set<Socket>();
  const stallWaiters = new Map<string, () => void>();
  const stallPromises = new Map<string, Promise<void>>();
  const stalled = (path: string): Promise<void> => {
    let p = stallPromises.get(path);
    if (!p) {
      p = new Promise<void>((resolve) => stallWaiters.set(path, resolve));
      stallPromises.set(path, p);
    }
    return p;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let body = files.get(path);
    const range = req.headers.range;
    if (!body) {
      requests.push({ path, range, status: 404 });
      res.writeHead(404).end('not found');
      return;
    }
    if (controls.corrupt.has(path)) {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    let start = 0;
    let status = 200;
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m && controls.ranges) {
      start = Number(m[1]);
      if (start >= body.length) {
        requests.push({ path, range, status: 416 });
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
    }
    requests.push({ path, range, status });
    const slice = body.subarray(start);
    res.writeHead(status, {
      'Content-Length': slice.length,
      'Accept-Ranges': controls.ranges ? 'bytes' : 'none',
      ...(status === 206
        ? { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` }
        : {}),
    });
    const cut = controls.cutAfter.get(path);
    const stall = controls.stallAfter.get(path);
    if (cut !== undefined) {
      controls.cutAfter.delete(path);
      res.write(slice.subarray(0, cut), () => res.socket?.destroy());
    } else if (stall !== undefined) {
      controls.stallAfter.delete(path);
      res.write(slice.subarray(0, stall), () => {
        stalled(path);
        stallWaiters.get(path)?.();
      });
    } else {
      res.end(slice);
    }
  };

  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    controls,
    requests,
    stalled,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
