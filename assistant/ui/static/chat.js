// The 问答 tab's page script (loaded with launch(js=…)). The chat (a gr.Chatbot) shows answers as
// plain text, so that its copy button copies plain text; this script makes each finished answer's
// [n] markers clickable and marks its kind (answer / refusal / help) for the style sheet. The
// sources panel beside the chat holds one group of cards per answer (data-turn = the answer's
// position among the chat's answers); clicking [n] in an answer shows that answer's group and
// opens its card n.
() => {
  const CHAT = '#chat-transcript';
  const PANEL = '#chat-sources';
  const MARKER = /\[(\d+)\]/g;
  const LABEL = /^【[^】\n]{1,24}】/;

  const answers = () => Array.from(document.querySelectorAll(`${CHAT} [data-testid="bot"]`));
  const group = (turn) => document.querySelector(`${PANEL} .turn-sources[data-turn="${turn}"]`);

  function showTurn(turn) {
    const target = group(turn);
    if (!target) return null;
    document.querySelectorAll(`${PANEL} .turn-sources`).forEach((g) => g.classList.toggle('current', g === target));
    return target;
  }

  function openCard(turn, n) {
    if (!showTurn(turn)) return;
    const card = document.getElementById(`chat-${turn}-src-${n}`);
    if (!card) return;
    card.open = true;
    card.classList.remove('flash'); void card.offsetWidth; card.classList.add('flash');
    card.scrollIntoView({block: 'nearest'});
  }

  // [n] → <a class="cite">, and a leading 【…】 label → <span class="msg-label">, in the text nodes
  // of one finished answer. Run again whenever the chat re-renders (it rebuilds a message's HTML
  // from its text); text already inside a link or label is left alone.
  function decorate(el, turn, count) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    const first = nodes.find((node) => node.nodeValue.trim());
    nodes.forEach((node) => {
      if (node.parentElement.closest('a.cite, .msg-label')) return;
      const text = node.nodeValue;
      const parts = [];
      let last = 0;
      const label = node === first ? text.match(LABEL) : null;
      if (label) {
        const span = document.createElement('span');
        span.className = 'msg-label';
        span.textContent = label[0];
        parts.push(span);
        last = label[0].length;
      }
      MARKER.lastIndex = last;
      for (let m; (m = MARKER.exec(text)); ) {
        const n = Number(m[1]);
        if (n < 1 || n > count) continue;
        if (m.index > last) parts.push(document.createTextNode(text.slice(last, m.index)));
        const a = document.createElement('a');
        a.className = 'cite';
        a.href = `#chat-${turn}-src-${n}`;
        a.dataset.turn = turn;
        a.dataset.n = n;
        a.title = `查看出处 ${n}`;
        a.textContent = m[0];
        parts.push(a);
        last = m.index + m[0].length;
      }
      if (!parts.length) return;
      if (last < text.length) parts.push(document.createTextNode(text.slice(last)));
      node.replaceWith(...parts);
    });
  }

  function refresh() {
    answers().forEach((el, turn) => {
      const g = group(turn);
      const bubble = el.closest('.message') || el;
      if (!g) {  // still streaming: no sources yet
        delete bubble.dataset.kind;
        return;
      }
      if (bubble.dataset.kind !== g.dataset.kind) bubble.dataset.kind = g.dataset.kind;
      decorate(el, turn, Number(g.dataset.count || 0));
    });
  }

  let scheduled = false;
  new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; refresh(); });
  }).observe(document.body, {childList: true, subtree: true, characterData: true});

  document.addEventListener('click', (ev) => {
    const a = ev.target && ev.target.closest && ev.target.closest(`${CHAT} a.cite`);
    if (!a) return;
    ev.preventDefault();
    openCard(Number(a.dataset.turn), Number(a.dataset.n));
  });
}
