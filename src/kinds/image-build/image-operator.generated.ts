// Generated from schemas/buildah.io-imagebuilder.schema.json by scripts/generate-types.ts: do not edit.
// Change the schema, then run `npm run generate:types`.

/**
 * image-operator's buildah.io/v1alpha1 ImageBuilder, accepted as written and converted to an ImageBuild.
 */
export interface ImageOperatorImageBuilder {
  apiVersion: 'buildah.io/v1alpha1';
  kind: 'ImageBuilder';
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
    architecture?: 'arm64' | 'amd64' | 'both';
    image: {
      name: string;
      version: string;
      useAwsIRSA?: boolean;
    };
    /**
     * The Dockerfile.
     */
    source: string;
    resources?: {
      requests?: {
        [k: string]: string | number;
      };
      limits?: {
        [k: string]: string | number;
      };
    };
  };
  [k: string]: unknown;
}
