// PLACEHOLDER: replaced by the real step.
import { defineStep } from '../src/core/step.js';

export default defineStep({
  meta: {
    id: 'runtime-monitoring',
    order: 9,
    title: 'runtime-monitoring',
    scope: 'host',
    targets: ['host'],
    summary: '',
    explain: '',
    references: [],
  },
  async check() {
    throw new Error('not implemented');
  },
});
