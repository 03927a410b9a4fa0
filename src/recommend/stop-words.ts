/**
 * Common English function words: ignored in the query when matching titles, in the subject and
 * level affinities and in the shown reasons ("title matches 'for'" is no reason to recommend a
 * course). Course titles keep them (tokenize() is shared with the course models). Words that are
 * also technology names ("go", "it", "r") are not in the list.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again also am an and any are as at be because been before being below between both but by can could did do does doing ' +
    'down during each few for from further get had has have having he her here hers him his how if in into is its just me more most my no nor not ' +
    'now of off on once only or other our ours out over own same she should so some such than that the their theirs them then there these they ' +
    'this those through too under until very via vs was we were what when where which while who whom why will with would you your yours'
  ).split(' '),
);

/** The tokens that carry meaning: stop words dropped, duplicates removed, first-seen order kept. */
export function contentTerms(tokens: readonly string[]): string[] {
  return [...new Set(tokens.filter((t) => !STOP_WORDS.has(t)))];
}
