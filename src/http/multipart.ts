// The GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec),
// streamed: file parts go straight to temporary files on disk (a database upload may be hundreds of
// megabytes; yoga's own parser holds every file in memory), the `operations` and `map` fields are
// read as JSON, and each mapped file becomes an UploadedFile in the variables. Yoga then takes the
// finished parameters from the server context (multipartParamsPlugin) instead of parsing the body.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Busboy } from '@fastify/busboy';
import type { Plugin } from 'graphql-yoga';
import type { Refusal } from './request-checks.ts';

/** A file of a multipart request, stored in a temporary file removed after the response. */
export class UploadedFile {
  readonly path: string;
  readonly filename: string;
  readonly mimeType: string;
  readonly size: number;
  constructor(path: string, filename: string, mimeType: string, size: number) {
    this.path = path;
    this.filename = filename;
    this.mimeType = mimeType;
    this.size = size;
  }
}

export interface MultipartLimits {
  /** Largest file part. */
  maxFileBytes: number;
  /** Largest `operations` or `map` field. */
  maxFieldBytes: number;
  /** Where file parts are written, and how their temporary names start. */
  tempFile: () => string;
}

export type MultipartOutcome =
  | { kind: 'params'; params: Record<string, unknown>; files: string[] }
  | { kind: 'refused'; refusal: Refusal & { code: string }; files: string[] }
  /** The client went away mid-body: nobody to answer. */
  | { kind: 'aborted'; files: string[] };

const MAX_FILES = 10;
const MAX_FIELDS = 20;

export function isMultipart(req: IncomingMessage): boolean {
  return req.method === 'POST' && (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'multipart/form-data';
}

const badRequest = (message: string, files: string[]): MultipartOutcome => ({
  kind: 'refused',
  refusal: { status: 400, message, code: 'BAD_REQUEST' },
  files,
});

/** Reads a multipart body; on any outcome the caller removes `files` once it is done with them. */
export async function readMultipart(req: IncomingMessage, limits: MultipartLimits): Promise<MultipartOutcome> {
  const fields = new Map<string, string>();
  const uploads = new Map<string, UploadedFile>();
  const files: string[] = [];
  const writes: Array<Promise<void>> = [];
  const streams: NodeJS.ReadableStream[] = [];
  let tooLarge: string | null = null;
  let parser;
  try {
    parser = new Busboy({
      headers: req.headers as { 'content-type': string },
      limits: { fileSize: limits.maxFileBytes, fieldSize: limits.maxFieldBytes, files: MAX_FILES, fields: MAX_FIELDS },
    });
  } catch (error) {
    req.resume();
    return badRequest(`POST body sent invalid multipart data: ${(error as Error).message}`, files);
  }
  parser.on('field', (name: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
    if (valueTruncated) tooLarge = `Multipart form field "${name.slice(0, 40)}" is over ${limits.maxFieldBytes} bytes.`;
    else fields.set(name, value);
  });
  parser.on('file', (name: string, stream: NodeJS.ReadableStream & { truncated?: boolean }, filename: string, _encoding: string, mimeType: string) => {
    const path = limits.tempFile();
    files.push(path);
    streams.push(stream);
    let size = 0;
    stream.on('data', (chunk: Buffer) => (size += chunk.length));
    writes.push(
      pipeline(stream, createWriteStream(path)).then(() => {
        if (stream.truncated) tooLarge = `The file is larger than the limit of ${limits.maxFileBytes} bytes.`;
        else uploads.set(name, new UploadedFile(path, filename ?? '', mimeType ?? 'application/octet-stream', size));
      }),
    );
  });
  try {
    await parse(req, parser);
    await Promise.all(writes);
  } catch (error) {
    // A broken body may leave a file part unfinished: end its stream so its write settles.
    for (const stream of streams) (stream as unknown as { destroy(): void }).destroy();
    await Promise.allSettled(writes);
    if (error instanceof ClientGone) return { kind: 'aborted', files };
    return badRequest(`POST body sent invalid multipart data: ${(error as Error).message}`, files);
  }
  if (tooLarge) return { kind: 'refused', refusal: { status: 413, message: tooLarge, code: 'TOO_LARGE' }, files };
  return assemble(fields, uploads, files);
}

class ClientGone extends Error {}

/**
 * Feeds the body to the parser. Not stream.pipeline: on a parse error it would destroy the request,
 * and with it the connection the 400 must go back on; the rest of the body is drained instead.
 */
function parse(req: IncomingMessage, parser: NodeJS.WritableStream & NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      if (error) {
        req.unpipe(parser as NodeJS.WritableStream);
        req.resume();
        reject(error);
      } else resolve();
    };
    parser.on('error', (error: Error) => settle(error));
    // Busboy reports a body cut short on the tick after 'finish': look once more before resolving.
    parser.on('finish', () => setImmediate(() => settle(null)));
    req.on('close', () => {
      if (!req.complete) settle(new ClientGone());
    });
    req.pipe(parser as NodeJS.WritableStream);
  });
}

function assemble(fields: Map<string, string>, uploads: Map<string, UploadedFile>, files: string[]): MultipartOutcome {
  const operationsText = fields.get('operations');
  if (operationsText === undefined) return badRequest('Missing multipart form field "operations"', files);
  let operations: unknown;
  try {
    operations = JSON.parse(operationsText);
  } catch {
    return badRequest('Multipart form field "operations" must be a valid JSON string', files);
  }
  // Batching is off: one operation, an object.
  if (typeof operations !== 'object' || operations === null || Array.isArray(operations)) {
    return badRequest('Multipart form field "operations" must be a JSON object', files);
  }
  const mapText = fields.get('map');
  if (mapText !== undefined) {
    let map: unknown;
    try {
      map = JSON.parse(mapText);
    } catch {
      return badRequest('Multipart form field "map" must be a valid JSON string', files);
    }
    if (typeof map !== 'object' || map === null || Array.isArray(map)) return badRequest('Multipart form field "map" must be a JSON object', files);
    for (const [part, paths] of Object.entries(map)) {
      if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
        return badRequest(`Multipart form field "map" must list paths (strings) for "${part.slice(0, 40)}"`, files);
      }
      const value = uploads.get(part) ?? fields.get(part);
      if (value === undefined) return badRequest(`Multipart form field "map" names a part "${part.slice(0, 40)}" that was not sent`, files);
      for (const path of paths) setPath(operations as Record<string, unknown>, path, value);
    }
  }
  return { kind: 'params', params: operations as Record<string, unknown>, files };
}

/** Sets `object.a.b.c` for the path "a.b.c", never through a prototype. */
function setPath(object: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  if (keys.some((key) => key === '__proto__' || key === 'constructor' || key === 'prototype')) return;
  let current: Record<string, unknown> = object;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    if (typeof next !== 'object' || next === null || !Object.hasOwn(current, key)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys.at(-1)!] = value;
}

export async function removeFiles(files: string[]): Promise<void> {
  await Promise.all(files.map((file) => rm(file, { force: true })));
}

/** Hands yoga the parameters readMultipart assembled (yoga's own multipart parser is off). */
export function multipartParamsPlugin(): Plugin {
  return {
    onRequestParse({ serverContext, setRequestParser }) {
      const params = (serverContext as { multipart?: Record<string, unknown> } | undefined)?.multipart;
      if (!params) return;
      // Yoga checks the parameters themselves (a query that is not a string, …) as for any body.
      setRequestParser(() => params);
    },
  };
}
