/** Where a crawl keeps its files in the data directory (screenshots: small JPEGs, per crawl). */
import { join } from 'node:path';

/** The folder of crawl `crawlId`'s screenshots. */
export function screenshotDir(dataDir: string, crawlId: number): string {
  return join(dataDir, 'crawls', String(crawlId));
}
