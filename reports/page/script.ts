/**
 * The page's only script: hover tooltips for chart marks. Charts are static SVG (see
 * charts/render.ts); Vega writes each mark's description into its aria-label, and this
 * shows it next to the pointer. It sets textContent only (never innerHTML), so a label
 * holding markup stays text. Without scripting the page loses nothing but the tooltips.
 */
export const PAGE_SCRIPT = `
(function () {
  var tip = document.createElement('div');
  tip.className = 'tooltip';
  tip.setAttribute('role', 'tooltip');
  tip.hidden = true;
  document.body.appendChild(tip);
  function markOf(target) {
    if (!target || !target.closest) return null;
    var el = target.closest('.chart .role-mark > [aria-label]');
    return el && el.getAttribute('aria-label') ? el : null;
  }
  document.addEventListener('pointermove', function (event) {
    var mark = markOf(event.target);
    if (!mark) { tip.hidden = true; return; }
    tip.textContent = mark.getAttribute('aria-label');
    tip.hidden = false;
    var x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    var y = event.clientY + 16 + tip.offsetHeight > window.innerHeight ? event.clientY - tip.offsetHeight - 10 : event.clientY + 16;
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  });
  document.addEventListener('pointerleave', function () { tip.hidden = true; });
})();
`;
