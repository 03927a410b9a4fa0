/**
 * Human names for the course models' engineered features (src/features/course/feature-space.ts), and
 * the stop words an explanation display leaves out. One map, shared by the dashboard (imported, not
 * copied) and anything else that shows explanation terms to people. Pure: no Node imports (bundled).
 */
export const FEATURE_DISPLAY_NAMES: Readonly<Record<string, string>> = {
  is_free: 'free course',
  price: 'price',
  log_price: 'price',
  log_lectures: 'number of lectures',
  log_content_hours: 'content hours',
  log_price_per_hour: 'price per hour',
  log_lectures_per_hour: 'lectures per hour',
  title_length: 'title length',
  title_words: 'words in title',
  published_year: 'year published',
  published_month: 'month published',
  published_weekday: 'weekday published',
  log_age_days: 'course age',
  level_index: 'level',
  log_reviews: 'number of reviews',
};

/** English function words: weights on them are real, but they explain nothing to a reader. */
export const EXPLANATION_STOP_WORDS: ReadonlySet<string> = new Set(
  'a an and are as at be by for from how in into is it its of on or the this to with your you our we i my me up out vs via all what'.split(' '),
);

/**
 * The name to show for an explanation term: engineered features get their human name, one-hot
 * columns read "level: Beginner Level", title words stay words; undefined for a stop word (leave it out).
 */
export function explanationDisplayName(feature: string): string | undefined {
  const known = FEATURE_DISPLAY_NAMES[feature];
  if (known !== undefined) return known;
  const eq = feature.indexOf('=');
  if (eq > 0) return `${FEATURE_DISPLAY_NAMES[feature.slice(0, eq)] ?? feature.slice(0, eq).replace(/_/g, ' ')}: ${feature.slice(eq + 1)}`;
  const word = feature.replace(/^(title|tfidf)[:_]/, '');
  if (EXPLANATION_STOP_WORDS.has(word.toLowerCase())) return undefined;
  return word.replace(/_/g, ' ');
}
