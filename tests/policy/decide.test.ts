import { describe, expect, test } from 'vitest';
import { BLOCK_MODES, decide, makePolicySettings, type BlockMode } from '../../src/policy/index.js';
import type { Action, Category } from '../../src/types.js';
import { makeFinding } from '../helpers/findings.js';
import { classifyObservation, fixture, observeFixture } from './helpers.js';

const NONE = { identifiers: [], page: false };

const THIRD_PARTY_CATEGORIES: Category[] = ['tag', 'tag-script', 'telemetry', 'widget', 'content'];

/** The policy of issue 5 for a third-party request, written out as a table. */
const EXPECTED: Record<BlockMode, Record<Exclude<Category, 'first-party'>, Action>> = {
  off: { tag: 'allow', 'tag-script': 'allow', telemetry: 'allow', widget: 'allow', content: 'allow' },
  strip: { tag: 'strip', 'tag-script': 'strip', telemetry: 'strip', widget: 'strip', content: 'strip' },
  trackers: { tag: 'block', 'tag-script': 'block', telemetry: 'block', widget: 'strip', content: 'strip' },
  all: { tag: 'block', 'tag-script': 'block', telemetry: 'block', widget: 'block', content: 'block' },
};

const settings = (mode: BlockMode, exceptions: string[] = []) => makePolicySettings(mode, exceptions);

describe('decide: modes × categories', () => {
  const rows = BLOCK_MODES.flatMap((mode) =>
    THIRD_PARTY_CATEGORIES.map((category) => ({ mode, category, action: EXPECTED[mode][category as Exclude<Category, 'first-party'>] })),
  );

  test.each(rows)('$mode, third-party $category → $action', ({ mode, category, action }) => {
    const decision = decide(makeFinding({ category }), settings(mode));
    expect(decision.action).toBe(action);
    expect(decision.stripped).toEqual([]);
    if (action !== 'allow') {
      const verb = action === 'block' ? 'blocked' : 'stripped';
      expect(decision.reason).toBe(`${verb}: ${category} request from shop.example (mode ${mode})`);
    }
  });

  test.each(BLOCK_MODES)('%s: first-party is never blocked or stripped', (mode) => {
    for (const thirdParty of [true, false]) {
      const decision = decide(makeFinding({ category: 'first-party', thirdParty }), settings(mode));
      expect(decision.action).toBe('allow');
    }
  });

  test.each(BLOCK_MODES.filter((m) => m !== 'off'))(
    '%s: not third party with a Pinterest page as evidence is the user\'s own use',
    (mode) => {
      for (const category of THIRD_PARTY_CATEGORIES) {
        const finding = makeFinding({
          category,
          thirdParty: false,
          page: { site: 'pinterest.com', url: 'https://www.pinterest.com/', attributedBy: 'referer', confidence: 'high' },
        });
        const decision = decide(finding, settings(mode));
        expect(decision.action).toBe('allow');
        expect(decision.reason).toMatch(/own use of Pinterest/);
      }
    },
  );
});

describe('decide: exceptions', () => {
  test.each(BLOCK_MODES.filter((m) => m !== 'off').flatMap((mode) => THIRD_PARTY_CATEGORIES.map((category) => ({ mode, category }))))(
    '$mode: $category from an excepted site is allowed',
    ({ mode, category }) => {
      const decision = decide(makeFinding({ category }), settings(mode, ['Shop.Example.']));
      expect(decision).toEqual({ action: 'allow', reason: `allowed: shop.example is an exception (mode ${mode})`, stripped: [], prevented: NONE });
    },
  );

  test('an exception for another site changes nothing', () => {
    expect(decide(makeFinding(), settings('all', ['other.example'])).action).toBe('block');
  });

  test('an exception applies to a page guessed from recent navigation too', () => {
    const finding = makeFinding({ page: { site: 'shop.example', url: null, attributedBy: 'recent-navigation', confidence: 'low' } });
    expect(decide(finding, settings('all', ['shop.example'])).action).toBe('allow');
  });

  test('an unknown page never matches an exception', () => {
    const finding = makeFinding({ page: { site: null, url: null, attributedBy: 'none', confidence: 'none' } });
    expect(decide(finding, settings('all', ['shop.example'])).action).toBe('block');
  });
});

