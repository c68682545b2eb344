/**
 * The ImagePrepull spec. Its types are generated from `schemas/image-prepull.schema.json` (spec.generated.ts,
 * `npm run generate:types`): the schema ajv checks is the one source of truth. Every setting of
 * kubernetes-image-puller may also be written in its string form (IMAGES `a=img;b=img2`, JSON for
 * NODE_SELECTOR / AFFINITY / TOLERATIONS, `s1;s2` for IMAGE_PULL_SECRETS), so its values paste as they are.
 */
export type { ImagePrepullSpec, PrepullImage, PrepullResources } from './spec.generated.js';
