import { describe, expect, it } from 'vitest';
import { native } from '../../main/native/binding.js';

describe('native addon', () => {
  it('loads and answers its smoke function', () => {
    expect(native().version()).toMatch(/^hubscope-native \d+$/);
  });
});
