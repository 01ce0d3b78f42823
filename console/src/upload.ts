// A GraphQL multipart request (github.com/jaydenseric/graphql-multipart-request-spec) for documents
// with File variables, through XMLHttpRequest so the upload's progress can be shown (fetch has no
// upload progress). Same origin, cookie and CSRF header as api.ts; errors become the same ApiError.
import type { TypedDocumentString } from './generated/graphql.ts';
import { ApiError } from './api.ts';

export interface UploadProgress {
  loaded: number;
  /** Null when the browser cannot tell the size. */
  total: number | null;
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/**
 * Sends `document` with `variables`; every Blob in them becomes a file part (its variable is null
 * in `operations`, and `map` points the part at it). Resolves with the data, as request() does.
 */
export function upload<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  onProgress: (progress: UploadProgress) => void = () => {},
): Promise<TResult> {
  const files: Array<{ path: string; file: Blob }> = [];
  const operations = { query: document.toString(), variables: withoutFiles(variables, 'variables', files) };
  const form = new FormData();
  form.set('operations', JSON.stringify(operations));
  form.set('map', JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))));
  files.forEach(({ file }, i) => form.set(String(i), file, file instanceof File ? file.name : `file-${i}`));

  return new Promise<TResult>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    // Same origin: the browser sends the session cookie (as api.ts's credentials: 'same-origin').
    xhr.open('POST', '/graphql');
    xhr.setRequestHeader('accept', 'application/graphql-response+json, application/json');
    // Multipart is a "simple" content type: the header is what a cross-site form cannot send.
    xhr.setRequestHeader('x-gatehouse-csrf', '1');
    xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : null });
    xhr.onerror = () => reject(new ApiError('The server cannot be reached. Check your connection and try again.', 'NETWORK'));
    xhr.onabort = () => reject(new ApiError('The upload was cancelled.', 'ABORTED'));
    xhr.onload = () => {
      let body: GraphQLResponse<TResult>;
      try {
        body = JSON.parse(xhr.responseText) as GraphQLResponse<TResult>;
      } catch {
        return reject(new ApiError(`The server answered ${xhr.status} without a GraphQL response.`, 'BAD_RESPONSE'));
      }
      const first = body.errors?.[0];
      if (first) return reject(new ApiError(first.message, first.extensions?.code));
      if (body.data == null) return reject(new ApiError(`The server answered ${xhr.status} without data.`, 'BAD_RESPONSE'));
      resolve(body.data);
    };
    xhr.send(form);
  });
}

/** A copy of `value` with each Blob replaced by null, its dotted path recorded in `files`. */
function withoutFiles(value: unknown, path: string, files: Array<{ path: string; file: Blob }>): unknown {
  if (value instanceof Blob) {
    files.push({ path, file: value });
    return null;
  }
  if (Array.isArray(value)) return value.map((item, i) => withoutFiles(item, `${path}.${i}`, files));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutFiles(item, `${path}.${key}`, files)]));
  }
  return value;
}
