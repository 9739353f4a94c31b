// handoff's page script: the light or dark theme, for the page and its
// charts. Loaded after echarts.min.js and before any chart is drawn.
//
// The theme follows the system setting unless the person picked one with
// the header's toggle (kept in localStorage). Charts use ECharts' built-in
// dark theme on a transparent background, so the page's colours show
// through.
(function () {
  var key = 'handoff-theme';
  var picked = null;
  try { picked = localStorage.getItem(key); } catch (e) { /* storage off: follow the system */ }
  if (picked === 'dark' || picked === 'light') {
    document.documentElement.setAttribute('data-theme', picked);
  }
  var systemDark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  var dark = picked ? picked === 'dark' : systemDark;

  var init = echarts.init;
  echarts.init = function (dom, theme, opts) {
    var chart = init.call(echarts, dom, dark ? 'dark' : theme, opts);
    if (dark) {
      chart.setOption({ backgroundColor: 'transparent' });
    }
    return chart;
  };

  function toggleTheme() {
    try { localStorage.setItem(key, dark ? 'light' : 'dark'); } catch (e) { /* nothing to keep it in */ }
    location.reload();
  }

  // The charts: each .chart holds an empty box and its option as JSON in
  // a data block. Pages carry no inline script (the Content-Security-Policy
  // forbids it), so this file draws them.
  function drawCharts() {
    document.querySelectorAll('.chart script.chart-option').forEach(function (block) {
      var box = block.parentNode.querySelector('.item');
      if (!box) { return; }
      var chart = echarts.init(box, null, { renderer: 'canvas' });
      chart.setOption(JSON.parse(block.textContent));
    });
  }

  // A table wider than its box says so above it, and keeps its first
  // column in view while it scrolls.
  function markScrolling() {
    document.querySelectorAll('.table-wrap').forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      wrap.classList.toggle('scrolls', scrolls);
      var hint = wrap.previousElementSibling;
      var has = hint && hint.classList.contains('scroll-hint');
      if (scrolls && !has) {
        hint = document.createElement('p');
        hint.className = 'scroll-hint';
        hint.textContent = 'More columns to the right: scroll the table sideways →';
        wrap.parentNode.insertBefore(hint, wrap);
      } else if (!scrolls && has) {
        hint.remove();
      }
    });
  }
  window.addEventListener('resize', markScrolling);

  document.addEventListener('DOMContentLoaded', function () {
    markScrolling();
    drawCharts();
    var button = document.querySelector('button.theme');
    if (button) { button.addEventListener('click', toggleTheme); }
  });

  // Leaving for another view: say that it is being computed. The first
  // load of a view on a large lake takes seconds; after that it is cached.
  function computing() {
    var note = document.getElementById('computing');
    if (note) { note.hidden = false; }
  }
  document.addEventListener('submit', function (ev) {
    if (ev.target.method.toLowerCase() === 'get') { computing(); }
    // An upload says it is on its way until the page answers.
    if (ev.target.classList.contains('upload')) { ev.target.classList.add('sending'); }
  });
  document.addEventListener('click', function (ev) {
    var a = ev.target.closest && ev.target.closest('a[href^="/"]');
    if (a && !a.href.includes('/api/') && !a.href.includes('/data/quarantine') && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey) {
      computing();
    }
  });
  // Back to a page from the history cache: nothing is being computed.
  window.addEventListener('pageshow', function () {
    var note = document.getElementById('computing');
    if (note) { note.hidden = true; }
  });

  // Charts fill their column: redraw them when the window changes size.
  window.addEventListener('resize', function () {
    document.querySelectorAll('.chart .item').forEach(function (el) {
      var c = echarts.getInstanceByDom(el);
      if (c) { c.resize(); }
    });
  });
})();
