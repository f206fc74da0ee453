import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InFlightLimit } from './in-flight-limit.js';

describe('InFlightLimit', () => {
  test('refuses the request past the limit for that client only, and frees a slot on release', () => {
    const limit = new InFlightLimit(2);
    assert.equal(limit.acquire('acme/a'), true);
    assert.equal(limit.acquire('acme/a'), true);
    assert.equal(limit.acquire('acme/a'), false, 'the third request of one client is refused');
    assert.equal(limit.inFlight('acme/a'), 2, 'a refused request takes no slot');
    assert.equal(limit.acquire('acme/b'), true, 'another client has its own slots');
    limit.release('acme/a');
    assert.equal(limit.acquire('acme/a'), true);
    limit.release('acme/a');
    limit.release('acme/a');
    assert.equal(limit.inFlight('acme/a'), 0);
  });

  test('refuses a limit below 1', () => {
    assert.throws(() => new InFlightLimit(0), RangeError);
    assert.throws(() => new InFlightLimit(1.5), RangeError);
  });
});
