// HTTP for database administration: the download route (GET /admin/database/download with a
// single-use ?token= or an Authorization header), and receiving multipart requests, whose body
// limit is MAX_UPLOAD_MB only for a viewer who may replace the database.
import { isLockedOut } from '../accounts/lockout.ts';
import { open, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { GraphQLError } from 'graphql';
import type { Config } from '../config/index.ts';
import { viewerAccess, type RequestScope, type Services } from '../context.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { recordAudit } from '../audit/service.ts';
import { User } from '../accounts/entities.ts';
import { accessLoader } from '../accounts/roles.ts';
import { UnsupportedDatabaseError } from './errors.ts';
import { uploadTempFile } from './files.ts';
import { csrfRefusal } from '../http/csrf.ts';
import { readMultipart, removeFiles } from '../http/multipart.ts';
import { requestHeaders } from '../http/request-checks.ts';
import { DATABASE_AUDIT_ACTIONS, freshScope, takeSnapshot } from './service.ts';

/** Room for the `operations` and `map` fields and the part headers around an uploaded file. */
export const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

export interface DownloadDeps {
  services: Services;
  /** The request scope of these credentials (the server's authenticators); throws on bad ones. */
  authenticate(headers: Headers): Promise<RequestScope>;
  ip: string;
  requestId: string;
}

interface Failure {
  status: number;
  message: string;
  code: string;
}

function sendFailure(res: ServerResponse, failure: Failure): void {
  const text = JSON.stringify({ error: failure.message, code: failure.code });
  res.writeHead(failure.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * Streams a fresh consistent snapshot of the database as an attachment. The checks and the
 * snapshot pass the database gate; sending the finished temporary file does not hold it.
 */
export async function handleDatabaseDownload(req: IncomingMessage, res: ServerResponse, deps: DownloadDeps): Promise<void> {
  if (req.method !== 'GET') {
    res.setHeader('allow', 'GET');
    return sendFailure(res, { status: 405, message: 'Use GET.', code: 'METHOD_NOT_ALLOWED' });
  }
  const prepared = await deps.services.database.gate.run(() => prepareDownload(req, deps));
  if ('status' in prepared) return sendFailure(res, prepared);
  const stamp = deps.services.clock.now().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  // Open, then unlink: the data stays readable through the descriptor, and no file is left behind
  // whatever happens to the download (or to this process).
  const file = await open(prepared.path, 'r');
  await rm(prepared.path, { force: true });
  try {
    res.writeHead(200, {
      'content-type': 'application/vnd.sqlite3',
      'content-length': prepared.sizeBytes,
      'content-disposition': `attachment; filename="gatehouse-${stamp}.db"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    // Large chunks: a few hundred writes for a big database instead of thousands of 64 KiB ones.
    await pipeline(file.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 }), res);
  } catch (error) {
    // The client went away mid-download: there is nobody left to answer.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  } finally {
    await file.close();
  }
}

async function prepareDownload(req: IncomingMessage, deps: DownloadDeps): Promise<Failure | { path: string; sizeBytes: number }> {
  const { services } = deps;
  const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
  const scope = token !== null ? await linkScope(token, req, deps) : await headerScope(req, deps);
  if ('status' in scope) return scope;
  if (!(await viewerAccess(scope)).can(PERMISSIONS.databaseRead)) {
    return { status: 403, message: `Downloading the database needs the permission \`${PERMISSIONS.databaseRead}\`.`, code: 'FORBIDDEN' };
  }
  let snapshot;
  try {
    snapshot = await takeSnapshot(services);
  } catch (error) {
    if (error instanceof UnsupportedDatabaseError) return { status: 501, message: error.message, code: error.code };
    throw error;
  }
  await recordAudit(freshScope(scope), { action: DATABASE_AUDIT_ACTIONS.download, targetType: 'database', details: { sizeBytes: snapshot.sizeBytes, via: token !== null ? 'link' : 'header' } });
  return snapshot;
}

/** The link's creator, who must still exist, be enabled and hold `database:read`. The token is spent either way. */
async function linkScope(token: string, req: IncomingMessage, deps: DownloadDeps): Promise<Failure | RequestScope> {
  const { services } = deps;
  const grant = services.database.downloads.consume(token, services.clock.now());
  const invalid: Failure = { status: 403, message: 'This download link is not valid: it was used already or has expired. Create a new one.', code: 'INVALID_TOKEN' };
  if (!grant?.userId) return invalid;
  const em = services.orm.em.fork();
  const viewer = await em.findOne(User, { id: grant.userId });
  if (!viewer || isLockedOut(viewer, services.clock.now())) return invalid;
  return {
    services,
    em,
    viewer,
    credential: null,
    ip: deps.ip,
    userAgent: req.headers['user-agent'] ?? null,
    requestId: deps.requestId,
    loadAccess: accessLoader(em),
  };
}

/** An Authorization header only: a cookie alone would let another site start a download. */
async function headerScope(req: IncomingMessage, deps: DownloadDeps): Promise<Failure | RequestScope> {
  const authorization = req.headers.authorization;
  const unauthenticated: Failure = {
    status: 401,
    message: 'Use a link from createDatabaseDownloadLink, or send an Authorization header.',
    code: 'UNAUTHENTICATED',
  };
  if (!authorization) return unauthenticated;
  let scope: RequestScope;
  try {
    scope = await deps.authenticate(new Headers({ authorization }));
  } catch (error) {
    if (error instanceof GraphQLError) return { ...unauthenticated, message: error.message };
    throw error;
  }
  return scope.viewer ? scope : unauthenticated;
}

/**
 * The body limit of a multipart request, checked before a byte is read: bodies over the ordinary
 * MAX_BODY_BYTES are uploads, allowed (up to MAX_UPLOAD_MB) to viewers holding `database:write`
 * and refused with TOO_LARGE for everyone else. `mayUpload` authenticates the request's headers.
 */
export async function uploadBodyRefusal(
  config: Pick<Config, 'maxBodyBytes' | 'backup'>,
  contentLength: number,
  mayUpload: () => Promise<boolean>,
): Promise<Failure | null> {
  if (contentLength <= config.maxBodyBytes) return null;
  const allowed = await mayUpload();
  const limit = allowed ? config.backup.maxUploadBytes + MULTIPART_OVERHEAD_BYTES : config.maxBodyBytes;
  if (contentLength <= limit) return null;
  const megabytes = Math.floor(config.backup.maxUploadBytes / (1024 * 1024));
  return {
    status: 413,
    code: 'TOO_LARGE',
    message: allowed
      ? `The upload is larger than the limit of ${megabytes} MB (MAX_UPLOAD_MB). Nothing was changed.`
      : `Request body over ${config.maxBodyBytes} bytes (larger uploads need the permission \`${PERMISSIONS.databaseWrite}\`).`,
  };
}

export interface UploadDeps {
  config: Config;
  services: Services;
  /** The request scope of these headers (the server's authenticators); throws a GraphQLError on bad credentials. */
  scope(headers: Headers): Promise<RequestScope>;
  /** Answers the request with a client error. */
  refuse(refusal: { status: number; message: string; code?: string }): void;
}

/**
 * Streams a multipart GraphQL request to temporary files (listed in `uploads` for the caller to
 * remove once the operation ran) and returns its parameters, or null when it answered already.
 * A body over MAX_BODY_BYTES is an upload, allowed up to MAX_UPLOAD_MB for a viewer with
 * `database:write` only — decided from Content-Length before a byte is read.
 */
export async function receiveUpload(req: IncomingMessage, uploads: string[], deps: UploadDeps): Promise<Record<string, unknown> | null> {
  const { config, services } = deps;
  const headers = requestHeaders(req);
  const tooLarge = await uploadBodyRefusal(config, Number(req.headers['content-length']), async () => {
    // Ambient credentials (a cookie) from another site must not make us store a large body.
    if (csrfRefusal(config, 'POST', headers) !== null) return false;
    try {
      return await services.database.gate.run(async () => (await viewerAccess(await deps.scope(headers))).can(PERMISSIONS.databaseWrite));
    } catch (error) {
      // Bad credentials: no upload allowance (the GraphQL request would fail the same way).
      if (error instanceof GraphQLError) return false;
      throw error;
    }
  });
  if (tooLarge) {
    deps.refuse(tooLarge);
    req.resume();
    return null;
  }
  const outcome = await readMultipart(req, {
    maxFileBytes: config.backup.maxUploadBytes,
    maxFieldBytes: config.maxBodyBytes,
    tempFile: () => uploadTempFile(config),
  });
  if (outcome.kind !== 'params') {
    await removeFiles(outcome.files);
    if (outcome.kind === 'refused') deps.refuse(outcome.refusal);
    return null;
  }
  uploads.push(...outcome.files);
  // Yoga takes the parameters from the server context (multipartParamsPlugin), not from the body.
  (req as IncomingMessage & { body?: Buffer }).body = Buffer.alloc(0);
  req.headers['content-length'] = '0';
  return outcome.params;
}
