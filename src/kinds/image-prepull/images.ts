import { toDnsName } from '../../core/labels.js';
import type { PrepullImage } from './types.js';

export interface SpecProblem {
  field: string;
  message: string;
}

/** Name of the init container that copies the sleep binary: no image container may take it. */
export const COPY_SLEEP_CONTAINER = 'copy-sleep';

/**
 * kubernetes-image-puller's IMAGES: `name=image;name2=image2`, blanks around entries and a trailing `;`
 * allowed. Where the puller logged and skipped a malformed entry, this reports it.
 */
export function parseImagesString(
  text: string,
  field = '/spec/images',
): { images: PrepullImage[]; problems: SpecProblem[] } {
  const images: PrepullImage[] = [];
  const problems: SpecProblem[] = [];
  const entries = text
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  entries.forEach((entry, index) => {
    const parts = entry.split('=');
    const [name, image] = [parts[0]?.trim() ?? '', parts.slice(1).join('=').trim()];
    if (parts.length !== 2 || name === '' || image === '') {
      problems.push({
        field,
        message: `IMAGES entry ${index + 1} "${entry}" is not name=image (entries are separated by ";", e.g. "java=eclipse/java:17;node=node:20")`,
      });
      return;
    }
    images.push({ name, image });
  });
  if (entries.length === 0)
    problems.push({ field, message: 'IMAGES lists no image: write name=image;name2=image2' });
  return { images, problems };
}

export interface PrepullContainerImage {
  /** DNS-safe container name. */
  containerName: string;
  image: string;
}

/** The images as containers: names made DNS-safe, then checked to be unique. */
export function toContainerImages(
  images: PrepullImage[],
  field = '/spec/images',
): { containers: PrepullContainerImage[]; problems: SpecProblem[] } {
  const containers: PrepullContainerImage[] = [];
  const problems: SpecProblem[] = [];
  const seen = new Map<string, string>();
  for (const { name, image } of images) {
    const containerName = toDnsName(name);
    const earlier = seen.get(containerName);
    if (earlier !== undefined) {
      problems.push({
        field,
        message: `image names "${earlier}" and "${name}" both become container name "${containerName}": give them different names`,
      });
      continue;
    }
    if (containerName === COPY_SLEEP_CONTAINER) {
      problems.push({
        field,
        message: `"${name}" is reserved for the init container that copies the sleep binary`,
      });
      continue;
    }
    if (/\s/.test(image)) {
      problems.push({ field, message: `image "${image}" of "${name}" contains blanks` });
      continue;
    }
    seen.set(containerName, name);
    containers.push({ containerName, image });
  }
  return { containers, problems };
}