describe('decide: unknown page', () => {
  const noPage = { site: null, url: null, attributedBy: 'none', confidence: 'none' } as const;

  test.each(THIRD_PARTY_CATEGORIES)('trackers: third-party %s without page evidence follows the mode', (category) => {
    const decision = decide(makeFinding({ category, page: { ...noPage } }), settings('trackers'));
    expect(decision.action).toBe(EXPECTED.trackers[category as Exclude<Category, 'first-party'>]);
    expect(decision.reason).toContain('from an unknown page');
    expect(decision.reason).not.toContain('treated as third party');
  });

  test('content without page evidence and not marked third party is treated as third party', () => {
    const finding = makeFinding({ category: 'content', thirdParty: false, page: { ...noPage } });
    expect(decide(finding, settings('all'))).toEqual({
      action: 'block',
      reason: 'blocked: content request from an unknown page, treated as third party (mode all)',
      stripped: [],
      prevented: { identifiers: [{ name: '_pinterest_ct_ua', source: 'cookie' }], page: false },
    });
    expect(decide(finding, settings('trackers')).action).toBe('strip');
  });

  test('a page without a registrable domain is named by its host', () => {
    const finding = makeFinding({ category: 'telemetry', page: { site: null, url: 'http://localhost:8079/', attributedBy: 'tag-payload', confidence: 'high' } });
    expect(decide(finding, settings('trackers')).reason).toBe('blocked: telemetry request from localhost (mode trackers)');
  });
});

describe('decide: findings without conclusions', () => {
  test('mode off allows everything with an audit reason', () => {
    expect(decide(makeFinding(), settings('off'))).toEqual({ action: 'allow', reason: 'allowed: audit only (mode off)', stripped: [], prevented: NONE });
  });

  test('a non-Pinterest finding is allowed', () => {
    const finding = makeFinding({ pinterest: false, category: null, thirdParty: false });
    expect(decide(finding, settings('all')).reason).toBe('allowed: not a Pinterest request');
  });

  test('a Pinterest finding without a category (classification failed) fails open', () => {
    const finding = makeFinding({ category: null, malformed: ['internal'] });
    const decision = decide(finding, settings('all'));
    expect(decision.action).toBe('allow');
    expect(decision.reason).toMatch(/could not be classified.*fails open/);
  });

  test('a mode from outside the type system fails open', () => {
    const decision = decide(makeFinding(), { mode: 'paranoid' as BlockMode, exceptions: new Set() });
    expect(decision.action).toBe('allow');
    expect(decision.reason).toMatch(/unknown block mode/);
  });
});

describe('decide: real captures through the classifier', () => {
  test.each([
    { id: 'kohls-v3-init-2020', mode: 'trackers', action: 'block', reason: 'blocked: tag request from kohls.com (mode trackers)' },
    { id: 'kohls-v3-init-2020', mode: 'strip', action: 'strip', reason: 'stripped: tag request from kohls.com (mode strip)' },
    { id: 'lowes-tag-library-2023', mode: 'trackers', action: 'block', reason: 'blocked: tag-script request from an unknown page (mode trackers)' },
    { id: 'widget-count', mode: 'trackers', action: 'strip', reason: 'stripped: widget request from example.org (mode trackers)' },
    { id: 'referer-full', mode: 'trackers', action: 'strip', reason: 'stripped: content request from example.co.uk (mode trackers)' },
    { id: 'referer-full', mode: 'all', action: 'block', reason: 'blocked: content request from example.co.uk (mode all)' },
    { id: 'pidget-log-2018', mode: 'trackers', action: 'block', reason: 'blocked: telemetry request from localhost (mode trackers)' },
    { id: 'own-pinterest-browsing', mode: 'all', action: 'allow', reason: "allowed: the user's own use of Pinterest (first-party is never blocked or stripped)" },
    { id: 'country-domain', mode: 'all', action: 'allow', reason: "allowed: the user's own use of Pinterest (first-party is never blocked or stripped)" },
    { id: 's-pinimg-static', mode: 'all', action: 'allow', reason: "allowed: the user's own use of Pinterest (first-party is never blocked or stripped)" },
  ] as const)('$id in mode $mode → $action', ({ id, mode, action, reason }) => {
    const finding = classifyObservation(observeFixture(fixture(id)));
    // A block prevents every identifier the request carried and its page; the others prevent nothing here
    // (a strip's `prevented` is filled by the strip step, see stage.test.ts).
    const prevented = action === 'block'
      ? { identifiers: finding.identifiers.map((i) => ({ name: i.name, source: i.source })), page: finding.leakLevel !== 'none' }
      : NONE;
    expect(decide(finding, settings(mode))).toEqual({ action, reason, stripped: [], prevented });
  });

  test('a site excepted by the user keeps its tag', () => {
    const finding = classifyObservation(observeFixture(fixture('kohls-v3-init-2020')));
    expect(decide(finding, settings('all', ['kohls.com'])).reason).toBe('allowed: kohls.com is an exception (mode all)');
  });
});

describe('modes', () => {
  test('makePolicySettings normalises exceptions and defaults to off', () => {
    const s = makePolicySettings(undefined, [' Blog.Example.ORG. ', '', 'blog.example.org']);
    expect(s.mode).toBe('off');
    expect([...s.exceptions]).toEqual(['blog.example.org']);
  });
});
