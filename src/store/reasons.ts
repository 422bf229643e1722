/**
 * A request's reasons are stored as sentences, each once, in `reason_texts`; the request row keeps
 * their ids in order as a JSON array in `reason_ids` (migration 012). The writer turns sentences
 * into ids once per batch and moves each sentence's `last_used` to its newest request; the read
 * side turns ids back into the JSON array of texts it always had; retention removes the sentences
 * last used before its cut-off, without reading every request's list.
 */
import type { Database } from './db.js';

/** SQL for the JSON array of a request's reason texts, in order (`alias` is the requests row). */
export const reasonsText = (alias: string): string =>
  `(SELECT json_group_array((SELECT t.text FROM reason_texts t WHERE t.id = j.value)) FROM json_each(${alias}.reason_ids) j)`;

/**
 * Removes the sentences no request from `cutoff` (ms) on uses: every request listing one is at or
 * before its `last_used`, so once requests before the cut-off are gone, so is every use of a
 * sentence last used before it. Returns how many.
 */
export function removeReasonsBefore(db: Database, cutoff: number): number {
  return db.prepare('DELETE FROM reason_texts WHERE last_used < ?').run(cutoff).changes;
}

/** The reasons of one batch: `of` gives a request's `reason_ids`, `finish` stores the times. */
export interface BatchReasons {
  /** The `reason_ids` value of a request made at `time` listing `reasons`. */
  of(reasons: readonly string[], time: number): string;
  /** Moves each sentence's `last_used` forward to the newest request of the batch that listed it. */
  finish(): void;
}

/**
 * Turns lists of sentences into `reason_ids` values within one writing transaction. Ids are looked
 * up (or added) once per sentence per batch and not remembered longer: a purge from another process
 * may remove a sentence between batches, and a failed batch takes its new ids with it.
 */
export function reasonIdsWriter(db: Database): () => BatchReasons {
  const find = db.prepare<[string], { id: number }>('SELECT id FROM reason_texts WHERE text = ?');
  const add = db.prepare<[string, number]>('INSERT INTO reason_texts (text, last_used) VALUES (?, ?)');
  const used = db.prepare<[number, number, number]>('UPDATE reason_texts SET last_used = ? WHERE id = ? AND last_used < ?');
  return () => {
    const seen = new Map<string, { id: number; last: number }>();
    const idOf = (text: string, time: number): number => {
      const e = seen.get(text);
      if (e !== undefined) {
        if (time > e.last) e.last = time;
        return e.id;
      }
      const id = find.get(text)?.id ?? Number(add.run(text, time).lastInsertRowid);
      seen.set(text, { id, last: time });
      return id;
    };
    return {
      of(reasons, time) {
        if (reasons.length === 0) return '[]';
        let out = `[${idOf(reasons[0]!, time)}`;
        for (let i = 1; i < reasons.length; i++) out += `,${idOf(reasons[i]!, time)}`;
        return `${out}]`;
      },
      finish() {
        for (const e of seen.values()) used.run(e.last, e.id, e.last);
      },
    };
  };
}
