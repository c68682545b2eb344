/** The commit the objects are rendered from: every object names it. */
export interface CommitInfo {
  sha: string;
  author: string;
  authorEmail?: string;
  date: string;
  message: string;
}
