// The trusted documents manifest (TRUSTED_DOCUMENTS): JSON files mapping the SHA-256 of each
// document a client may send to its text, as the codegen client preset writes them
// (persisted-documents.json). Read once at start by src/config.ts; a bad file stops the server.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface TrustedDocuments {
  /** The manifest files, as configured. */
  files: string[];
  /** Lower-case hex SHA-256 (no `sha256:` prefix) → document text. */
  byHash: ReadonlyMap<string, string>;
  /** Every document text of the manifests: a document sent whole is trusted when it is one of them. */
  documents: ReadonlySet<string>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * A hash as the manifest or a client spells it, in the form the manifest is keyed by: lower-case
 * hex without the `sha256:` prefix the client preset writes.
 */
export function normalizeHash(hash: string): string {
  return hash.replace(/^sha256:/i, '').toLowerCase();
}

/** Reads and checks every manifest; throws an Error whose message names the file and the problem. */
export function readTrustedDocuments(files: string[]): TrustedDocuments {
  const byHash = new Map<string, string>();
  for (const file of files) {
    for (const [hash, document] of readManifest(file)) byHash.set(hash, document);
  }
  return { files, byHash, documents: new Set(byHash.values()) };
}

/** Both sets of documents: a client may send any document of either. */
export function mergeTrustedDocuments(a: TrustedDocuments, b: TrustedDocuments): TrustedDocuments {
  const byHash = new Map([...a.byHash, ...b.byHash]);
  return { files: [...a.files, ...b.files], byHash, documents: new Set(byHash.values()) };
}

function readManifest(file: string): Array<[string, string]> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file} (${(error as Error).message})`);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON (${(error as Error).message})`);
  }
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw new Error(`${file} must be a JSON object mapping "sha256:<hash>" to a document, as the codegen client preset writes persisted-documents.json`);
  }
  const entries = Object.entries(manifest);
  if (entries.length === 0) throw new Error(`${file} lists no documents`);
  return entries.map(([key, document]) => {
    if (typeof document !== 'string' || document.trim() === '') throw new Error(`${file}: the entry "${key}" is not a document (a non-empty string)`);
    const hash = normalizeHash(key);
    if (!SHA256_HEX.test(hash)) throw new Error(`${file}: "${key}" is not a SHA-256 hash (64 hex digits, optionally prefixed "sha256:")`);
    // Clients send the hash of what they would have sent: a key of another algorithm could never match.
    if (sha256Hex(document) !== hash) {
      throw new Error(`${file}: "${key}" is not the SHA-256 of its document; regenerate the manifest with persistedDocuments: { hashAlgorithm: 'sha256' }`);
    }
    return [hash, document];
  });
}
