import { describe, expect, it } from 'vitest';
import { explanationDisplayName, FEATURE_DISPLAY_NAMES } from '../../src/core/feature-names.js';
import { COURSE_FEATURES } from '../../src/features/course/course-features.js';

describe('explanation display names', () => {
  it('every engineered numeric feature has a human name', () => {
    for (const name of Object.keys(COURSE_FEATURES).filter((n) => !n.includes('='))) expect(FEATURE_DISPLAY_NAMES[name], name).toBeDefined();
    expect(explanationDisplayName('log_price_per_hour')).toBe('price per hour');
    expect(explanationDisplayName('title_words')).toBe('words in title');
  });
  it('one-hot columns read "group: value", stop words are left out, words stay words', () => {
    expect(explanationDisplayName('level=Beginner Level')).toBe('level: Beginner Level');
    expect(explanationDisplayName('subject=Business Finance')).toBe('subject: Business Finance');
    expect(explanationDisplayName('of')).toBeUndefined();
    expect(explanationDisplayName('The')).toBeUndefined();
    expect(explanationDisplayName('guitar')).toBe('guitar');
  });
});
