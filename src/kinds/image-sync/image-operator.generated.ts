// Generated from schemas/skopeo.io-image.schema.json by scripts/generate-types.ts: do not edit.
// Change the schema, then run `npm run generate:types`.

/**
 * image-operator's Image, accepted as written and converted to an ImageSync.
 */
export interface ImageOperatorImage {
  apiVersion: 'skopeo.io/v1alpha1';
  kind: 'Image';
  metadata: {
    name: string;
    namespace?: string;
    labels?: {
      [k: string]: string;
    };
    annotations?: {
      [k: string]: string;
    };
    [k: string]: unknown;
  };
  spec: {
    mode: 'OneShot' | 'OnceByTag' | 'Recurrent';
    /**
     * Elapsed time between copies of a Recurrent Image (600s, 90m, 1h30m, 36h, 45d, 2w); default 5m, as image-operator's CRD.
     */
    frequency?: string;
    allowCandidateRelease?: boolean;
    source: Image;
    destination: Image;
  };
  status?: {
    [k: string]: unknown;
  };
  [k: string]: unknown;
}
export interface Image {
  name: string;
  version: string;
  /**
   * This side's registry is Amazon ECR: its credentials are an ECR token from the reconciler's AWS identity (IRSA). Becomes registries[].awsEcr.
   */
  useAwsIRSA?: boolean;
}
