/**
 * One emulated cloud repository per backend for the end-to-end tests: starts
 * the emulator, creates the bucket or container, and gives the repository URL
 * plus the environment a `cairn` child process needs to reach it.
 */
import { ContainerClient } from "@azure/storage-blob";
import { S3_TEST_BUCKET, S3RVER_CREDENTIALS, startAzurite, startS3rver, type Emulator } from "./emulators.js";

export interface CloudTarget {
  kind: "s3" | "azure";
  /** Repository URL under `name` in the emulator's bucket/container. */
  url(name: string): string;
  env: Record<string, string>;
  emulator: Emulator;
}

export const CLOUD_KINDS = ["s3", "azure"] as const;

export async function startCloudTarget(kind: "s3" | "azure"): Promise<CloudTarget> {
  if (kind === "s3") {
    const emulator = await startS3rver();
    return {
      kind,
      emulator,
      url: (name) => `s3://${S3_TEST_BUCKET}/${name}`,
      env: {
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        AWS_REGION: "us-east-1",
        AWS_ENDPOINT_URL: emulator.endpoint,
        // Keep the SDK from reading the host's ~/.aws profiles or asking the metadata service.
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    };
  }
  const emulator = await startAzurite();
  await new ContainerClient(emulator.connectionString, "cairn-test").create();
  return {
    kind,
    emulator,
    url: (name) => `azure://cairn-test/${name}`,
    env: { AZURE_STORAGE_CONNECTION_STRING: emulator.connectionString },
  };
}
