// Bounded label values: what a client can vary is admitted up to a limit, then counted as `other`;
// values made known in advance (trusted documents' operation names) always count apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedLabelValues, GRAPHQL_NAME, OVERFLOW_LABEL } from '../../src/observability/labels.ts';

test('admits values up to the limit, then answers `other`; admitted ones stay', () => {
  const labels = new BoundedLabelValues(2, GRAPHQL_NAME);
  assert.equal(labels.value('A'), 'A');
  assert.equal(labels.value('B'), 'B');
  assert.equal(labels.value('C'), OVERFLOW_LABEL);
  assert.equal(labels.value('A'), 'A');
  assert.equal(labels.size, 2);
});

test('refuses values that are not names (too long, other characters) without spending the limit', () => {
  const labels = new BoundedLabelValues(2, GRAPHQL_NAME);
  assert.equal(labels.value('x'.repeat(65)), OVERFLOW_LABEL);
  assert.equal(labels.value('a"b'), OVERFLOW_LABEL);
  assert.equal(labels.value('user@example.com'), OVERFLOW_LABEL);
  assert.equal(labels.size, 0);
  assert.equal(labels.value('x'.repeat(64)), 'x'.repeat(64));
});

test('known values are admitted beyond the limit, and do not take the room of others', () => {
  const labels = new BoundedLabelValues(1, GRAPHQL_NAME);
  labels.know(['Known1', 'Known2', 'not a name']);
  assert.equal(labels.value('Known2'), 'Known2');
  assert.equal(labels.value('First'), 'First');
  assert.equal(labels.value('Second'), OVERFLOW_LABEL);
  assert.equal(labels.value('Known1'), 'Known1');
  assert.equal(labels.value('not a name'), OVERFLOW_LABEL);
});

test('`only`: the known values and none other (with trusted documents)', () => {
  const labels = new BoundedLabelValues(100, GRAPHQL_NAME);
  assert.equal(labels.value('SeenBefore'), 'SeenBefore');
  labels.know(['Trusted'], true);
  assert.equal(labels.value('Trusted'), 'Trusted');
  assert.equal(labels.value('SeenBefore'), 'SeenBefore');
  assert.equal(labels.value('Random1'), OVERFLOW_LABEL);
});
