/**
 * fast-check generators of topic names and filters for the property tests (test-only; not exported
 * from the package). A small alphabet of levels makes matches, "$" topics and empty levels common.
 */
import fc from 'fast-check';

const topicLevel = fc.constantFrom('a', 'b', 'c', '', '$a', '$SYS', 'é', '😀');
const filterLevel = fc.constantFrom('a', 'b', 'c', '', '$a', '$SYS', 'é', '😀', '+', '+');

/** Valid topic names of one to five levels, some starting with "$", some with empty levels. */
export const topicNameArb: fc.Arbitrary<string> = fc
  .array(topicLevel, { minLength: 1, maxLength: 5 })
  .map((levels) => levels.join('/'))
  .filter((topic) => topic.length > 0);

/** Valid topic filters: levels, "+" levels, and sometimes a final "#". */
export const topicFilterArb: fc.Arbitrary<string> = fc
  .tuple(fc.array(filterLevel, { minLength: 0, maxLength: 5 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
  .filter((filter) => filter.length > 0);
