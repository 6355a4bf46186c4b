/** Sends a file to a signed upload URL with XMLHttpRequest, which (unlike fetch) reports upload progress. */
import { ProjectApiError, projectApiError } from '../../../project-api.ts';

export interface UploadHandle {
  done: Promise<void>;
  abort: () => void;
}

export function putFile(url: string, file: Blob, onProgress: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<void>((resolve, reject) => {
    xhr.open('PUT', url);
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        return resolve();
      }
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      reject(projectApiError(xhr.status, body));
    };
    xhr.onerror = () => reject(new ProjectApiError(0, undefined, 'The upload could not reach the server. Check your connection and try again.'));
    xhr.onabort = () => reject(new ProjectApiError(0, 'aborted', 'Upload cancelled'));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

/** What a storage error means for someone uploading a file. */
export function uploadErrorMessage(error: unknown): string {
  if (!(error instanceof ProjectApiError)) return (error as Error).message;
  switch (error.code) {
    case 'quota_exceeded':
      return `Over the plan's storage quota: ${error.message}`;
    case 'payload_too_large':
      return "Larger than the bucket's file size limit.";
    case 'invalid_mime_type':
      return `This bucket does not accept this file's type (${error.message.replace(/^mime type (\S+).*$/, '$1')}).`;
    default:
      return error.message;
  }
}
