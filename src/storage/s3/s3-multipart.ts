import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
  type PutObjectCommandInput,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Part, PartReader } from "../part-reader.js";
import { TaskPool } from "../../core/task-pool.js";
import { md5Base64 } from "../md5.js";
import { retryPart } from "../part-retry.js";

export interface MultipartJob {
  client: S3Client;
  /** Bucket, Key and the write headers (storage class, SSE, Object Lock) for CreateMultipartUpload. */
  params: Omit<PutObjectCommandInput, "Body" | "ContentLength" | "ContentMD5" | "IfNoneMatch">;
  md5: boolean;
  ifNoneMatch: boolean;
  concurrency: number;
  signal?: AbortSignal;
  /** True when a failed part is worth sending again (the backend's transient classification). */
  transient: (err: unknown) => boolean;
}

/**
 * Uploads an object in parts: create, parts (at most `concurrency` in flight,
 * each with its Content-MD5), complete. The object appears only at complete,
 * so a crash leaves no partial object, only an unfinished upload that an
 * AbortIncompleteMultipartUpload lifecycle rule removes (docs/STORAGE.md).
 * Any failure aborts the upload so its parts stop costing storage.
 */
export async function uploadMultipart(job: MultipartJob, first: Part, rest: PartReader): Promise<void> {
  const { client, params, signal } = job;
  const created = await client.send(new CreateMultipartUploadCommand(params), { abortSignal: signal });
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error("CreateMultipartUpload returned no UploadId");
  try {
    const parts = await uploadParts(job, uploadId, first, rest);
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: params.Bucket,
        Key: params.Key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
        IfNoneMatch: job.ifNoneMatch ? "*" : undefined,
      }),
      { abortSignal: signal },
    );
  } catch (err) {
    // Best effort: without a signal, so an aborted run still cleans up after itself.
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: params.Bucket, Key: params.Key, UploadId: uploadId }))
      .catch(() => undefined);
    throw err;
  }
}

async function uploadParts(
  job: MultipartJob,
  uploadId: string,
  first: Part,
  rest: PartReader,
): Promise<CompletedPart[]> {
  const done: CompletedPart[] = [];
  const pool = new TaskPool(job.concurrency);
  for (let part: Part | undefined = first; part; part = part.last ? undefined : await rest.next()) {
    const { number, bytes } = part;
    await pool.add(async () => {
      const input = {
        Bucket: job.params.Bucket,
        Key: job.params.Key,
        UploadId: uploadId,
        PartNumber: number,
        Body: bytes,
        ContentLength: bytes.length,
        ContentMD5: job.md5 ? md5Base64(bytes) : undefined,
      };
      const sent = await retryPart(
        () => job.client.send(new UploadPartCommand(input), { abortSignal: job.signal }),
        job.transient,
        job.signal,
      );
      const etag = sent.ETag;
      done.push({ PartNumber: number, ETag: etag });
    });
  }
  await pool.drain();
  return done.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
}
