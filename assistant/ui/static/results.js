// Clicks inside a result pane (the element this script is loaded on): [n] opens its card, 查看原文 asks
// the server for the document, an example button asks its question.
element.addEventListener('click', (ev) => {
  const t = ev.target;
  if (!t || !t.closest) return;
  const cite = t.closest('a.cite');
  if (cite) {
    ev.preventDefault();
    const card = document.getElementById(cite.getAttribute('data-target') || '');
    if (card) {
      if (card.tagName === 'DETAILS') card.open = true;
      card.classList.remove('flash'); void card.offsetWidth; card.classList.add('flash');
      card.scrollIntoView({block: 'nearest'});
    }
    return;
  }
  const view = t.closest('.view-doc');
  if (view) {
    ev.preventDefault();
    trigger('click', {doc_id: view.dataset.doc, start: Number(view.dataset.start), end: Number(view.dataset.end)});
    return;
  }
  const ex = t.closest('.example-q');
  if (ex) {
    ev.preventDefault();
    trigger('click', {question: ex.dataset.q});
  }
});
