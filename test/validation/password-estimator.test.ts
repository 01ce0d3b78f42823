// The strength estimator is built on first use, once per process, and scores as it always has.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPasswordStrength, passwordEstimator } from '../../src/validation/password.ts';

describe('password estimator', () => {
  test('is built once and shared by every check', () => {
    const estimator = passwordEstimator();
    assert.equal(passwordEstimator(), estimator);
    checkPasswordStrength('correct horse battery staple');
    assert.equal(passwordEstimator(), estimator);
  });

  test('judges dictionary words, names from the inputs and passphrases as before', () => {
    assert.equal(checkPasswordStrength('P@ssw0rd1').acceptable, false);
    assert.equal(checkPasswordStrength('marvinminsky1', ['marvin.minsky@example.com']).acceptable, false);
    const phrase = checkPasswordStrength('correct horse battery staple');
    assert.equal(phrase.acceptable, true);
    assert.equal(phrase.score, 100);
    assert.deepEqual(checkPasswordStrength('short').issues[0], 'Use at least 8 characters.');
  });
});
