// The 资料库 tab's upload size check, before anything is sent. Gradio refuses a file over its
// max_file_size in English; here a file over the limit (#library-limits data-max-bytes, the same
// number) is taken out of the selection and named in Chinese in #library-size-note. A drop that
// holds such a file is refused whole (a dropped file list cannot be edited).
() => {
  const ROOT = '#library-files';
  const NOTE = '#library-size-note';
  const limit = () => Number(document.querySelector('#library-limits')?.dataset.maxBytes || 0);
  const mb = (bytes) => (bytes / 1048576).toFixed(1);

  function tooBig(files) {
    const max = limit();
    return max ? Array.from(files || []).filter((f) => f.size > max) : [];
  }

  function say(big) {
    const note = document.querySelector(NOTE);
    if (!note) return;
    note.textContent = '';
    if (!big.length) return;
    const div = document.createElement('div');
    div.className = 'notice error';
    div.setAttribute('role', 'alert');
    const names = big.map((f) => `${f.name}（${mb(f.size)} MB）`).join('、');
    div.textContent = `文件过大，没有上传：${names}。单个文件不超过 ${Math.round(limit() / 1048576)} MB，`
      + '请拆分成几个较小的文件后再上传。';
    note.appendChild(div);
  }

  document.addEventListener('change', (ev) => {
    const input = ev.target;
    if (!(input instanceof HTMLInputElement) || input.type !== 'file' || !input.closest(ROOT)) return;
    const big = tooBig(input.files);
    say(big);
    if (!big.length) return;
    const kept = new DataTransfer();
    Array.from(input.files).filter((f) => !big.includes(f)).forEach((f) => kept.items.add(f));
    input.files = kept.files;
    if (!kept.files.length) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener('drop', (ev) => {
    if (!(ev.target instanceof Element) || !ev.target.closest(ROOT)) return;
    const big = tooBig(ev.dataTransfer && ev.dataTransfer.files);
    say(big);
    if (big.length) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }
  }, true);
}
