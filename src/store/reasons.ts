/**
 * A request's reasons are stored as sentences, each once, in `reason_texts`; the request row keeps
 * their ids in order as a JSON array in `reason_ids` (migration 012). The writer turns sentences
 * into ids once per batch, the read side turns them back into the JSON array of texts it always
 * had, and retention removes the sentences no request uses any more.
 */
import type { Database } from './db.js';

/** SQL for the JSON array of a request's reason texts, in order (`alias` is the requests row). */
export const reasonsText = (alias: string): string =>
  `(SELECT json_group_array((SELECT t.text FROM reason_texts t WHERE t.id = j.value)) FROM json_each(${alias}.reason_ids) j)`;

/** Removes the sentences no request uses any more; returns how many. */
export function removeUnusedReasons(db: Database): number {
  return db
    .prepare('DELETE FROM reason_texts WHERE id NOT IN (SELECT j.value FROM requests r, json_each(r.reason_ids) j)')
    .run().changes;
}

/**
 * Turns lists of sentences into `reason_ids` values within one writing transaction. Ids are looked
 * up (or added) once per sentence per batch and not remembered longer: a purge from another process
 * may remove a sentence between batches, and a failed batch takes its new ids with it.
 */
export function reasonIdsWriter(db: Database): () => (reasons: readonly string[]) => string {
  const find = db.prepare<[string], { id: number }>('SELECT id FROM reason_texts WHERE text = ?');
  const add = db.prepare<[string]>('INSERT INTO reason_texts (text) VALUES (?)');
  return () => {
    const ids = new Map<string, number>();
    const idOf = (text: string): number => {
      let id = ids.get(text);
      if (id === undefined) {
        id = find.get(text)?.id ?? Number(add.run(text).lastInsertRowid);
        ids.set(text, id);
      }
      return id;
    };
    return (reasons) => {
      if (reasons.length === 0) return '[]';
      let out = `[${idOf(reasons[0]!)}`;
      for (let i = 1; i < reasons.length; i++) out += `,${idOf(reasons[i]!)}`;
      return `${out}]`;
    };
  };
}
