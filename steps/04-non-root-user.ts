// PLACEHOLDER: replaced by the real step.
import { defineStep } from '../src/core/step.js';

export default defineStep({
  meta: {
    id: 'non-root-user',
    order: 4,
    title: 'non-root-user',
    scope: 'dockerfile',
    targets: ['dockerfile'],
    summary: '',
    explain: '',
    references: [],
  },
  async check() {
    throw new Error('not implemented');
  },
});
