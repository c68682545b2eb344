// Runs `git http-backend` as a CGI program for one HTTP request: CGI environment in, request body piped to
// its stdin, its CGI headers (Status:, Content-Type, ...) parsed out and the rest streamed back.
import type http from 'node:http';
import { spawnTracked } from './processes.js';

/** Splits CGI output into its header block and the body that follows. */
function splitCgiHeaders(buffer: Buffer): { head: string; rest: Buffer } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return undefined;
  const useCrlf = crlf !== -1 && (lf === -1 || crlf < lf);
  const end = useCrlf ? crlf : lf;
  return { head: buffer.subarray(0, end).toString('latin1'), rest: buffer.subarray(end + (useCrlf ? 4 : 2)) };
}

/** Serves `req` from the bare repos under `projectRoot`; `remoteUser` enables pushes. */
export function serveWithBackend(
  projectRoot: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  remoteUser: string,
): void {
  const header = (name: string): string => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(', ') : (value ?? '');
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: header('content-type'),
    // A remote user makes http-backend accept pushes (receive-pack).
    REMOTE_USER: remoteUser,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
  };
  // Unset rather than empty: http-backend reads a chunked body to EOF when CONTENT_LENGTH is absent.
  const optional = {
    CONTENT_LENGTH: 'content-length',
    HTTP_CONTENT_ENCODING: 'content-encoding',
    GIT_PROTOCOL: 'git-protocol',
  };
  for (const [name, headerName] of Object.entries(optional)) {
    if (header(headerName)) env[name] = header(headerName);
  }
  const child = spawnTracked('git', ['http-backend'], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let pending: Buffer = Buffer.alloc(0);
  let headersSent = false;
  const stderr: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin?.on('error', () => undefined); // backend may exit before reading the whole body
  req.pipe(child.stdin!);
  child.stdout?.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    const split = splitCgiHeaders(pending);
    if (!split) return;
    let status = 200;
    for (const line of split.head.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon === -1) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    headersSent = true;
    if (split.rest.length > 0) res.write(split.rest);
  });
  child.once('close', (code) => {
    if (!headersSent) {
      res.statusCode = 500;
      res.end(`git http-backend exited ${code}: ${Buffer.concat(stderr).toString('utf8')}`);
      return;
    }
    res.end();
  });
  res.once('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
}
