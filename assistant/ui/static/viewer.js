// The “查看原文” viewer scrolls to the marked passage whenever a new document view arrives (or when
// its accordion opens and the passage becomes visible).
let last = null;
const go = () => {
  const box = element.querySelector('[data-nonce]');
  if (!box) return;
  const nonce = box.getAttribute('data-nonce');
  if (nonce === last) return;
  const mark = box.querySelector('mark.target');
  if (!mark || mark.offsetParent === null) return;
  last = nonce;
  mark.scrollIntoView({block: 'center'});
};
new MutationObserver(() => requestAnimationFrame(go))
  .observe(element, {childList: true, subtree: true, characterData: true, attributes: true});
if (window.ResizeObserver) new ResizeObserver(() => requestAnimationFrame(go)).observe(element);
setTimeout(go, 50);
