/** image-operator's CREDS_* and DISABLE_*_TLS_VERIFICATION settings, which only its `Image` manifests take. */
import type { ImageOperatorSide, Settings } from '../../config/settings.js';

/** image-operator's global settings for each side: only an `Image` (skopeo.io/v1alpha1) manifest takes them. */
export function imageOperatorSides(
  apiVersion: string,
  settings: Settings,
): { source?: ImageOperatorSide; destination?: ImageOperatorSide } {
  if (apiVersion !== 'skopeo.io/v1alpha1') return {};
  return settings.imageSync.imageOperator ?? {};
}
