/**
 * Clients that refused pinaudit's certificate on an intercepted host: the sign that a browser uses
 * the proxy but does not trust pinaudit's CA (as opposed to one that never reaches the proxy).
 *
 * A refusal shows in one of two ways, both measured here with real clients:
 * - a certificate alert during the handshake: curl/OpenSSL send `unknown_ca`, Chromium sends
 *   `certificate_unknown` (Node: ERR_SSL_TLSV1_ALERT_UNKNOWN_CA, ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN);
 * - a hang-up after pinaudit's certificate went out, before the handshake finished, with no alert:
 *   Node's clients (undici, https) check the certificate after their last handshake message and
 *   destroy the socket before that message leaves.
 *
 * Host names come from CONNECT lines, so a client chooses them: the per-host table is capped and
 * hosts beyond the cap are only counted in the total (never logged one by one). Hosts named in
 * `pinned` (the setup-check host) are tracked whatever the cap, so a flood cannot hide them.
 */

/** Alerts a client sends when it does not accept the certificate (RFC 8446 §6.2). */
const CERTIFICATE_ALERT = /^ERR_SSL_(?:SSLV3|TLSV1)_ALERT_(?:UNKNOWN_CA|BAD_CERTIFICATE|UNSUPPORTED_CERTIFICATE|CERTIFICATE_(?:UNKNOWN|EXPIRED|REVOKED))$/;

/** True for a handshake error that is the client refusing the certificate. */
export function isCertificateAlert(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CERTIFICATE_ALERT.test(code);
}

export interface CaRejectionHost {
  host: string;
  count: number;
  /** ms since the epoch of the latest refusal. */
  lastAt: number;
}

export interface CaRejectionSummary {
  /** Every refusal counted, including hosts beyond the table's cap. */
  total: number;
  lastAt: number | null;
  /** Hosts with the most refusals first, at most `limit` of them. */
  hosts: CaRejectionHost[];
  /** Tracked hosts not listed (beyond `limit`). */
  moreHosts: number;
  /** Refusals on hosts beyond the table's cap (counted in `total` only). */
  untracked: number;
}

/** The default number of hosts tracked one by one. */
export const MAX_TRACKED_HOSTS = 256;

export class CaRejections {
  readonly #hosts = new Map<string, CaRejectionHost>();
  readonly #maxHosts: number;
  readonly #onFirst: (host: string) => void;
  readonly #pinned: ReadonlySet<string>;
  #total = 0;
  #lastAt: number | null = null;
  #untracked = 0;
  readonly #now: () => number;

  /** `onFirst(host)` runs once per tracked host, at its first refusal (for the log). */
  constructor(options: { maxHosts?: number; pinned?: readonly string[]; onFirst?: (host: string) => void; now?: () => number } = {}) {
    this.#maxHosts = options.maxHosts ?? MAX_TRACKED_HOSTS;
    this.#pinned = new Set(options.pinned ?? []);
    this.#onFirst = options.onFirst ?? (() => {});
    this.#now = options.now ?? Date.now;
  }

  record(host: string): void {
    const at = this.#now();
    this.#total++;
    this.#lastAt = at;
    const known = this.#hosts.get(host);
    if (known) {
      known.count++;
      known.lastAt = at;
      return;
    }
    if (this.#hosts.size >= this.#maxHosts && !this.#pinned.has(host)) {
      this.#untracked++;
      return;
    }
    this.#hosts.set(host, { host, count: 1, lastAt: at });
    this.#onFirst(host);
  }

  /** Refusals counted for one host (0 when untracked). */
  countOf(host: string): number {
    return this.#hosts.get(host)?.count ?? 0;
  }

  summary(limit = 20): CaRejectionSummary {
    const hosts = [...this.#hosts.values()].sort((a, b) => b.count - a.count || b.lastAt - a.lastAt || a.host.localeCompare(b.host));
    return {
      total: this.#total,
      lastAt: this.#lastAt,
      hosts: hosts.slice(0, limit).map((h) => ({ ...h })),
      moreHosts: Math.max(0, hosts.length - limit),
      untracked: this.#untracked,
    };
  }
}
