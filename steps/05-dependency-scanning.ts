// PLACEHOLDER: replaced by the real step.
import { defineStep } from '../src/core/step.js';

export default defineStep({
  meta: {
    id: 'dependency-scanning',
    order: 5,
    title: 'dependency-scanning',
    scope: 'both',
    targets: ['host', 'dockerfile', 'compose'],
    summary: '',
    explain: '',
    references: [],
  },
  async check() {
    throw new Error('not implemented');
  },
});
