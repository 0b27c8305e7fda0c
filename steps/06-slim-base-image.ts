// PLACEHOLDER: replaced by the real step.
import { defineStep } from '../src/core/step.js';

export default defineStep({
  meta: {
    id: 'slim-base-image',
    order: 6,
    title: 'slim-base-image',
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
