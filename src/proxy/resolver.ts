/**
 * Host resolver rules in Chromium's syntax (`--host-resolver-rules`): `MAP <pattern> <host[:port]>`
 * and `EXCLUDE <pattern>`, comma-separated, first match wins, `*` matching any run of characters.
 * A pattern with `:port` matches only that port. The target `~NOTFOUND` makes the name fail to
 * resolve. They redirect where pinaudit connects upstream (MITM'd requests, tunnels and plain HTTP
 * alike); the Host header, SNI and certificate checks keep the original name.
 */
import { PinauditError } from '../errors.js';
import { parseHostPort, type HostPort } from './hosts.js';

export interface ResolverRule {
  kind: 'map' | 'exclude';
  /** Lower-case pattern without port. */
  pattern: RegExp;
  port: number | null;
  /** `null` for EXCLUDE and for `~NOTFOUND`. */
  target: { host: string; port: number | null } | null;
  text: string;
}

export type Resolution = HostPort | { notFound: true };

function patternRegExp(glob: string): RegExp {
  const escaped = glob.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function splitPattern(text: string): { glob: string; port: number | null } {
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(text);
  const glob = m?.[1] ?? text;
  return { glob, port: m?.[2] ? Number(m[2]) : null };
}

/** Parses the rules; throws a CONFIG error naming the rule that is wrong. */
export function parseResolverRules(text: string): ResolverRule[] {
  const rules: ResolverRule[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const parts = item.split(/\s+/);
    const verb = parts[0]?.toUpperCase();
    const bad = (why: string): never => {
      throw new PinauditError('CONFIG', `--host-resolver-rules: "${item}": ${why}`);
    };
    if (verb === 'MAP') {
      if (parts.length !== 3) bad('expected "MAP <pattern> <host[:port]>"');
      const { glob, port } = splitPattern(parts[1]!);
      if (!/^[a-zA-Z0-9*._-]+$/.test(glob)) bad('the pattern may hold letters, digits, ".", "-", "_" and "*"');
      let target: ResolverRule['target'] = null;
      if (parts[2] !== '~NOTFOUND') {
        const hp = parseHostPort(parts[2]!, 0);
        if (!hp) bad(`"${parts[2]}" is not a host[:port]`);
        target = { host: hp!.host, port: hp!.port === 0 ? null : hp!.port };
      }
      rules.push({ kind: 'map', pattern: patternRegExp(glob), port, target, text: item });
    } else if (verb === 'EXCLUDE') {
      if (parts.length !== 2) bad('expected "EXCLUDE <pattern>"');
      const { glob, port } = splitPattern(parts[1]!);
      rules.push({ kind: 'exclude', pattern: patternRegExp(glob), port, target: null, text: item });
    } else {
      bad('each rule starts with MAP or EXCLUDE');
    }
  }
  return rules;
}

/** Where to connect for `host:port` under `rules` (the input itself when no rule maps it). */
export function resolveUpstream(rules: readonly ResolverRule[], host: string, port: number): Resolution {
  const name = host.toLowerCase();
  for (const rule of rules) {
    if (rule.port !== null && rule.port !== port) continue;
    if (!rule.pattern.test(name)) continue;
    if (rule.kind === 'exclude') return { host, port };
    if (rule.target === null) return { notFound: true };
    return { host: rule.target.host, port: rule.target.port ?? port };
  }
  return { host, port };
}
