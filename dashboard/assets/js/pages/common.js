// What several pages share: write buttons that the read-only key disables.
import { h } from '../ui.js';

/** A button for a write route: disabled (with the reason) without write access. */
export function writeButton(ctx, label, onclick, cls = '') {
  const b = h(`button${cls ? `.${cls}` : ''}`, { type: 'button', onclick }, label);
  if (!ctx.writable) {
    b.disabled = true;
    b.title = 'Needs the full API key (this key is read-only)';
  }
  return b;
}

/** Runs fn with button b disabled meanwhile; shows Qdrant's error in out. */
export async function busy(b, fn) {
  const was = b.disabled;
  b.disabled = true;
  try { return await fn(); } finally { b.disabled = was; }
}
